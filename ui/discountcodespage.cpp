#include "discountcodespage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/clock.h"
#include "model/shop.h"
#include "model/storeprofile.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <tuple>

namespace Mercato {

namespace {

const QString kDateTimeFormat = QStringLiteral("yyyy-MM-dd HH:mm");

// "2026-12-24" or "2026-12-24 09:30" in the computer's time, as an RFC 3339 date-time.
std::optional<QString> parseWhen(const QString &text)
{
    const QString t = text.trimmed();
    QDateTime when = QDateTime::fromString(t, kDateTimeFormat);
    if (!when.isValid()) {
        const QDate day = QDate::fromString(t, QStringLiteral("yyyy-MM-dd"));
        if (!day.isValid())
            return std::nullopt;
        when = QDateTime(day, QTime(0, 0));
    }
    if (!when.isValid())
        return std::nullopt;
    return when.toOffsetFromUtc(when.offsetFromUtc()).toString(Qt::ISODate);
}

QString whenText(const std::optional<qint64> &ms)
{
    return ms ? QDateTime::fromMSecsSinceEpoch(*ms).toString(kDateTimeFormat) : QString();
}

QLineEdit *lineEdit(QWidget *parent, const QString &name, const QString &placeholder)
{
    auto *e = new QLineEdit(parent);
    e->setAccessibleName(name);
    e->setPlaceholderText(placeholder);
    return e;
}

} // namespace

// ---------------------------------------------------------------------------------------------

DiscountCodeDialog::DiscountCodeDialog(const std::optional<DiscountCode> &existing,
                                       const QString &currency, QWidget *parent)
    : QDialog(parent)
    , m_currency(currency)
{
    setObjectName(QStringLiteral("discountCodeDialog"));
    setWindowTitle(existing ? tr("Edit discount code %1").arg(existing->code)
                            : tr("New discount code"));
    setAccessibleName(tr("Discount code dialog"));
    setMinimumWidth(480);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("The code takes its discount off your products only. Leave a "
                                "date empty for no limit."),
                             this);
    intro->setAccessibleName(tr("About discount codes"));
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    m_code = lineEdit(this, tr("Code"), tr("3 to 32 letters, digits or '-', e.g. WINTER-10"));
    m_code->setMaxLength(64);
    m_kind = new QComboBox(this);
    m_kind->setAccessibleName(tr("Kind"));
    m_kind->addItem(tr("Percent off"), QStringLiteral("percent"));
    m_kind->addItem(tr("Amount off"), QStringLiteral("amount"));
    m_value = lineEdit(this, tr("Value"), QString());
    m_valueUnit = new QLabel(this);
    m_valueUnit->setAccessibleName(tr("Value unit"));
    m_minimum
            = lineEdit(this, tr("Minimum order"), tr("of your products, e.g. 50.00; empty: none"));
    m_starts = lineEdit(this, tr("Starts"), tr("e.g. 2026-12-24 or 2026-12-24 09:00"));
    m_ends = lineEdit(this, tr("Ends"), tr("e.g. 2027-01-06 23:59; empty: never"));
    m_maxUses = lineEdit(this, tr("Maximum uses"), tr("empty: no limit"));
    m_once = new QCheckBox(tr("&Once per customer"), this);
    m_once->setAccessibleName(tr("Once per customer"));
    m_once->setToolTip(tr("Each customer may use the code on one order only"));
    // As wide as its text: a click beside it does not toggle it.
    m_once->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);

    auto *codeLabel = new QLabel(tr("&Code:"), this);
    codeLabel->setBuddy(m_code);
    form->addRow(codeLabel, m_code);
    auto *kindLabel = new QLabel(tr("&Kind:"), this);
    kindLabel->setBuddy(m_kind);
    form->addRow(kindLabel, m_kind);
    auto *valueRow = new QHBoxLayout;
    valueRow->addWidget(m_value, 1);
    valueRow->addWidget(m_valueUnit);
    auto *valueLabel = new QLabel(tr("&Value:"), this);
    valueLabel->setBuddy(m_value);
    form->addRow(valueLabel, valueRow);
    auto *minimumLabel = new QLabel(tr("&Minimum order (%1):").arg(currency), this);
    minimumLabel->setBuddy(m_minimum);
    form->addRow(minimumLabel, m_minimum);
    auto *startsLabel = new QLabel(tr("&Starts:"), this);
    startsLabel->setBuddy(m_starts);
    form->addRow(startsLabel, m_starts);
    auto *endsLabel = new QLabel(tr("&Ends:"), this);
    endsLabel->setBuddy(m_ends);
    form->addRow(endsLabel, m_ends);
    auto *usesLabel = new QLabel(tr("Ma&ximum uses:"), this);
    usesLabel->setBuddy(m_maxUses);
    form->addRow(usesLabel, m_maxUses);
    form->addRow(m_once);
    layout->addLayout(form);

    auto *buttons = new QDialogButtonBox(this);
    m_save = buttons->addButton(tr("Save co&de"), QDialogButtonBox::AcceptRole);
    m_save->setAccessibleName(tr("Save discount code"));
    m_save->setDefault(true);
    QPushButton *cancel = buttons->addButton(tr("Cancel"), QDialogButtonBox::RejectRole);
    cancel->setAccessibleName(tr("Cancel discount code"));
    layout->addWidget(buttons);
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &DiscountCodeDialog::updateValueHint);

    if (existing) {
        m_code->setText(existing->code);
        m_kind->setCurrentIndex(existing->isPercent() ? 0 : 1);
        m_value->setText(existing->isPercent() ? QString::number(existing->value)
                                               : amountText(existing->value));
        if (existing->minSubtotalCents > 0)
            m_minimum->setText(amountText(existing->minSubtotalCents));
        m_starts->setText(whenText(existing->startsAt));
        m_ends->setText(whenText(existing->endsAt));
        if (existing->maxUses)
            m_maxUses->setText(QString::number(*existing->maxUses));
        m_once->setChecked(existing->oncePerCustomer);
    }
    updateValueHint();
    setTabOrder(m_code, m_kind);
    setTabOrder(m_kind, m_value);
    setTabOrder(m_value, m_minimum);
    setTabOrder(m_minimum, m_starts);
    setTabOrder(m_starts, m_ends);
    setTabOrder(m_ends, m_maxUses);
    setTabOrder(m_maxUses, m_once);
    setTabOrder(m_once, m_save);
    setTabOrder(m_save, cancel);
}

