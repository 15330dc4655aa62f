#pragma once
// The store's owner: the seller account marked so (the console's first run, `user create
// --owner`, `user set-owner`), else the oldest active seller. Only the owner changes
// store-wide things, such as marking any order paid.

#include "database.h"

namespace Mercato::StoreOwner {

// The owner's account id; empty while the store has neither a marked nor an active seller.
Result<QString> ownerId(const QSqlDatabase &db);
Result<bool> isOwner(const QSqlDatabase &db, const QString &userId);
// Marks the seller `userId` the owner, made active if it was pending; the previous owner
// stays a seller. 404 unknown account, 422 (field email) not a seller, 409 a suspended one.
Status setOwner(Database &database, const QString &userId);

} // namespace Mercato::StoreOwner
