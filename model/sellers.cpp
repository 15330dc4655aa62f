#include "sellers.h"

#include "cursor.h"
#include "storeowner.h"

namespace Mercato::Sellers {

namespace {

const QString kColumns = QStringLiteral("id, email, display_name, status, created_at");

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
    if (!status.isEmpty()) {
        sql += QStringLiteral(" AND status = ?");
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

} // namespace Mercato::Sellers
