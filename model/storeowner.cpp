#include "storeowner.h"

#include "clock.h"

namespace Mercato::StoreOwner {

Result<QString> ownerId(const QSqlDatabase &db)
{
    auto q = execSql(db, QStringLiteral("SELECT id FROM users WHERE role = 'seller' AND "
                                        "(is_owner = 1 OR (status = 'active' AND "
                                        "suspended_at IS NULL)) "
                                        "ORDER BY is_owner DESC, created_at, seq, id LIMIT 1"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toString() : QString();
}

Result<bool> isOwner(const QSqlDatabase &db, const QString &userId)
{
    auto owner = ownerId(db);
    if (!owner)
        return owner.error();
    return !userId.isEmpty() && owner.value() == userId;
}

Status setOwner(Database &database, const QString &userId)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s;
    auto role = execSql(
            tx.db(), QStringLiteral("SELECT role, suspended_at FROM users WHERE id = ?"), {userId});
    if (!role)
        return role.error();
    if (!role->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    if (role->value(0).toString() != QLatin1String("seller"))
        return Error{ErrorCode::Validation,
                     QStringLiteral("only a seller can own the store"),
                     {{QStringLiteral("email"), QStringLiteral("is not a seller's account")}}};
    if (!role->value(1).isNull())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the seller is suspended; reinstate it first"));
    const qint64 now = Clock::nowMs();
    if (auto q = execSql(tx.db(),
                         QStringLiteral("UPDATE users SET is_owner = 0, updated_at = ? WHERE "
                                        "is_owner = 1 AND id <> ?"),
                         {now, userId});
        !q)
        return q.error();
    if (auto q = execSql(tx.db(),
                         QStringLiteral("UPDATE users SET is_owner = 1, status = CASE WHEN "
                                        "status = 'pending' THEN 'active' ELSE status END, "
                                        "updated_at = ? WHERE id = ?"),
                         {now, userId});
        !q)
        return q.error();
    return tx.commit();
}

} // namespace Mercato::StoreOwner
