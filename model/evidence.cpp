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

// Bytes the customer stored as evidence in the last 24 hours.
Result<qint64> uploadedToday(const QSqlDatabase &db, const QString &customerId)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT COALESCE(SUM(bytes), 0) FROM evidence_images WHERE "
                                    "customer_id = ? AND created_at > ?"),
                     {customerId, Clock::nowMs() - 24LL * 3600 * 1000});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

Status withinBudget(const QSqlDatabase &db, const QString &customerId, qint64 adding, qint64 budget)
{
    if (budget <= 0)
        return Ok{};
    auto used = uploadedToday(db, customerId);
    if (!used)
        return used.error();
    if (used.value() + adding <= budget)
        return Ok{};
    return Error{ErrorCode::RateLimited,
                 QStringLiteral("the evidence photos of the last 24 hours reached the limit of "
                                "%1 MiB per customer; try again later")
                         .arg(budget / (1024 * 1024)),
                 {{QStringLiteral("file"), QStringLiteral("daily upload limit reached")}}};
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
                          const QString &ownerId, const QString &customerId,
                          const QByteArray &upload, const QString &declaredType,
                          qint64 dailyBudgetBytes)
{
    auto type = checkImage(upload, declaredType);
    if (!type)
        return type.error();
    // What is kept: the picture without its metadata (camera, GPS position).
    auto clean = stripMetadata(upload, type.value());
    if (!clean)
        return clean.error();
    const QByteArray &bytes = clean.value();
    // Cheap early refusals before the upload; the transaction below decides for good.
    auto before = count(database.connection(), kind, ownerId);
    if (!before)
        return before.error();
    if (before.value() >= kMaxImages)
        return tooMany();
    if (auto s = withinBudget(database.connection(), customerId, bytes.size(), dailyBudgetBytes);
        !s)
        return s.error();

    auto stored = store.store(bytes, type.value());
    if (!stored)
        return stored.error();
    Transaction tx(database);
    Status s = tx.begin();
    if (s) {
        // The customer's row lock: concurrent uploads of one customer count one after another.
        auto lock = execSql(tx.db(),
                            QStringLiteral("UPDATE users SET updated_at = updated_at "
                                           "WHERE id = ?"),
                            {customerId});
        if (!lock)
            s = lock.error();
    }
    if (s) {
        auto n = count(tx.db(), kind, ownerId);
        if (!n)
            s = n.error();
        else if (n.value() >= kMaxImages)
            s = tooMany();
    }
    if (s)
        s = withinBudget(tx.db(), customerId, bytes.size(), dailyBudgetBytes);
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
                        "created_at, customer_id, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                {image.id, kind, ownerId, stored->key, stored->url, at, customerId,
                 qint64(bytes.size())});
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
