#include "reviewroutes.h"

#include "jsonbody.h"
#include "router.h"

#include "model/clock.h"
#include "model/shop.h"

#include <limits>

namespace Mercato {

using namespace Http;

namespace {

QJsonObject reviewJson(const Review &r)
{
    return QJsonObject{{QStringLiteral("id"), r.id},
                       {QStringLiteral("productId"), r.productId},
                       {QStringLiteral("authorName"), r.authorName},
                       {QStringLiteral("rating"), r.rating},
                       {QStringLiteral("comment"), r.comment},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(r.createdAt)},
                       {QStringLiteral("updatedAt"), Clock::toRfc3339(r.updatedAt)},
                       {QStringLiteral("verifiedPurchase"), r.verifiedPurchase}};
}

QString location(const Review &r)
{
    return QStringLiteral("/api/v1/reviews/") + r.id;
}

// The comment: up to kMaxComment characters, counted as Unicode code points (an emoji is one).
std::optional<QString> readComment(FieldReader &f)
{
    auto comment = f.string(QStringLiteral("comment"), Need::Optional, 0,
                            std::numeric_limits<int>::max(), false);
    if (comment && comment->toUcs4().size() > Reviews::kMaxComment) {
        f.fail(QStringLiteral("comment"),
               QStringLiteral("must be 0 to %1 characters").arg(Reviews::kMaxComment));
        return std::nullopt;
    }
    return comment;
}

} // namespace

void registerReviewRoutes(Router &router, Shop &shop)
{
    router.add("GET", QStringLiteral("/api/v1/products/{id}/reviews"), Access::Public,
               [&shop](Request &req) {
                   auto paging = pageParams(req);
                   if (!paging)
                       return Response::fromError(paging.error());
                   auto page = shop.reviews().list(req.param(QStringLiteral("id")), paging->limit,
                                                   paging->cursor);
                   if (!page)
                       return Response::fromError(page.error());
                   QJsonArray items;
                   for (const Review &r : std::as_const(page->items))
                       items.append(reviewJson(r));
                   return Response::json(200,
                                         QJsonObject{{QStringLiteral("items"), items},
                                                     {QStringLiteral("nextCursor"),
                                                      page->nextCursor.isEmpty()
                                                              ? QJsonValue(QJsonValue::Null)
                                                              : QJsonValue(page->nextCursor)}});
               });

    router.add("POST", QStringLiteral("/api/v1/products/{id}/reviews"), Access::Customer,
               [&shop](Request &req) {
                   const QString productId = req.param(QStringLiteral("id"));
                   const QString userId = req.user().userId;
                   if (auto s = shop.reviews().checkCanReview(userId, productId); !s)
                       return Response::fromError(s.error());
                   auto body = jsonObjectBody(req);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   const auto rating = f.integer(QStringLiteral("rating"), Need::Required, 1, 5);
                   const auto comment = readComment(f);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   auto review = shop.reviews().create(userId, productId, int(*rating),
                                                       comment.value_or(QString()));
                   if (!review)
                       return Response::fromError(review.error());
                   return Response::created(location(review.value()), reviewJson(review.value()));
               });

    router.add("GET", QStringLiteral("/api/v1/reviews/{id}"), Access::Public,
               [&shop](Request &req) {
                   auto review = shop.reviews().get(req.param(QStringLiteral("id")));
                   if (!review)
                       return Response::fromError(review.error());
                   return Response::json(200, reviewJson(review.value()));
               });

    router.add("PATCH", QStringLiteral("/api/v1/reviews/{id}"), Access::SignedIn,
               [&shop](Request &req) {
                   const QString id = req.param(QStringLiteral("id"));
                   if (auto s = shop.reviews().checkAuthor(req.user().userId, id); !s)
                       return Response::fromError(s.error());
                   auto body = jsonObjectBody(req);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   ReviewChange change;
                   if (const auto rating
                       = f.integer(QStringLiteral("rating"), Need::Optional, 1, 5))
                       change.rating = int(*rating);
                   change.comment = readComment(f);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   auto review = shop.reviews().update(req.user().userId, id, change);
                   if (!review)
                       return Response::fromError(review.error());
                   return Response::json(200, reviewJson(review.value()));
               });

    router.add("DELETE", QStringLiteral("/api/v1/reviews/{id}"), Access::SignedIn,
               [&shop](Request &req) {
                   if (auto s
                       = shop.reviews().remove(req.user().userId, req.param(QStringLiteral("id")));
                       !s)
                       return Response::fromError(s.error());
                   return Response::noContent();
               });
}

} // namespace Mercato
