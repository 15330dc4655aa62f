#include "ownerroutes.h"

#include "jsonbody.h"
#include "router.h"

#include "model/clock.h"
#include "model/sellers.h"
#include "model/shop.h"
#include "model/storeowner.h"

#include <QJsonArray>

namespace Mercato {

using namespace Http;

namespace {

QJsonObject sellerJson(const Sellers::Seller &s)
{
    return QJsonObject{{QStringLiteral("id"), s.id},
                       {QStringLiteral("email"), s.email},
                       {QStringLiteral("displayName"), s.displayName},
                       {QStringLiteral("status"), s.status},
                       {QStringLiteral("owner"), s.owner},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(s.createdAt)}};
}

// The caller is the store's owner, else the 403 to answer.
std::optional<Response> notOwner(Shop &shop, const Request &request)
{
    auto owner = StoreOwner::isOwner(shop.database().connection(), request.user().userId);
    if (!owner)
        return Response::fromError(owner.error());
    if (!owner.value())
        return Response::problem(403, {}, QStringLiteral("only the store's owner manages sellers"));
    return std::nullopt;
}

} // namespace

void registerOwnerRoutes(Router &router, Shop &shop)
{
    router.add("GET", QStringLiteral("/api/v1/owner/sellers"), Access::Seller,
               [&shop](Request &request) {
                   if (auto refused = notOwner(shop, request))
                       return *refused;
                   auto page = pageParams(request);
                   if (!page)
                       return Response::fromError(page.error());
                   const QString status = request.query.queryItemValue(QStringLiteral("status"));
                   if (!status.isEmpty() && status != QLatin1String("pending")
                       && status != QLatin1String("active") && status != QLatin1String("suspended"))
                       return Response::fromError(
                               badParam(QStringLiteral("status"),
                                        QStringLiteral("must be pending, active or suspended")));
                   auto sellers = Sellers::list(shop.database().connection(), status, page->limit,
                                                page->cursor);
                   if (!sellers)
                       return Response::fromError(sellers.error());
                   QJsonArray items;
                   for (const Sellers::Seller &s : std::as_const(sellers->items))
                       items.append(sellerJson(s));
                   return Response::json(200,
                                         QJsonObject{{QStringLiteral("items"), items},
                                                     {QStringLiteral("nextCursor"),
                                                      sellers->nextCursor.isEmpty()
                                                              ? QJsonValue(QJsonValue::Null)
                                                              : QJsonValue(sellers->nextCursor)}});
               });
    router.add("POST", QStringLiteral("/api/v1/owner/sellers/{id}/approve"), Access::Seller,
               [&shop](Request &request) {
                   if (auto refused = notOwner(shop, request))
                       return *refused;
                   const QString id = request.param(QStringLiteral("id"));
                   if (auto seller = Sellers::get(shop.database().connection(), id); !seller)
                       return Response::fromError(seller.error());
                   if (auto s = shop.accounts().approveSeller(id); !s)
                       return Response::fromError(s.error());
                   auto seller = Sellers::get(shop.database().connection(), id);
                   if (!seller)
                       return Response::fromError(seller.error());
                   return Response::json(200, sellerJson(seller.value()));
               });
    router.add("POST", QStringLiteral("/api/v1/owner/sellers/{id}/suspend"), Access::Seller,
               [&shop](Request &request) {
                   if (auto refused = notOwner(shop, request))
                       return *refused;
                   auto seller
                           = Sellers::suspend(shop.database(), request.param(QStringLiteral("id")));
                   if (!seller)
                       return Response::fromError(seller.error());
                   return Response::json(200, sellerJson(seller.value()));
               });
    router.add("POST", QStringLiteral("/api/v1/owner/sellers/{id}/reinstate"), Access::Seller,
               [&shop](Request &request) {
                   if (auto refused = notOwner(shop, request))
                       return *refused;
                   auto seller = Sellers::reinstate(shop.database(),
                                                    request.param(QStringLiteral("id")));
                   if (!seller)
                       return Response::fromError(seller.error());
                   return Response::json(200, sellerJson(seller.value()));
               });
}

} // namespace Mercato
