#include "sellerspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/shop.h"
#include "model/storeowner.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace Mercato {

namespace {
// Pending sellers wait for the owner: they come first, then active, then suspended.
int statusRank(const QString &status)
{
    if (status == QLatin1String("pending"))
        return 0;
    if (status == QLatin1String("active"))
        return 1;
    if (status == QLatin1String("suspended"))
        return 2;
    return 3;
}

// Refused unless `userId` is the store's owner (the owner routes' rule).
Status mustBeOwner(const QSqlDatabase &db, const QString &userId)
{
    auto owner = StoreOwner::isOwner(db, userId);
    if (!owner)
        return owner.error();
    if (!owner.value())
        return makeError(ErrorCode::Forbidden,
                         QStringLiteral("only the store's owner manages sellers"));
    return Ok{};
}
} // namespace

QString SellersPage::statusLabel(const QString &status)
{
    if (status == QLatin1String("pending"))
        return tr("Waiting for approval");
    if (status == QLatin1String("active"))
        return tr("Active");
    if (status == QLatin1String("suspended"))
        return tr("Suspended");
    if (status == QLatin1String("disabled"))
        return tr("Disabled");
    return status;
}

SellersPage::SellersPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Sellers"), tr("Sellers"), context, parent)
{
    auto *intro = new QLabel(tr("Everyone who sells in your shop. New sellers wait here for "
                                "your approval; a suspended seller's products leave the "
                                "catalogue and the seller cannot sign in until reinstated."),
                             this);
    intro->setWordWrap(true);
    intro->setAccessibleName(tr("About sellers"));
    body()->addWidget(intro);

    auto *bar = new QHBoxLayout;
    m_approve = new QPushButton(tr("&Approve"), this);
    m_approve->setAccessibleName(tr("Approve seller"));
    m_approve->setToolTip(tr("Let this seller sign in and sell"));
    m_suspend = new QPushButton(tr("S&uspend"), this);
    m_suspend->setAccessibleName(tr("Suspend seller"));
    m_suspend->setToolTip(tr("Take this seller's products off the shop and refuse its sign-in"));
    m_reinstate = new QPushButton(tr("Reins&tate"), this);
    m_reinstate->setAccessibleName(tr("Reinstate seller"));
    m_reinstate->setToolTip(tr("Bring a suspended seller and its products back"));
    m_summary = new QLabel(this);
    m_summary->setAccessibleName(tr("Sellers summary"));
    bar->addWidget(m_approve);
    bar->addWidget(m_suspend);
    bar->addWidget(m_reinstate);
    bar->addStretch(1);
    bar->addWidget(m_summary);

    m_model = new RowsModel({tr("Name"), tr("Email"), tr("Status"), tr("Since")}, this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(this);
    QWidget *table = tableWithEmptyState(m_view, m_model, m_proxy, tr("Seller list"),
                                         tr("No sellers yet besides you."));
    for (const auto &[column, width] : {std::pair{0, 200}, {1, 260}, {2, 160}})
        m_view->setColumnWidth(column, width);
    m_view->sortByColumn(2, Qt::AscendingOrder);
    body()->addWidget(table, 1);
    body()->addLayout(bar);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &SellersPage::updateButtons);
    connect(m_approve, &QPushButton::clicked, this, [this] { act(Move::Approve); });
    connect(m_suspend, &QPushButton::clicked, this, [this] { act(Move::Suspend); });
    connect(m_reinstate, &QPushButton::clicked, this, [this] { act(Move::Reinstate); });
    setTabOrder(m_view, m_approve);
    setTabOrder(m_approve, m_suspend);
    setTabOrder(m_suspend, m_reinstate);
    updateButtons();
}

void SellersPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString me = seller().id;
    const quint64 generation = ++m_generation;
    ctx().worker.run(
            this,
            [shop, me]() -> Result<QList<Sellers::Seller>> {
                const QSqlDatabase db = shop->database().connection();
                if (auto s = mustBeOwner(db, me); !s)
                    return s.error();
                return fetchAll<Sellers::Seller, Sellers::Page>(
                        [&](const QString &cursor) {
                            return Sellers::list(db, QString(), 100, cursor);
                        },
                        5000);
            },
            [this, generation](const Result<QList<Sellers::Seller>> &sellers) {
                if (generation != m_generation)
                    return;
                if (!sellers) {
                    showError(sellers.error());
                    Q_EMIT loaded();
                    return;
                }
                m_sellers = sellers.value();
                const QString keep = selectedId(m_view);
                QList<TableRow> rows;
                int pending = 0;
                for (const Sellers::Seller &s : std::as_const(m_sellers)) {
                    pending += s.status == QLatin1String("pending") ? 1 : 0;
                    QString status = statusLabel(s.status);
                    if (s.owner)
                        status += QStringLiteral(" · ") + tr("owner");
                    rows.append({s.id,
                                 {s.displayName, s.email, status, formatTime(s.createdAt)},
                                 {s.displayName.toLower(), s.email,
                                  QStringLiteral("%1 %2")
                                          .arg(statusRank(s.status))
                                          .arg(s.displayName.toLower()),
                                  s.createdAt},
                                 s.status == QLatin1String("pending")});
                }
                m_model->setRows(rows);
                m_summary->setText(tr("%n seller(s)", nullptr, int(m_sellers.size()))
                                   + QStringLiteral(" · ")
                                   + tr("%n waiting for approval", nullptr, pending));
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                updateButtons();
                Q_EMIT loaded();
            });
}

const Sellers::Seller *SellersPage::selectedSeller() const
{
    const QString id = selectedId(m_view);
    for (const Sellers::Seller &s : m_sellers) {
        if (s.id == id)
            return &s;
    }
    return nullptr;
}

void SellersPage::updateButtons()
{
    const Sellers::Seller *s = selectedSeller();
    m_approve->setEnabled(s && s->status == QLatin1String("pending"));
    // The owner cannot suspend itself (the service refuses it too).
    m_suspend->setEnabled(
            s && !s->owner
            && (s->status == QLatin1String("pending") || s->status == QLatin1String("active")));
    m_suspend->setToolTip(s && s->owner ? tr("The store's owner cannot be suspended")
                                        : tr("Take this seller's products off the shop and "
                                             "refuse its sign-in"));
    m_reinstate->setEnabled(s && s->status == QLatin1String("suspended"));
}

void SellersPage::act(Move move)
{
    const Sellers::Seller *s = selectedSeller();
    if (!s)
        return;
    for (QPushButton *b : {m_approve, m_suspend, m_reinstate})
        b->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString me = seller().id;
    const QString id = s->id;
    const QString name = s->displayName;
    ctx().worker.run(
            this,
            [shop, me, id, move]() -> Status {
                if (auto ok = mustBeOwner(shop->database().connection(), me); !ok)
                    return ok;
                if (move == Move::Approve) {
                    if (auto seller = Sellers::get(shop->database().connection(), id); !seller)
                        return seller.error();
                    return shop->accounts().approveSeller(id);
                }
                auto done = move == Move::Suspend ? Sellers::suspend(shop->database(), id)
                                                  : Sellers::reinstate(shop->database(), id);
                if (!done)
                    return done.error();
                return Ok{};
            },
            [this, move, name](const Status &result) {
                if (!result) {
                    auto *box = new QMessageBox(
                            QMessageBox::Warning, tr("Could not change the seller"),
                            describeError(result.error()), QMessageBox::Ok, this);
                    box->setAccessibleName(tr("Problem"));
                    box->setTextFormat(Qt::PlainText);
                    box->setInformativeText(tr("Nothing was changed."));
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                    updateButtons();
                    Q_EMIT changed(describeError(result.error()));
                } else {
                    showMessage(move == Move::Approve
                                        ? tr("%1 is approved and can sell now.").arg(name)
                                : move == Move::Suspend
                                        ? tr("%1 is suspended; its products are off the shop.")
                                                  .arg(name)
                                        : tr("%1 is reinstated.").arg(name));
                    Q_EMIT changed(QString());
                }
                refresh();
            });
}

} // namespace Mercato
