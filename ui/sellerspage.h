#pragma once
// Sellers (the store owner's page): every seller account with its state, pending ones first;
// the owner approves a pending seller, suspends one (its products leave the catalogue, it can
// no longer sign in) and reinstates it, through the same model services as the API's owner
// routes. The owner cannot suspend itself.

#include "page.h"

#include "model/sellers.h"

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace Mercato {

class SellersPage : public Page
{
    Q_OBJECT
public:
    SellersPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;

    static QString statusLabel(const QString &status);

Q_SIGNALS:
    void loaded();
    // An approve, suspend or reinstate finished; `error` empty on success.
    void changed(const QString &error);

private:
    enum class Move { Approve, Suspend, Reinstate };
    void act(Move move);
    void updateButtons();
    const Sellers::Seller *selectedSeller() const;

    QLabel *m_summary = nullptr;
    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QPushButton *m_approve = nullptr;
    QPushButton *m_suspend = nullptr;
    QPushButton *m_reinstate = nullptr;
    QList<Sellers::Seller> m_sellers;
    quint64 m_generation = 0;
};

} // namespace Mercato
