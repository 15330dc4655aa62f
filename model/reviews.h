#pragma once
// Reviews of purchased products: one per customer and product, with the product's rating
// sum and count kept in step in the same transaction. A seller may hide a review of its own
// product: it is kept, but neither listed, served nor counted in the rating.

#include "database.h"
#include "events.h"

#include <QList>
#include <QString>

#include <optional>

namespace Mercato {

struct Review
{
    QString id;
    QString productId;
    QString authorId;
    QString authorName;
    int rating = 0;
    QString comment;
    bool verifiedPurchase = false;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    qint64 hiddenAt = 0; // 0: shown
    bool hidden() const { return hiddenAt != 0; }
};

struct ReviewPage
{
    QList<Review> items;
    QString nextCursor;
};

struct ReviewChange
{
    std::optional<int> rating;
    std::optional<QString> comment;
};

class Reviews
{
public:
    static constexpr int kMaxComment = 5000;

    Reviews(Database &database, ModelEvents &events)
        : m_db(database)
        , m_events(events)
    {}

    // Public list of a live product's reviews, newest first. NotFound for an unknown product,
    // BadRequest naming `cursor` for a cursor this list did not make.
    Result<ReviewPage> list(const QString &productId, int limit, const QString &cursor);
    // One shown review (a hidden one is NotFound).
    Result<Review> get(const QString &reviewId);
    // NotFound for an unknown review, Forbidden unless `userId` wrote it (hidden ones too):
    // what PATCH checks before it looks at the body.
    Status checkAuthor(const QString &userId, const QString &reviewId);
    // NotFound for an unknown product, Forbidden without a purchase: what POST checks before
    // it looks at the body.
    Status checkCanReview(const QString &customerId, const QString &productId);
    // Forbidden without a paid (or shipped, delivered) order line of the product; Conflict on
    // a second review of the same product.
    Result<Review> create(const QString &customerId, const QString &productId, int rating,
                          const QString &comment);
    // Only the author; another user gets Forbidden (reviews are public, nothing leaks).
    Result<Review> update(const QString &userId, const QString &reviewId,
                          const ReviewChange &change);
    Status remove(const QString &userId, const QString &reviewId);

    // Seller ------------------------------------------------------------------------------
    // Every review of the seller's own product, hidden ones included, newest first. NotFound
    // for a product that is not the seller's.
    Result<ReviewPage> sellerList(const QString &sellerId, const QString &productId, int limit,
                                  const QString &cursor);
    // Hides (or shows again) a review of the seller's own product; the product's rating leaves
    // it out while hidden. NotFound for an unknown review or another seller's product.
    Result<Review> setHidden(const QString &sellerId, const QString &reviewId, bool hidden);

    // True when the customer has a paid, shipped or delivered order line of the product.
    static Result<bool> hasPurchased(const QSqlDatabase &db, const QString &customerId,
                                     const QString &productId);

private:
    static Status canReview(const QSqlDatabase &db, const QString &customerId,
                            const QString &productId);
    Result<Review> load(const QSqlDatabase &db, const QString &reviewId);
    Result<ReviewPage> fetchPage(const QString &productId, int limit, const QString &cursor,
                                 bool includeHidden);

    Database &m_db;
    ModelEvents &m_events;
};

} // namespace Mercato