void DiscountCodeDialog::updateValueHint()
{
    const bool percent = m_kind->currentData().toString() == QLatin1String("percent");
    m_valueUnit->setText(percent ? QStringLiteral("%") : m_currency);
    m_value->setPlaceholderText(percent ? tr("1 to 100") : tr("e.g. 5.00"));
}

QJsonObject DiscountCodeDialog::json(QStringList &problems) const
{
    const bool percent = m_kind->currentData().toString() == QLatin1String("percent");
    QJsonObject json{{QStringLiteral("code"), m_code->text().trimmed()},
                     {QStringLiteral("kind"), m_kind->currentData().toString()},
                     {QStringLiteral("oncePerCustomer"), m_once->isChecked()}};
    // The console reads the numbers and dates it shows in its own way; the service checks them.
    const QString value = m_value->text().trimmed();
    bool whole = false;
    const qint64 percentValue = value.toLongLong(&whole);
    if (percent && whole)
        json.insert(QStringLiteral("value"), percentValue);
    else if (!percent && parseAmount(value))
        json.insert(QStringLiteral("value"), *parseAmount(value));
    else
        problems << (percent ? tr("Value: enter a whole percent from 1 to 100.")
                             : tr("Value: enter an amount such as 5.00."));
    const QString minimum = m_minimum->text().trimmed();
    if (minimum.isEmpty())
        json.insert(QStringLiteral("minSubtotalCents"), 0);
    else if (const auto cents = parseAmount(minimum))
        json.insert(QStringLiteral("minSubtotalCents"), *cents);
    else
        problems << tr("Minimum order: enter an amount such as 50.00, or leave it empty.");
    for (const auto &[edit, key, label] :
         {std::tuple{m_starts, QStringLiteral("startsAt"), tr("Starts")},
          std::tuple{m_ends, QStringLiteral("endsAt"), tr("Ends")}}) {
        const QString text = edit->text().trimmed();
        if (text.isEmpty())
            json.insert(key, QJsonValue());
        else if (const auto when = parseWhen(text))
            json.insert(key, *when);
        else
            problems << tr("%1: enter a date such as 2026-12-24 or 2026-12-24 09:00, or leave "
                           "it empty.")
                                .arg(label);
    }
    const QString uses = m_maxUses->text().trimmed();
    bool usesWhole = false;
    const qint64 maxUses = uses.toLongLong(&usesWhole);
    if (uses.isEmpty())
        json.insert(QStringLiteral("maxUses"), QJsonValue());
    else if (usesWhole)
        json.insert(QStringLiteral("maxUses"), maxUses);
    else
        problems << tr("Maximum uses: enter a whole number, or leave it empty.");
    return json;
}

