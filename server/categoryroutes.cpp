#include "categoryroutes.h"

#include "jsonbody.h"
#include "router.h"

#include "model/categories.h"
#include "model/shop.h"
#include "model/storeowner.h"

#include <QJsonArray>

namespace Mercato {

using namespace Http;

namespace {

QJsonObject categoryJson(const Categories::Category &c)
{
    return QJsonObject{{QStringLiteral("id"), c.id},
                       {QStringLiteral("name"), c.name},
                       {QStringLiteral("slug"), c.slug},
                       {QStringLiteral("parentId"), c.parentId.isEmpty()
                                                            ? QJsonValue(QJsonValue::Null)
                                                            : QJsonValue(c.parentId)},
                       {QStringLiteral("productCount"), c.productCount}};
}

QString categoryLocation(const QString &id)
{
    return QStringLiteral("/api/v1/categories/") + id;
}

// The caller is the store's owner, else the 403 to answer.
std::optional<Response> notOwner(Shop &shop, const Request &request)
{
    auto owner = StoreOwner::isOwner(shop.database().connection(), request.user().userId);
    if (!owner)
        return Response::fromError(owner.error());
    if (!owner.value())
        return Response::problem(403, {},
                                 QStringLiteral("only the store's owner manages categories"));
    return std::nullopt;
}

Response listCategories(Shop &shop)
{
    // Any commit changes the stamp, so a cached answer is one the database still gives.
    const QString key = QStringLiteral("categories");
    const std::optional<QByteArray> stamp = shop.readCache().stamp();
    if (stamp) {
        if (auto answer = shop.readCache().find(key, *stamp))
            return Response::text(200, *answer, "application/json");
    }
    auto all = Categories::all(shop.database().connection());
    if (!all)
        return Response::fromError(all.error());
    QJsonArray items;
    for (const Categories::Category &c : std::as_const(all.value()))
        items.append(categoryJson(c));
    Response response = Response::json(200, QJsonObject{{QStringLiteral("items"), items}});
    if (stamp)
        shop.readCache().store(key, *stamp, response.body);
    return response;
}

Response getCategory(Shop &shop, const Request &request)
{
    const QString id = request.param(QStringLiteral("id"));
    auto c = Categories::get(shop.database().connection(), id);
    if (!c)
        return Response::fromError(c.error());
    return Response::json(200, categoryJson(c.value()));
}

Response createCategory(Shop &shop, const Request &request)
{
    if (auto refused = notOwner(shop, request))
        return *refused;
    auto body = jsonObjectBody(request);
    if (!body)
        return Response::fromError(body.error());
    FieldReader f(body.value());
    const auto name = f.string(QStringLiteral("name"), Need::Required, 1, Categories::kNameMax);
    const auto parent = categoryIdField(body.value(), QStringLiteral("parentId"), f);
    if (!f.ok())
        return Response::fromError(f.error());
    auto created = Categories::create(shop.database(), *name, parent.value_or(QString()));
    if (!created)
        return Response::fromError(created.error());
    return Response::created(categoryLocation(created->id), categoryJson(created.value()));
}

Response patchCategory(Shop &shop, const Request &request)
{
    if (auto refused = notOwner(shop, request))
        return *refused;
    const QString id = request.param(QStringLiteral("id"));
    if (auto known = Categories::get(shop.database().connection(), id); !known)
        return Response::fromError(known.error());
    auto body = jsonObjectBody(request);
    if (!body)
        return Response::fromError(body.error());
    FieldReader f(body.value());
    Categories::Change change;
    change.name = f.string(QStringLiteral("name"), Need::Optional, 1, Categories::kNameMax);
    if (body->contains(QStringLiteral("name")) && body->value(QStringLiteral("name")).isNull())
        f.fail(QStringLiteral("name"), QStringLiteral("must not be null"));
    change.parentId = categoryIdField(body.value(), QStringLiteral("parentId"), f);
    if (!f.ok())
        return Response::fromError(f.error());
    auto updated = Categories::update(shop.database(), id, change);
    if (!updated)
        return Response::fromError(updated.error());
    return Response::json(200, categoryJson(updated.value()));
}

Response deleteCategory(Shop &shop, const Request &request)
{
    if (auto refused = notOwner(shop, request))
        return *refused;
    if (auto s = Categories::remove(shop.database(), request.param(QStringLiteral("id"))); !s)
        return Response::fromError(s.error());
    return Response::noContent(204);
}

} // namespace

std::optional<QString> categoryIdField(const QJsonObject &body, const QString &name,
                                       Http::FieldReader &f)
{
    if (!body.contains(name))
        return std::nullopt;
    const QJsonValue v = body.value(name);
    if (v.isNull())
        return QString();
    if (!v.isString() || v.toString().isEmpty() || v.toString().size() > Categories::kIdMax) {
        f.fail(name, v.isString() ? QStringLiteral("no such category")
                                  : QStringLiteral("must be a category's id or null"));
        return std::nullopt;
    }
    return v.toString();
}

void registerCategoryRoutes(Router &router, Shop &shop)
{
    Shop *s = &shop;
    const QString categories = QStringLiteral("/api/v1/categories");
    router.add("GET", categories, Access::Public, [s](Request &) { return listCategories(*s); });
    router.add("POST", categories, Access::Seller,
               [s](Request &r) { return createCategory(*s, r); });
    router.add("GET", categories + QStringLiteral("/{id}"), Access::Public,
               [s](Request &r) { return getCategory(*s, r); });
    router.add("PATCH", categories + QStringLiteral("/{id}"), Access::Seller,
               [s](Request &r) { return patchCategory(*s, r); });
    router.add("DELETE", categories + QStringLiteral("/{id}"), Access::Seller,
               [s](Request &r) { return deleteCategory(*s, r); });
}

} // namespace Mercato
