#include "evidence.h"

#include "clock.h"
#include "ids.h"

#include <algorithm>

namespace Mercato::Evidence {

namespace {

Result<int> count(const QSqlDatabase &db, const QString &kind, const QString &ownerId)
{
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT COUNT(*) FROM evidence_images WHERE owner_kind = ? AND owner_id = ?"),
            {kind, ownerId});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toInt() : 0;
}

Error tooMany()
{
    return makeError(ErrorCode::Conflict,
                     QStringLiteral("at most %1 photos may be attached").arg(kMaxImages));
}

} // namespace

Result<QList<EvidenceImage>> list(const QSqlDatabase &db, const QString &kind,
                                  const QString &ownerId)
{
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT id, url FROM evidence_images WHERE owner_kind = ? AND owner_id = ? "
                    "ORDER BY created_at, id"),
            {kind, ownerId});
    if (!q)
        return q.error();
    QList<EvidenceImage> images;
    while (q->next())
        images.append({q->value(0).toString(), q->value(1).toString()});
    return images;
}

Result<EvidenceImage> add(Database &database, ImageStore &store, const QString &kind,
                          const QString &ownerId, const QByteArray &bytes,
                          const QString &declaredType)
{
    auto type = checkImage(bytes, declaredType);
    if (!type)
        return type.error();
    // A cheap early refusal before the upload; the transaction below decides for good.
    auto before = count(database.connection(), kind, ownerId);
    if (!before)
        return before.error();
    if (before.value() >= kMaxImages)
        return tooMany();

    auto stored = store.store(bytes, type.value());
    if (!stored)
        return stored.error();
    Transaction tx(database);
    Status s = tx.begin();
    if (s) {
        auto n = count(tx.db(), kind, ownerId);
        if (!n)
            s = n.error();
        else if (n.value() >= kMaxImages)
            s = tooMany();
    }
    EvidenceImage image{Ids::newId(), stored->url};
    // Photos list in upload order: one uploaded in the same millisecond as the previous
    // still sorts after it.
    qint64 at = Clock::nowMs();
    if (s) {
        auto last = execSql(
                tx.db(),
                QStringLiteral("SELECT MAX(created_at) FROM evidence_images WHERE owner_kind = ? "
                               "AND owner_id = ?"),
                {kind, ownerId});
        if (!last)
            s = last.error();
        else if (last->next() && !last->value(0).isNull())
            at = std::max(at, last->value(0).toLongLong() + 1);
    }
    if (s) {
        auto q = execSql(
                tx.db(),
                QStringLiteral(
                        "INSERT INTO evidence_images (id, owner_kind, owner_id, store_key, url, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)"),
                {image.id, kind, ownerId, stored->key, stored->url, at});
        if (!q)
            s = q.error();
    }
    if (s)
        s = tx.commit();
    if (!s) {
        tx.rollback();
        (void)store.remove(stored->key);
        return s.error();
    }
    return image;
}

} // namespace Mercato::Evidence
