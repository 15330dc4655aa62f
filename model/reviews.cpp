#include "reviews.h"

#include "clock.h"
#include "cursor.h"
#include "ids.h"

namespace Mercato {

namespace {

const QString kSelect = QStringLiteral(
        "SELECT r.id, r.product_id, r.author_id, u.display_name, r.rating, r.comment, "
        "r.created_at, r.updated_at, "
        "(SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
        "  WHERE oi.product_id = r.product_id AND o.customer_id = r.author_id "
        "  AND oi.refunded_quantity < oi.quantity "
        "  AND o.status IN ('paid', 'partially_shipped', 'shipped', 'delivered')), "
        "r.hidden_at "
        "FROM reviews r JOIN users u ON u.id = r.author_id ");

Review fromRow(const QSqlQuery &q)
{
    Review r;
    r.id = q.value(0).toString();
    r.productId = q.value(1).toString();
    r.authorId = q.value(2).toString();
    r.authorName = q.value(3).toString();
    r.rating = q.value(4).toInt();
    r.comment = q.value(5).toString();
    r.createdAt = q.value(6).toLongLong();
    r.updatedAt = q.value(7).toLongLong();
    r.verifiedPurchase = q.value(8).toLongLong() > 0;
    r.hiddenAt = q.value(9).isNull() ? 0 : q.value(9).toLongLong();
    return r;
}

Status adjustRating(const QSqlDatabase &db, const QString &productId, int sumDelta, int countDelta)
{
    auto q = execSql(db,
                     QStringLiteral("UPDATE products SET rating_sum = rating_sum + ?, "
                                    "rating_count = rating_count + ? WHERE id = ?"),
                     {sumDelta, countDelta, productId});
    if (!q)
        return q.error();
    return Ok{};
}

Error notFound()
{
    return makeError(ErrorCode::NotFound, QStringLiteral("no such review"));
}

} // namespace

Result<bool> Reviews::hasPurchased(const QSqlDatabase &db, const QString &customerId,
                                   const QString &productId)
{
    auto q = execSql(
            db,
            QStringLiteral(
                    "SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                    "WHERE oi.product_id = ? AND o.customer_id = ? "
                    "AND oi.refunded_quantity < oi.quantity "
                    "AND o.status IN ('paid', 'partially_shipped', 'shipped', 'delivered')"),
            {productId, customerId});
    if (!q)
        return q.error();
    return q->next() && q->value(0).toLongLong() > 0;
}

Status Reviews::canReview(const QSqlDatabase &db, const QString &customerId,
                          const QString &productId)
{
    auto p = execSql(db,
                     QStringLiteral("SELECT 1 FROM products WHERE id = ? AND deleted_at IS NULL"),
                     {productId});
    if (!p)
        return p.error();
    if (!p->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    auto bought = hasPurchased(db, customerId, productId);
    if (!bought)
        return bought.error();
    if (!bought.value())
        return makeError(
                ErrorCode::Forbidden,
                QStringLiteral("only a customer holding a paid, unrefunded unit of this product "
                               "may review it"));
    return Ok{};
}

Status Reviews::checkCanReview(const QString &customerId, const QString &productId)
{
    return canReview(m_db.connection(), customerId, productId);
}

Result<Review> Reviews::load(const QSqlDatabase &db, const QString &reviewId)
{
    auto q = execSql(db, kSelect + QStringLiteral("WHERE r.id = ?"), {reviewId});
    if (!q)
        return q.error();
    if (!q->next())
        return notFound();
    return fromRow(q.value());
}

Result<ReviewPage> Reviews::list(const QString &productId, int limit, const QString &cursor)
{
    return fetchPage(productId, limit, cursor, false);
}

Result<ReviewPage> Reviews::fetchPage(const QString &productId, int limit, const QString &cursor,
                                      bool includeHidden)
{
    const QSqlDatabase db = m_db.connection();
    auto p = execSql(db,
                     QStringLiteral("SELECT 1 FROM products WHERE id = ? AND deleted_at IS NULL"),
                     {productId});
    if (!p)
        return p.error();
    if (!p->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));

    const QString scope = QStringLiteral("reviews:") + productId;
    QString sql = kSelect + QStringLiteral("WHERE r.product_id = ? ");
    if (!includeHidden)
        sql += QStringLiteral("AND r.hidden_at IS NULL ");
    QVariantList binds{productId};
    if (!cursor.isEmpty()) {
        const auto key = Cursor::decode(scope, cursor);
        if (!key || key->size() != 2)
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor is not valid"),
                         {{QStringLiteral("cursor"), QStringLiteral("cursor is not valid")}}};
        sql += QStringLiteral("AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?)) ");
        binds << key->at(0).toLongLong() << key->at(0).toLongLong() << key->at(1).toString();
    }
    sql += QStringLiteral("ORDER BY r.created_at DESC, r.id DESC LIMIT ?");
    binds << limit + 1;
    auto q = execSql(db, sql, binds);
    if (!q)
        return q.error();
    ReviewPage page;
    while (q->next())
        page.items.append(fromRow(q.value()));
    if (page.items.size() > limit) {
        page.items.resize(limit);
        const Review &last = page.items.constLast();
        page.nextCursor = Cursor::encode(scope, {last.createdAt, last.id});
    }
    return page;
}