// ---------------------------------------------------------------------------------------------

const QHash<QString, QString> &DiscountCodesPage::fieldLabels()
{
    static const QHash<QString, QString> labels{
            {QStringLiteral("code"), DiscountCodeDialog::tr("Code")},
            {QStringLiteral("kind"), DiscountCodeDialog::tr("Kind")},
            {QStringLiteral("value"), DiscountCodeDialog::tr("Value")},
            {QStringLiteral("minSubtotalCents"), DiscountCodeDialog::tr("Minimum order")},
            {QStringLiteral("startsAt"), DiscountCodeDialog::tr("Starts")},
            {QStringLiteral("endsAt"), DiscountCodeDialog::tr("Ends")},
            {QStringLiteral("maxUses"), DiscountCodeDialog::tr("Maximum uses")},
            {QStringLiteral("oncePerCustomer"), DiscountCodeDialog::tr("Once per customer")}};
    return labels;
}

QString DiscountCodesPage::stateLabel(const DiscountCode &code, qint64 nowMs)
{
    if (code.endsAt && *code.endsAt <= nowMs)
        return tr("Ended");
    if (code.maxUses && code.uses >= *code.maxUses)
        return tr("Used up");
    if (code.startsAt && *code.startsAt > nowMs)
        return tr("Scheduled");
    return tr("Active");
}

DiscountCodesPage::DiscountCodesPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Discount codes"), tr("Discount codes"), context, parent)
{
    auto *intro = new QLabel(tr("Codes customers enter at checkout for a discount on your "
                                "products. Uses count the orders that hold one; a cancelled or "
                                "expired order gives its use back."),
                             this);
    intro->setWordWrap(true);
    intro->setAccessibleName(tr("About discount codes"));
    body()->addWidget(intro);

    m_model = new RowsModel({tr("Code"), tr("Kind"), tr("Value"), tr("Minimum"), tr("Starts"),
                             tr("Ends"), tr("Uses"), tr("Once each"), tr("State")},
                            this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(this);
    QWidget *table = tableWithEmptyState(m_view, m_model, m_proxy, tr("Discount code list"),
                                         tr("No discount codes yet. Choose “New code…” to make "
                                            "one."));
    for (const auto &[column, width] :
         {std::pair{0, 95}, {1, 60}, {2, 70}, {3, 80}, {4, 118}, {5, 118}, {6, 50}, {7, 75}})
        m_view->setColumnWidth(column, width);
    // Dates on one line; every column fits the page at 1024×700.
    m_view->setWordWrap(false);
    m_view->sortByColumn(0, Qt::AscendingOrder);
    body()->addWidget(table, 1);

    auto *bar = new QHBoxLayout;
    m_add = new QPushButton(tr("&New code…"), this);
    m_add->setAccessibleName(tr("New discount code"));
    m_add->setToolTip(tr("Make a discount code for your products"));
    m_edit = new QPushButton(tr("&Edit code…"), this);
    m_edit->setAccessibleName(tr("Edit discount code"));
    m_edit->setToolTip(tr("Change the selected code"));
    m_end = new QPushButton(tr("En&d code…"), this);
    m_end->setAccessibleName(tr("End discount code"));
    m_end->setToolTip(tr("No order may use the selected code any more; orders that used it keep "
                         "it"));
    m_summary = new QLabel(this);
    m_summary->setAccessibleName(tr("Discount codes summary"));
    bar->addWidget(m_add);
    bar->addWidget(m_edit);
    bar->addWidget(m_end);
    bar->addStretch(1);
    bar->addWidget(m_summary);
    body()->addLayout(bar);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &DiscountCodesPage::updateButtons);
    connect(m_view, &QTableView::doubleClicked, this, [this] { openDialog(false); });
    connect(m_add, &QPushButton::clicked, this, [this] { openDialog(true); });
    connect(m_edit, &QPushButton::clicked, this, [this] { openDialog(false); });
    connect(m_end, &QPushButton::clicked, this, &DiscountCodesPage::endCode);
    setTabOrder(m_view, m_add);
    setTabOrder(m_add, m_edit);
    setTabOrder(m_edit, m_end);
    updateButtons();
}

void DiscountCodesPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const quint64 generation = ++m_generation;
    using Loaded = QPair<QList<DiscountCode>, QString>;
    ctx().worker.run(
            this,
            [shop, sellerId]() -> Result<Loaded> {
                const QSqlDatabase db = shop->database().connection();
                auto codes = fetchAll<DiscountCode, DiscountCodePage>(
                        [&](const QString &cursor) {
                            return DiscountCodes::list(db, sellerId, 100, cursor);
                        },
                        5000);
                if (!codes)
                    return codes.error();
                auto currency = StoreProfiles::currency(db, shop->settings().configuredCurrency());
                if (!currency)
                    return currency.error();
                return Loaded{codes.value(), currency.value()};
            },
            [this, generation](const Result<Loaded> &result) {
                if (generation != m_generation)
                    return;
                if (!result) {
                    showError(result.error());
                    Q_EMIT loaded();
                    return;
                }
                m_codes = result->first;
                m_currency = result->second;
                const QString keep = selectedId(m_view);
                const qint64 now = Clock::nowMs();
                QList<TableRow> rows;
                int active = 0;
                for (const DiscountCode &c : std::as_const(m_codes)) {
                    const QString state = stateLabel(c, now);
                    const bool usable = state == tr("Active");
                    active += usable ? 1 : 0;
                    const QString value = c.isPercent() ? QStringLiteral("%1%").arg(c.value)
                                                        : formatMoney(c.value, m_currency);
                    const QString uses
                            = c.maxUses ? QStringLiteral("%1 / %2").arg(c.uses).arg(*c.maxUses)
                                        : QString::number(c.uses);
                    rows.append(
                            {c.id,
                             {c.code, c.isPercent() ? tr("Percent") : tr("Amount"), value,
                              c.minSubtotalCents > 0 ? formatMoney(c.minSubtotalCents, m_currency)
                                                     : tr("none"),
                              c.startsAt ? formatTime(*c.startsAt) : tr("now"),
                              c.endsAt ? formatTime(*c.endsAt) : tr("never"), uses,
                              c.oncePerCustomer ? tr("yes") : tr("no"), state},
                             {c.code, c.kind, c.value, c.minSubtotalCents, c.startsAt.value_or(0),
                              c.endsAt.value_or(-1), c.uses, c.oncePerCustomer, state}});
                }
                m_model->setRows(rows);
                m_summary->setText(tr("%n code(s)", nullptr, int(m_codes.size()))
                                   + QStringLiteral(" · ") + tr("%n usable now", nullptr, active));
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                updateButtons();
                Q_EMIT loaded();
            });
}

const DiscountCode *DiscountCodesPage::selectedCode() const
{
    const QString id = selectedId(m_view);
    for (const DiscountCode &c : m_codes) {
        if (c.id == id)
            return &c;
    }
    return nullptr;
}

void DiscountCodesPage::updateButtons()
{
    const bool selected = selectedCode() != nullptr;
    m_edit->setEnabled(selected);
    m_end->setEnabled(selected);
}

