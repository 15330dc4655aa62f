#include "page.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace Mercato {

Page::Page(const QString &name, const QString &title, ConsoleContext context, QWidget *parent)
    : QWidget(parent)
    , m_ctx(context)
{
    setObjectName(name);
    setAccessibleName(name);
    auto *outer = new QVBoxLayout(this);
    auto *heading = new QLabel(QStringLiteral("<h2>%1</h2>").arg(title.toHtmlEscaped()), this);
    heading->setAccessibleName(name + QStringLiteral(" title"));
    outer->addWidget(heading);
    m_message = new QLabel(this);
    m_message->setTextFormat(Qt::PlainText); // names and words of customers: never markup
    m_message->setAccessibleName(name + QStringLiteral(" message"));
    m_message->setObjectName(QStringLiteral("pageMessage"));
    m_message->setWordWrap(true);
    m_message->hide();
    outer->addWidget(m_message);
    m_body = new QVBoxLayout;
    outer->addLayout(m_body, 1);
}

void Page::setSeller(const Account &seller)
{
    m_seller = seller;
    showMessage({});
    if (!seller.id.isEmpty())
        refresh();
    else
        forget();
}

void Page::requestRefresh()
{
    if (m_seller.id.isEmpty())
        return;
    if (m_reloadRunning) {
        m_reloadAgain = true; // absorbed: one reload after the running one covers them all
        return;
    }
    m_reloadRunning = true;
    ++m_reloadsRun;
    refresh();
    // The worker runs tasks in order, so this marker completes after the reload's own task.
    m_ctx.worker.run(
            this, [] { return true; },
            [this](bool) {
                m_reloadRunning = false;
                if (m_reloadAgain) {
                    m_reloadAgain = false;
                    requestRefresh();
                }
            });
}

void Page::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;")
                                   : QStringLiteral("color: #1b5e20;"));
    m_message->setVisible(!text.isEmpty());
}

void Page::showError(const Error &error)
{
    showMessage(describeError(error), true);
}

QWidget *Page::tableWithEmptyState(QTableView *view, RowsModel *model, QSortFilterProxyModel *proxy,
                                   const QString &accessibleName, const QString &emptyText,
                                   std::function<QString()> noMatchText)
{
    proxy->setSourceModel(model);
    proxy->setSortRole(RowsModel::SortRole);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    view->setModel(proxy);
    view->setAccessibleName(accessibleName);
    view->setSortingEnabled(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view->horizontalHeader()->setDefaultSectionSize(140);

    auto *stack = new QStackedWidget(this);
    auto *empty = new QLabel(emptyText, stack);
    empty->setAccessibleName(accessibleName + QStringLiteral(" empty"));
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    empty->setStyleSheet(QStringLiteral("color: palette(mid); font-size: 14px; padding: 40px;"));
    stack->addWidget(view);
    stack->addWidget(empty);
    auto update = [stack, view, empty, proxy, emptyText, noMatchText] {
        const QString noMatch = noMatchText ? noMatchText() : QString();
        empty->setText(noMatch.isEmpty() ? emptyText : noMatch);
        stack->setCurrentWidget(proxy->rowCount() == 0 ? static_cast<QWidget *>(empty)
                                                       : static_cast<QWidget *>(view));
    };
    connect(proxy, &QAbstractItemModel::modelReset, stack, update);
    connect(proxy, &QAbstractItemModel::rowsInserted, stack, update);
    connect(proxy, &QAbstractItemModel::rowsRemoved, stack, update);
    connect(proxy, &QAbstractItemModel::layoutChanged, stack, update);
    update();
    m_emptyStates.insert(view, update);
    return stack;
}

void Page::updateEmptyState(QTableView *view)
{
    if (const auto update = m_emptyStates.value(view))
        update();
}

QString Page::selectedId(QTableView *view)
{
    const QModelIndexList rows
            = view->selectionModel() ? view->selectionModel()->selectedRows() : QModelIndexList{};
    if (rows.isEmpty())
        return {};
    return rows.first().data(RowsModel::IdRole).toString();
}

void Page::selectRowWithId(QTableView *view, const QString &id)
{
    QAbstractItemModel *m = view->model();
    for (int r = 0; m && r < m->rowCount(); ++r) {
        const QModelIndex index = m->index(r, 0);
        if (index.data(RowsModel::IdRole).toString() == id) {
            view->selectRow(r);
            view->scrollTo(index);
            return;
        }
    }
}

QString formatMoney(qint64 cents, const QString &currency)
{
    const QString amount = QLocale::c().toString(double(cents) / 100.0, 'f', 2);
    return currency.isEmpty() ? amount : amount + QLatin1Char(' ') + currency;
}

std::optional<qint64> parseAmount(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d{1,12})(?:[.,](\\d{1,2}))?$"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    QString fraction = m.captured(2);
    while (fraction.size() < 2)
        fraction += QLatin1Char('0');
    return m.captured(1).toLongLong() * 100 + fraction.toInt();
}

QString amountText(qint64 cents)
{
    return QStringLiteral("%1.%2").arg(cents / 100).arg(cents % 100, 2, 10, QLatin1Char('0'));
}

QString formatTime(qint64 ms)
{
    if (ms <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString describeError(const Error &error)
{
    if (error.fields.isEmpty())
        return error.detail;
    QStringList lines;
    for (const FieldError &f : error.fields)
        lines.append(f.field + QStringLiteral(": ") + f.message);
    return lines.join(QLatin1Char('\n'));
}

QString plainProblems(const Error &error, const QHash<QString, QString> &labels)
{
    QStringList lines;
    for (const FieldError &f : error.fields) {
        const QString base = f.field.section(QLatin1Char('['), 0, 0);
        const QString label = labels.value(f.field, labels.value(base, f.field));
        // "postalCode is required" under "Postal code:" reads "is required".
        const QString name = base.section(QLatin1Char('.'), -1);
        QString message = f.message;
        if (message.startsWith(name + QLatin1Char(' ')))
            message = message.mid(name.size() + 1);
        if (!message.endsWith(QLatin1Char('.')))
            message += QLatin1Char('.');
        lines.append(label + QStringLiteral(": ") + message);
    }
    return lines.isEmpty() ? error.detail : lines.join(QLatin1Char('\n'));
}

} // namespace Mercato
