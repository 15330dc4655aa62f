#include "discountroutes.h"

#include "jsonbody.h"
#include "router.h"

#include "model/discountcodes.h"
#include "model/shop.h"
#include "model/storeowner.h"
#include "model/taxrates.h"

#include <QJsonArray>

namespace Mercato {

using namespace Http;

namespace {

const QString kCodes = QStringLiteral("/api/v1/seller/discount-codes");

} // namespace

void registerDiscountRoutes(Router &router, Shop &shop)
{
    // ---- discount codes (each seller its own) ----
    router.add("GET", kCodes, Access::Seller, [&shop](Request &r) {
        auto page = pageParams(r);
        if (!page)
            return Response::fromError(page.error());
        auto codes = DiscountCodes::list(shop.database().connection(), r.user().userId, page->limit,
                                         page->cursor);
        if (!codes)
            return Response::fromError(codes.error());
        QJsonArray items;
        for (const DiscountCode &c : std::as_const(codes->items))
            items.append(c.toJson());
        return Response::json(
                200, QJsonObject{{QStringLiteral("items"), items},
                                 {QStringLiteral("nextCursor"),
                                  codes->nextCursor.isEmpty() ? QJsonValue()
                                                              : QJsonValue(codes->nextCursor)}});
    });
    router.add("POST", kCodes, Access::Seller, [&shop](Request &r) {
        auto body = jsonObjectBody(r);
        if (!body)
            return Response::fromError(body.error());
        auto code = DiscountCodes::fromJson(body.value());
        if (!code)
            return Response::fromError(code.error());
        auto added = DiscountCodes::add(shop.database(), r.user().userId, code.value());
        if (!added)
            return Response::fromError(added.error());
        return Response::created(kCodes + QLatin1Char('/') + added->id, added->toJson());
    });
    router.add("GET", kCodes + QStringLiteral("/{id}"), Access::Seller, [&shop](Request &r) {
        auto code = DiscountCodes::get(shop.database().connection(), r.user().userId,
                                       r.param(QStringLiteral("id")));
        return code ? Response::json(200, code->toJson()) : Response::fromError(code.error());
    });
    router.add("PATCH", kCodes + QStringLiteral("/{id}"), Access::Seller, [&shop](Request &r) {
        const QString id = r.param(QStringLiteral("id"));
        // 404 (unknown or another seller's) before the body is looked at.
        if (auto c = DiscountCodes::get(shop.database().connection(), r.user().userId, id); !c)
            return Response::fromError(c.error());
        auto body = jsonObjectBody(r);
        if (!body)
            return Response::fromError(body.error());
        auto updated = DiscountCodes::update(shop.database(), r.user().userId, id, body.value());
        return updated ? Response::json(200, updated->toJson())
                       : Response::fromError(updated.error());
    });
    router.add("DELETE", kCodes + QStringLiteral("/{id}"), Access::Seller, [&shop](Request &r) {
        auto s = DiscountCodes::remove(shop.database(), r.user().userId,
                                       r.param(QStringLiteral("id")));
        return s ? Response::noContent() : Response::fromError(s.error());
    });

    // ---- tax rates (the owner) ----
    auto notOwner = [&shop](const Request &r) -> std::optional<Response> {
        auto owner = StoreOwner::isOwner(shop.database().connection(), r.user().userId);
        if (!owner)
            return Response::fromError(owner.error());
        if (!owner.value())
            return Response::problem(403, {},
                                     QStringLiteral("only the store's owner sets tax rates"));
        return std::nullopt;
    };
    router.add("GET", QStringLiteral("/api/v1/owner/tax-rates"), Access::Seller,
               [&shop, notOwner](Request &r) {
                   if (auto refused = notOwner(r))
                       return *refused;
                   auto rates = TaxRates::load(shop.database().connection());
                   return rates ? Response::json(200, rates->toJson())
                                : Response::fromError(rates.error());
               });
    router.add("PUT", QStringLiteral("/api/v1/owner/tax-rates"), Access::Seller,
               [&shop, notOwner](Request &r) {
                   if (auto refused = notOwner(r))
                       return *refused;
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   auto table = TaxRates::fromJson(body.value());
                   if (!table)
                       return Response::fromError(table.error());
                   if (auto s = TaxRates::save(shop.database(), table.value()); !s)
                       return Response::fromError(s.error());
                   auto rates = TaxRates::load(shop.database().connection());
                   return rates ? Response::json(200, rates->toJson())
                                : Response::fromError(rates.error());
               });
}

} // namespace Mercato
