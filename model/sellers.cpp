#include "sellers.h"

#include "accounts.h"
#include "categories.h"
#include "clock.h"
#include "cursor.h"
#include "storeowner.h"

namespace Mercato::Sellers {

namespace {

// `suspended` is not a users.status value: it is read from suspended_at.
const QString kColumns = QStringLiteral(
        "id, email, display_name, CASE WHEN suspended_at IS NOT NULL THEN 'suspended' ELSE "
        "status END, created_at");

Seller fromRow(const QSqlQuery &q, const QString &ownerId)
{
    Seller s;
    s.id = q.value(0).toString();
    s.email = q.value(1).toString();
    s.displayName = q.value(2).toString();
    s.status = q.value(3).toString();
    s.createdAt = q.value(4).toLongLong();
    s.owner = !ownerId.isEmpty() && s.id == ownerId;
    return s;
}

} // namespace

Result<Page> list(const QSqlDatabase &db, const QString &status, int limit, const QString &cursor)
{
    const QString scope = QStringLiteral("owner-sellers:") + status;
    QString sql = QStringLiteral("SELECT ") + kColumns
                  + QStringLiteral(" FROM users WHERE role = 'seller'");
    QVariantList binds;
    if (status == QLatin1String("suspended")) {
        sql += QStringLiteral(" AND suspended_at IS NOT NULL");
    } else if (!status.isEmpty()) {
        sql += QStringLiteral(" AND status = ? AND suspended_at IS NULL");
        binds.append(status);
    }
    if (!cursor.isEmpty()) {
        const auto after = Cursor::decode(scope, cursor);
        if (!after || after->size() != 2 || !Cursor::isNumber(after->at(0)))
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor was not made by this list"),
                         {{QStringLiteral("cursor"),
                           QStringLiteral("cursor was not made by this list")}}};
        sql += QStringLiteral(" AND (created_at > ? OR (created_at = ? AND id > ?))");
        binds << after->at(0).toLongLong() << after->at(0).toLongLong() << after->at(1).toString();
    }
    sql += QStringLiteral(" ORDER BY created_at, id LIMIT ?");
    binds.append(limit + 1);
    auto owner = StoreOwner::ownerId(db);
    if (!owner)
        return owner.error();
    auto q = execSql(db, sql, binds);
    if (!q)
        return q.error();
    Page page;
    while (q->next())
        page.items.append(fromRow(q.value(), owner.value()));
    if (page.items.size() > limit) {
        page.items.removeLast();
        page.nextCursor
                = Cursor::encode(scope, {page.items.last().createdAt, page.items.last().id});
    }
    return page;
}

Result<Seller> get(const QSqlDatabase &db, const QString &id)
{
    auto owner = StoreOwner::ownerId(db);
    if (!owner)
        return owner.error();
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM users WHERE role = 'seller' AND id = ?"),
                     {id});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such seller"));
    return fromRow(q.value(), owner.value());
}

Result<Seller> suspend(Database &database, const QString &id)
{
    {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        // The row lock first: a product entering a category meanwhile holds a share lock on
        // its seller, so its count is settled before the seller's products are counted below.
        auto lock = execSql(db,
                            QStringLiteral("UPDATE users SET updated_at = updated_at WHERE id = ? "
                                           "AND role = 'seller'"),
                            {id});
        if (!lock)
            return lock.error();
        if (lock->numRowsAffected() != 1)
            return makeError(ErrorCode::NotFound, QStringLiteral("no such seller"));
        auto owner = StoreOwner::ownerId(db);
        if (!owner)
            return owner.error();
        if (owner.value() == id)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the store's owner cannot be suspended"));
        auto state = execSql(
                db, QStringLiteral("SELECT status, suspended_at FROM users WHERE id = ?"), {id});
        if (!state)
            return state.error();
        if (!state->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such seller"));
        if (!state->value(1).isNull())
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the seller is suspended already"));
        const QString status = state->value(0).toString();
        if (status != QLatin1String("pending") && status != QLatin1String("active"))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("only a pending or active seller can be suspended"));
        const qint64 now = Clock::nowMs();
        auto upd = execSql(
                db,
                QStringLiteral("UPDATE users SET suspended_at = ?, updated_at = ? WHERE id = ?"),
                {now, now, id});
        if (!upd)
            return upd.error();
        if (auto s = Accounts::revokeAllSessions(db, id); !s)
            return s.error();
        if (auto s = Categories::sellerListed(db, id, -1); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return get(database.connection(), id);
}

Result<Seller> reinstate(Database &database, const QString &id)
{
    {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto upd
                = execSql(db,
                          QStringLiteral("UPDATE users SET suspended_at = NULL, status = 'active', "
                                         "updated_at = ? WHERE id = ? AND role = 'seller' AND "
                                         "suspended_at IS NOT NULL"),
                          {Clock::nowMs(), id});
        if (!upd)
            return upd.error();
        if (upd->numRowsAffected() != 1) {
            auto seller = get(db, id);
            if (!seller)
                return seller.error();
            return makeError(ErrorCode::Conflict, QStringLiteral("the seller is not suspended"));
        }
        if (auto s = Categories::sellerListed(db, id, 1); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return get(database.connection(), id);
}

} // namespace Mercato::Sellers
