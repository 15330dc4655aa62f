#pragma once
// One keyset page of rows ordered newest first by (created_at, id), shared by the lists of
// refund requests and complaints: the signed cursor carries the last row's key.

#include "cursor.h"
#include "database.h"
#include "result.h"

#include <QList>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

namespace Mercato {

template<typename Item>
struct KeysetPage
{
    QList<Item> items;
    QString nextCursor;
};

// `select` ends with a WHERE clause; `alias` is the table alias of created_at and id.
// `fromRow` makes an Item (with createdAt and id) from a row. A cursor of another list or
// not made by the server is 400 naming `cursor`.
template<typename Item, typename FromRow>
Result<KeysetPage<Item>> keysetPage(const QSqlDatabase &db, const QString &scope, QString select,
                                    QVariantList binds, const QString &alias, int limit,
                                    const QString &cursor, FromRow fromRow)
{
    if (!cursor.isEmpty()) {
        const auto key = Cursor::decode(scope, cursor);
        if (!key || key->size() != 2)
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor is not valid"),
                         {{QStringLiteral("cursor"), QStringLiteral("cursor is not valid")}}};
        select += QStringLiteral(" AND (%1.created_at < ? OR (%1.created_at = ? AND %1.id < ?))")
                          .arg(alias);
        binds << key->at(0).toLongLong() << key->at(0).toLongLong() << key->at(1).toString();
    }
    select += QStringLiteral(" ORDER BY %1.created_at DESC, %1.id DESC LIMIT ?").arg(alias);
    binds << limit + 1;
    auto q = execSql(db, select, binds);
    if (!q)
        return q.error();
    KeysetPage<Item> page;
    while (q->next())
        page.items.append(fromRow(q.value()));
    if (page.items.size() > limit) {
        page.items.resize(limit);
        page.nextCursor = Cursor::encode(
                scope, {page.items.constLast().createdAt, page.items.constLast().id});
    }
    return page;
}

} // namespace Mercato
