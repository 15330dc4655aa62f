#include "shippingroutes.h"

#include "jsonbody.h"
#include "router.h"

#include "model/addresses.h"
#include "model/shippingoptions.h"
#include "model/shop.h"
#include "model/storeowner.h"
#include "model/storeprofile.h"

#include <QJsonArray>

namespace Mercato {

using namespace Http;

namespace {

QJsonObject addressJson(const Address &a)
{
    QJsonObject json = a.toJson();
    json.insert(QStringLiteral("id"), a.id);
    json.insert(QStringLiteral("isDefault"), a.isDefault);
    return json;
}

std::optional<Response> notOwner(Shop &shop, const Request &request)
{
    auto owner = StoreOwner::isOwner(shop.database().connection(), request.user().userId);
    if (!owner)
        return Response::fromError(owner.error());
    if (!owner.value())
        return Response::problem(403, {},
                                 QStringLiteral("only the store's owner changes store-wide "
                                                "settings"));
    return std::nullopt;
}

QJsonObject profileJson(const StoreProfile &p, Shop &shop)
{
    return QJsonObject{
            {QStringLiteral("name"), p.name.isEmpty() ? QStringLiteral("Mercato") : p.name},
            {QStringLiteral("currency"),
             p.currency.isEmpty() ? shop.settings().configuredCurrency() : p.currency},
            {QStringLiteral("logoUrl"), p.logoUrl.isEmpty() ? QJsonValue() : QJsonValue(p.logoUrl)},
            {QStringLiteral("address"), p.address ? QJsonValue(p.address->toJson()) : QJsonValue()},
            {QStringLiteral("taxId"), p.taxId.isEmpty() ? QJsonValue() : QJsonValue(p.taxId)},
            {QStringLiteral("invoicePrefix"), p.invoicePrefix},
            {QStringLiteral("creditNotePrefix"), p.creditNotePrefix},
            {QStringLiteral("paymentInstructions"),
             p.paymentInstructions.isEmpty() ? QJsonValue() : QJsonValue(p.paymentInstructions)}};
}

} // namespace

void addStoreProfile(QJsonObject &store, Shop &shop)
{
    const QSqlDatabase db = shop.database().connection();
    auto profile = StoreProfiles::load(db);
    if (!profile)
        return;
    if (!profile->name.isEmpty())
        store.insert(QStringLiteral("name"), profile->name);
    if (!profile->currency.isEmpty())
        store.insert(QStringLiteral("currency"), profile->currency);
    if (!profile->logoUrl.isEmpty())
        store.insert(QStringLiteral("logoUrl"), profile->logoUrl);
    store.insert(QStringLiteral("address"),
                 profile->address ? QJsonValue(profile->address->toJson()) : QJsonValue());
    store.insert(QStringLiteral("taxId"),
                 profile->taxId.isEmpty() ? QJsonValue() : QJsonValue(profile->taxId));
    QJsonValue shipsTo;
    if (auto codes = ShippingOptions::shipsTo(db); codes && codes.value())
        shipsTo = QJsonArray::fromStringList(*codes.value());
    store.insert(QStringLiteral("shipsTo"), shipsTo);
}

void registerShippingRoutes(Router &router, Shop &shop)
{
    // ---- the customer's address book ----
    router.add("GET", QStringLiteral("/api/v1/me/addresses"), Access::Customer,
               [&shop](Request &r) {
                   // At most 20: one page always holds them all; limit and cursor are checked.
                   if (auto page = pageParams(r); !page)
                       return Response::fromError(page.error());
                   if (r.query.hasQueryItem(QStringLiteral("cursor")))
                       return Response::fromError(badParam(QStringLiteral("cursor"),
                                                           QStringLiteral("cursor is not valid")));
                   auto book = AddressBook::list(shop.database().connection(), r.user().userId);
                   if (!book)
                       return Response::fromError(book.error());
                   QJsonArray items;
                   for (const Address &a : std::as_const(book.value()))
                       items.append(addressJson(a));
                   return Response::json(200,
                                         QJsonObject{{QStringLiteral("items"), items},
                                                     {QStringLiteral("nextCursor"), QJsonValue()}});
               });
    router.add("POST", QStringLiteral("/api/v1/me/addresses"), Access::Customer,
               [&shop](Request &r) {
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   auto address = addressFromJson(body.value());
                   const QJsonValue isDefault = body->value(QStringLiteral("isDefault"));
                   if (body->contains(QStringLiteral("isDefault")) && !isDefault.isBool()) {
                       Error e = address ? Error{ErrorCode::Validation, {}, {}} : address.error();
                       e.fields.append({QStringLiteral("isDefault"),
                                        QStringLiteral("isDefault must be true or false")});
                       e.detail = e.fields.first().message;
                       return Response::fromError(e);
                   }
                   if (!address)
                       return Response::fromError(address.error());
                   auto added = AddressBook::add(shop.database(), r.user().userId, address.value(),
                                                 isDefault.toBool(false));
                   if (!added)
                       return Response::fromError(added.error());
                   return Response::created(QStringLiteral("/api/v1/me/addresses/") + added->id,
                                            addressJson(added.value()));
               });
    router.add("PATCH", QStringLiteral("/api/v1/me/addresses/{id}"), Access::Customer,
               [&shop](Request &r) {
                   const QString id = r.param(QStringLiteral("id"));
                   // 404 (unknown or another customer's) before the body is looked at.
                   if (auto a = AddressBook::get(shop.database().connection(), r.user().userId, id);
                       !a)
                       return Response::fromError(a.error());
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   auto updated = AddressBook::update(shop.database(), r.user().userId, id,
                                                      body.value());
                   return updated ? Response::json(200, addressJson(updated.value()))
                                  : Response::fromError(updated.error());
               });
    router.add("DELETE", QStringLiteral("/api/v1/me/addresses/{id}"), Access::Customer,
               [&shop](Request &r) {
                   auto s = AddressBook::remove(shop.database(), r.user().userId,
                                                r.param(QStringLiteral("id")));
                   return s ? Response::noContent() : Response::fromError(s.error());
               });

    // ---- shipping options ----
    router.add(
            "GET", QStringLiteral("/api/v1/shipping-options"), Access::Public, [&shop](Request &r) {
                QString country;
                if (r.query.hasQueryItem(QStringLiteral("country"))) {
                    country = r.query.queryItemValue(QStringLiteral("country"), QUrl::FullyDecoded);
                    if (!isCountryCode(country))
                        return Response::fromError(
                                badParam(QStringLiteral("country"),
                                         QStringLiteral("country must be an assigned ISO 3166-1 "
                                                        "alpha-2 code in upper case")));
                }
                auto options = ShippingOptions::list(shop.database().connection(), country);
                if (!options)
                    return Response::fromError(options.error());
                QJsonArray items;
                for (const ShippingOption &o : std::as_const(options.value()))
                    items.append(o.toJson());
                return Response::json(200, QJsonObject{{QStringLiteral("items"), items}});
            });
    router.add("POST", QStringLiteral("/api/v1/owner/shipping-options"), Access::Seller,
               [&shop](Request &r) {
                   if (auto refused = notOwner(shop, r))
                       return *refused;
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   auto option = ShippingOptions::fromJson(body.value());
                   if (!option)
                       return Response::fromError(option.error());
                   auto added = ShippingOptions::add(shop.database(), option.value());
                   if (!added)
                       return Response::fromError(added.error());
                   return Response::created(QStringLiteral("/api/v1/owner/shipping-options/")
                                                    + added->id,
                                            added->toJson());
               });
    router.add("PATCH", QStringLiteral("/api/v1/owner/shipping-options/{id}"), Access::Seller,
               [&shop](Request &r) {
                   if (auto refused = notOwner(shop, r))
                       return *refused;
                   const QString id = r.param(QStringLiteral("id"));
                   if (auto o = ShippingOptions::get(shop.database().connection(), id); !o)
                       return Response::fromError(o.error());
                   auto body = jsonObjectBody(r);
                   if (!body)
                       return Response::fromError(body.error());
                   auto updated = ShippingOptions::update(shop.database(), id, body.value());
                   return updated ? Response::json(200, updated->toJson())
                                  : Response::fromError(updated.error());
               });
    router.add("DELETE", QStringLiteral("/api/v1/owner/shipping-options/{id}"), Access::Seller,
               [&shop](Request &r) {
                   if (auto refused = notOwner(shop, r))
                       return *refused;
                   auto s = ShippingOptions::remove(shop.database(), r.param(QStringLiteral("id")));
                   return s ? Response::noContent() : Response::fromError(s.error());
               });

    // ---- the store's profile ----
    router.add("PATCH", QStringLiteral("/api/v1/owner/store"), Access::Seller, [&shop](Request &r) {
        if (auto refused = notOwner(shop, r))
            return *refused;
        auto body = jsonObjectBody(r);
        if (!body)
            return Response::fromError(body.error());
        auto profile = shop.updateStoreProfile(body.value());
        if (!profile)
            return Response::fromError(profile.error());
        QJsonObject json = profileJson(profile.value(), shop);
        QJsonValue shipsTo;
        if (auto codes = ShippingOptions::shipsTo(shop.database().connection());
            codes && codes.value())
            shipsTo = QJsonArray::fromStringList(*codes.value());
        json.insert(QStringLiteral("shipsTo"), shipsTo);
        return Response::json(200, json);
    });
}

} // namespace Mercato
