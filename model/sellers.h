#pragma once
// The store's sellers as the owner sees them: every seller account with its state, oldest
// first, paged by a cursor; suspension and reinstatement. Approving a pending seller is
// Accounts::approveSeller.

#include "database.h"

#include <QList>
#include <QString>

namespace Mercato::Sellers {

struct Seller
{
    QString id;
    QString email;
    QString displayName;
    QString status; // pending, active, suspended, or disabled
    bool owner = false;
    qint64 createdAt = 0;
};

struct Page
{
    QList<Seller> items;
    QString nextCursor; // empty on the last page
};

// `status` empty: all. BadRequest (field cursor) for a cursor this list did not make.
Result<Page> list(const QSqlDatabase &db, const QString &status, int limit, const QString &cursor);
// One seller (NotFound when the id is not a seller's).
Result<Seller> get(const QSqlDatabase &db, const QString &id);

// pending or active → suspended: its products leave the catalog and the category counts, its
// refresh tokens are revoked and its access tokens issued until now refused (also after a
// reinstatement); nothing is deleted. NotFound when the id is not a seller's; Conflict for
// the store's owner, or a seller already suspended or disabled.
Result<Seller> suspend(Database &database, const QString &id);
// suspended → active: its products are back; it signs in again. NotFound when the id is not a
// seller's; Conflict when it is not suspended.
Result<Seller> reinstate(Database &database, const QString &id);

} // namespace Mercato::Sellers