Result<Review> Reviews::get(const QString &reviewId)
{
    auto review = load(m_db.connection(), reviewId);
    if (review && review->hidden())
        return notFound();
    return review;
}

Status Reviews::checkAuthor(const QString &userId, const QString &reviewId)
{
    auto review = load(m_db.connection(), reviewId);
    if (!review)
        return review.error();
    if (review->authorId != userId)
        return makeError(ErrorCode::Forbidden,
                         QStringLiteral("only its author may change a review"));
    return Ok{};
}

Result<Review> Reviews::create(const QString &customerId, const QString &productId, int rating,
                               const QString &comment)
{
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    if (auto s = canReview(db, customerId, productId); !s)
        return s.error();
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto ins = execSql(
            db,
            QStringLiteral("INSERT INTO reviews (id, product_id, author_id, rating, comment, "
                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
            {id, productId, customerId, rating, comment.isNull() ? QStringLiteral("") : comment,
             now, now});
    if (!ins) {
        if (ins.error().code == ErrorCode::Conflict)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("you have already reviewed this product; PATCH your "
                                            "review to change it"));
        return ins.error();
    }
    if (auto s = adjustRating(db, productId, rating, 1); !s)
        return s.error();
    auto review = load(db, id);
    if (!review)
        return review.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    Q_EMIT m_events.productChanged(productId);
    return review;
}

Result<Review> Reviews::update(const QString &userId, const QString &reviewId,
                               const ReviewChange &change)
{
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto current = load(db, reviewId);
    if (!current)
        return current.error();
    if (current->authorId != userId)
        return makeError(ErrorCode::Forbidden,
                         QStringLiteral("only its author may change a review"));
    const int rating = change.rating.value_or(current->rating);
    QString comment = change.comment.value_or(current->comment);
    if (comment.isNull())
        comment = QStringLiteral("");
    auto q = execSql(
            db,
            QStringLiteral(
                    "UPDATE reviews SET rating = ?, comment = ?, updated_at = ? WHERE id = ?"),
            {rating, comment, Clock::nowMs(), reviewId});
    if (!q)
        return q.error();
    if (rating != current->rating && !current->hidden()) {
        if (auto s = adjustRating(db, current->productId, rating - current->rating, 0); !s)
            return s.error();
    }
    auto review = load(db, reviewId);
    if (!review)
        return review.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    if (rating != current->rating)
        Q_EMIT m_events.productChanged(current->productId);
    return review;
}

Status Reviews::remove(const QString &userId, const QString &reviewId)
{
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto current = load(db, reviewId);
    if (!current)
        return current.error();
    if (current->authorId != userId)
        return makeError(ErrorCode::Forbidden,
                         QStringLiteral("only its author may change a review"));
    auto q = execSql(db, QStringLiteral("DELETE FROM reviews WHERE id = ?"), {reviewId});
    if (!q)
        return q.error();
    if (!current->hidden()) {
        if (auto s = adjustRating(db, current->productId, -current->rating, -1); !s)
            return s.error();
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    Q_EMIT m_events.productChanged(current->productId);
    return Ok{};
}

// ---- seller --------------------------------------------------------------------------------

Result<ReviewPage> Reviews::sellerList(const QString &sellerId, const QString &productId, int limit,
                                       const QString &cursor)
{
    auto p = execSql(m_db.connection(),
                     QStringLiteral("SELECT 1 FROM products WHERE id = ? AND seller_id = ?"),
                     {productId, sellerId});
    if (!p)
        return p.error();
    if (!p->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    return fetchPage(productId, limit, cursor, true);
}

Result<Review> Reviews::setHidden(const QString &sellerId, const QString &reviewId, bool hidden)
{
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    auto current = load(db, reviewId);
    if (!current)
        return current.error();
    auto owner = execSql(db, QStringLiteral("SELECT seller_id FROM products WHERE id = ?"),
                         {current->productId});
    if (!owner)
        return owner.error();
    if (!owner->next() || owner->value(0).toString() != sellerId)
        return notFound();
    if (current->hidden() == hidden)
        return current;
    const qint64 now = Clock::nowMs();
    auto q = hidden ? execSql(db,
                              QStringLiteral("UPDATE reviews SET hidden_at = ?, hidden_by = ? "
                                             "WHERE id = ?"),
                              {now, sellerId, reviewId})
                    : execSql(db,
                              QStringLiteral("UPDATE reviews SET hidden_at = NULL, hidden_by = "
                                             "NULL WHERE id = ?"),
                              {reviewId});
    if (!q)
        return q.error();
    const int sign = hidden ? -1 : 1;
    if (auto s = adjustRating(db, current->productId, sign * current->rating, sign); !s)
        return s.error();
    auto review = load(db, reviewId);
    if (!review)
        return review.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    Q_EMIT m_events.productChanged(current->productId);
    return review;
}

} // namespace Mercato