void DiscountCodesPage::showProblem(const QString &title, const QString &text, QWidget *over)
{
    delete m_problem;
    m_problem = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok,
                                over ? over : this);
    m_problem->setAccessibleName(tr("Problem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setInformativeText(tr("Nothing was saved."));
    m_problem->setAttribute(Qt::WA_DeleteOnClose);
    m_problem->open();
}

void DiscountCodesPage::openDialog(bool add)
{
    std::optional<DiscountCode> existing;
    if (!add) {
        const DiscountCode *c = selectedCode();
        if (!c)
            return;
        existing = *c;
    }
    auto *dialog = new DiscountCodeDialog(existing, m_currency, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QString id = existing ? existing->id : QString();
    QPointer<DiscountCodeDialog> guard(dialog);
    connect(dialog->saveButton(), &QPushButton::clicked, this, [this, guard, id] {
        if (!guard)
            return;
        QStringList problems;
        const QJsonObject json = guard->json(problems);
        if (!problems.isEmpty()) {
            showProblem(tr("The discount code was not saved"), problems.join(QLatin1Char('\n')),
                        guard);
            Q_EMIT changed(problems.join(QLatin1Char('\n')));
            return;
        }
        guard->saveButton()->setEnabled(false);
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        ctx().worker.run(
                this,
                [shop, sellerId, id, json]() -> Result<DiscountCode> {
                    if (!id.isEmpty())
                        return DiscountCodes::update(shop->database(), sellerId, id, json);
                    auto code = DiscountCodes::fromJson(json);
                    if (!code)
                        return code.error();
                    return DiscountCodes::add(shop->database(), sellerId, code.value());
                },
                [this, guard](const Result<DiscountCode> &saved) {
                    if (guard)
                        guard->saveButton()->setEnabled(true);
                    if (!saved) {
                        const QString text = plainProblems(saved.error(), fieldLabels());
                        showProblem(tr("The discount code was not saved"), text, guard);
                        Q_EMIT changed(text);
                        return;
                    }
                    if (guard)
                        guard->accept();
                    showMessage(tr("Discount code %1 saved.").arg(saved->code));
                    refresh();
                    Q_EMIT changed(QString());
                });
    });
    dialog->open();
}

void DiscountCodesPage::endCode()
{
    const DiscountCode *c = selectedCode();
    if (!c)
        return;
    const QString id = c->id;
    const QString code = c->code;
    auto *confirm = new QMessageBox(
            QMessageBox::Question, tr("End discount code"),
            tr("End the discount code %1? No order can use it any more; orders that used it keep "
               "their discount.")
                    .arg(code),
            QMessageBox::NoButton, this);
    confirm->setAccessibleName(tr("End discount code?"));
    confirm->setTextFormat(Qt::PlainText);
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = confirm->addButton(tr("&End code"), QMessageBox::DestructiveRole);
    yes->setAccessibleName(tr("Confirm end discount code"));
    QPushButton *no = confirm->addButton(tr("&Keep code"), QMessageBox::RejectRole);
    no->setAccessibleName(tr("Keep discount code"));
    confirm->setDefaultButton(no);
    connect(yes, &QPushButton::clicked, this, [this, id, code] {
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        ctx().worker.run(
                this,
                [shop, sellerId, id]() -> Status {
                    return DiscountCodes::remove(shop->database(), sellerId, id);
                },
                [this, code](const Status &s) {
                    if (!s) {
                        const QString text = describeError(s.error());
                        auto *box = new QMessageBox(QMessageBox::Warning,
                                                    tr("The discount code was not ended"), text,
                                                    QMessageBox::Ok, this);
                        box->setAccessibleName(tr("Problem"));
                        box->setTextFormat(Qt::PlainText);
                        box->setAttribute(Qt::WA_DeleteOnClose);
                        box->open();
                        Q_EMIT changed(text);
                    } else {
                        showMessage(tr("Discount code %1 ended.").arg(code));
                        Q_EMIT changed(QString());
                    }
                    refresh();
                });
    });
    confirm->open();
}

} // namespace Mercato
