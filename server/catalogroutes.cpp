#include "catalogroutes.h"
#include "categoryroutes.h"

#include "jsonbody.h"
#include "metrics.h"
#include "uploadpart.h"

#include "model/catalog.h"
#include "model/categories.h"
#include "model/clock.h"
#include "model/shop.h"

#include <QUrl>

#include <cmath>

namespace Mercato {

using namespace Http;

namespace {

QJsonValue ratingAverage(const Product &p)
{
    if (p.ratingCount == 0)
        return QJsonValue(QJsonValue::Null);
    return std::round(double(p.ratingSum) * 100.0 / double(p.ratingCount)) / 100.0;
}

QJsonObject imageJson(const ProductImage &img)
{
    return QJsonObject{{QStringLiteral("id"), img.id}, {QStringLiteral("url"), img.url}};
}

Response productResponse(int status, const Product &p, const QString &currency)
{
    Response r = Response::json(status, productJson(p, currency));
    r.setHeader("ETag", p.etag().toUtf8());
    return r;
}

QString productLocation(const QString &id)
{
    return QStringLiteral("/api/v1/products/") + id;
}

// A query value decoded as a form would send it (`+` is a space).
QString textParam(const Request &request, const QString &name)
{
    QString raw = request.query.queryItemValue(name, QUrl::FullyEncoded);
    raw.replace(QLatin1Char('+'), QStringLiteral("%20"));
    return QUrl::fromPercentEncoding(raw.toUtf8());
}

Result<ProductSort> sortParam(const Request &request)
{
    const QString v = request.query.queryItemValue(QStringLiteral("sort"));
    if (v == QLatin1String("relevance"))
        return ProductSort::Relevance;
    if (v == QLatin1String("newest"))
        return ProductSort::Newest;
    if (v == QLatin1String("price"))
        return ProductSort::Price;
    if (v == QLatin1String("-price"))
        return ProductSort::PriceDesc;
    if (v == QLatin1String("rating"))
        return ProductSort::Rating;
    return badParam(QStringLiteral("sort"),
                    QStringLiteral("must be one of relevance, newest, price, -price, rating"));
}

// The owner's live product, or the 404 that hides another seller's.
Result<Product> ownedProduct(Shop &shop, const Request &request)
{
    auto p = shop.catalog().get(request.param(QStringLiteral("id")));
    if (!p)
        return p;
    if (p->sellerId != request.user().userId)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    return p;
}

Response listProducts(Shop &shop, const Request &request)
{
    auto page = pageParams(request);
    if (!page)
        return Response::fromError(page.error());
    ProductQuery query;
    query.limit = page->limit;
    query.cursor = page->cursor;
    query.text = textParam(request, QStringLiteral("q"));
    if (query.text.size() > 500)
        return Response::fromError(
                badParam(QStringLiteral("q"), QStringLiteral("must be at most 500 characters")));
    query.sellerId = textParam(request, QStringLiteral("sellerId"));
    if (query.sellerId.size() > 100)
        return Response::fromError(
                badParam(QStringLiteral("sellerId"), QStringLiteral("is not an id")));
    auto minPrice
            = intParam(request, QStringLiteral("minPriceCents"), 0, ProductLimits::kPriceMax * 100);
    if (!minPrice)
        return Response::fromError(minPrice.error());
    auto maxPrice
            = intParam(request, QStringLiteral("maxPriceCents"), 0, ProductLimits::kPriceMax * 100);
    if (!maxPrice)
        return Response::fromError(maxPrice.error());
    query.minPriceCents = minPrice.value();
    query.maxPriceCents = maxPrice.value();
    auto inStock = boolParam(request, QStringLiteral("inStock"));
    if (!inStock)
        return Response::fromError(inStock.error());
    query.inStock = inStock.value();
    query.categoryId = textParam(request, QStringLiteral("categoryId"));
    if (query.categoryId.size() > Categories::kIdMax)
        return Response::fromError(
                badParam(QStringLiteral("categoryId"), QStringLiteral("is not an id")));
    if (request.query.hasQueryItem(QStringLiteral("sort"))) {
        auto sort = sortParam(request);
        if (!sort)
            return Response::fromError(sort.error());
        query.sort = sort.value();
    }
    // The same public question is answered from the cache while the database is unchanged
    // (the stamp is taken before the read, so a change during it makes the entry stale).
    const QString key = QString::number(query.limit) + QLatin1Char('\n') + query.cursor
                        + QLatin1Char('\n') + query.text + QLatin1Char('\n') + query.sellerId
                        + QLatin1Char('\n') + QString::number(query.minPriceCents.value_or(-1))
                        + QLatin1Char('\n') + QString::number(query.maxPriceCents.value_or(-1))
                        + QLatin1Char('\n')
                        + QString::number(query.inStock ? int(*query.inStock) : -1)
                        + QLatin1Char('\n') + QString::number(query.sort ? int(*query.sort) : -1)
                        + QLatin1Char('\n') + query.categoryId;
    const std::optional<QByteArray> stamp = shop.readCache().stamp();
    if (stamp) {
        if (auto answer = shop.readCache().find(key, *stamp))
            return Response::text(200, *answer, "application/json");
    }
    auto result = shop.catalog().list(query);
    if (!result)
        return Response::fromError(result.error());
    QJsonArray items;
    for (const Product &p : result->items)
        items.append(productJson(p, shop.settings().storeCurrency()));
    Response response = Response::json(
            200, QJsonObject{{QStringLiteral("items"), items},
                             {QStringLiteral("nextCursor"),
                              result->nextCursor.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                           : QJsonValue(result->nextCursor)}});
    if (stamp)
        shop.readCache().store(key, *stamp, response.body);
    return response;
}

Response createProduct(Shop &shop, const Request &request)
{
    auto body = jsonObjectBody(request);
    if (!body)
        return Response::fromError(body.error());
    FieldReader f(body.value());
    NewProduct in;
    const auto name = f.string(QStringLiteral("name"), Need::Required, 1, ProductLimits::kNameMax);
    const auto description = f.string(QStringLiteral("description"), Need::Optional, 0,
                                      ProductLimits::kDescriptionMax);
    const auto price = f.integer(QStringLiteral("priceCents"), Need::Required,
                                 ProductLimits::kPriceMin, ProductLimits::kPriceMax);
    const auto stock
            = f.integer(QStringLiteral("stock"), Need::Optional, 0, ProductLimits::kStockMax);
    const auto threshold = f.integer(QStringLiteral("lowStockThreshold"), Need::Optional, 0,
                                     ProductLimits::kThresholdMax);
    const auto category = categoryIdField(body.value(), QStringLiteral("categoryId"), f);
    if (!f.ok())
        return Response::fromError(f.error());
    in.name = *name;
    in.description = description.value_or(QString());
    in.priceCents = *price;
    in.stock = stock.value_or(0);
    in.lowStockThreshold = threshold;
    in.categoryId = category.value_or(QString());
    auto created = shop.catalog().create(request.user().userId, in);
    if (!created)
        return Response::fromError(created.error());
    Response r = productResponse(201, created.value(), shop.settings().storeCurrency());
    r.setHeader("Location", productLocation(created->id).toUtf8());
    return r;
}

Response getProduct(Shop &shop, const Request &request)
{
    auto p = shop.catalog().get(request.param(QStringLiteral("id")));
    if (!p)
        return Response::fromError(p.error());
    const QByteArray etag = p->etag().toUtf8();
    const QByteArray inm = request.header("if-none-match");
    if (!inm.isEmpty()) {
        for (const QByteArray &tag : inm.split(',')) {
            const QByteArray t = tag.trimmed();
            if (t == "*" || t == etag || t == "W/" + etag) {
                Response r = Response::noContent(304);
                r.setHeader("ETag", etag);
                return r;
            }
        }
    }
    return productResponse(200, p.value(), shop.settings().storeCurrency());
}

Response patchProduct(Shop &shop, const Request &request)
{
    auto current = ownedProduct(shop, request);
    if (!current)
        return Response::fromError(current.error());
    auto body = jsonObjectBody(request);
    if (!body)
        return Response::fromError(body.error());
    FieldReader f(body.value());
    ProductChanges changes;
    changes.name = f.string(QStringLiteral("name"), Need::Optional, 1, ProductLimits::kNameMax);
    changes.description = f.string(QStringLiteral("description"), Need::Optional, 0,
                                   ProductLimits::kDescriptionMax);
    changes.priceCents = f.integer(QStringLiteral("priceCents"), Need::Optional,
                                   ProductLimits::kPriceMin, ProductLimits::kPriceMax);
    changes.stock = f.integer(QStringLiteral("stock"), Need::Optional, 0, ProductLimits::kStockMax);
    changes.lowStockThreshold = f.integer(QStringLiteral("lowStockThreshold"), Need::Optional, 0,
                                          ProductLimits::kThresholdMax);
    changes.categoryId = categoryIdField(body.value(), QStringLiteral("categoryId"), f);
    // An explicit null is not a value for any of these fields.
    for (const QString &key :
         {QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("priceCents"),
          QStringLiteral("stock"), QStringLiteral("lowStockThreshold")}) {
        if (body->contains(key) && body->value(key).isNull())
            f.fail(key, QStringLiteral("must not be null"));
    }
    if (!f.ok())
        return Response::fromError(f.error());
    auto updated = shop.catalog().update(request.user().userId, current->id, changes,
                                         QString::fromUtf8(request.header("if-match")));
    if (!updated)
        return Response::fromError(updated.error());
    return productResponse(200, updated.value(), shop.settings().storeCurrency());
}

Response deleteProduct(Shop &shop, const Request &request)
{
    auto s = shop.catalog().remove(request.user().userId, request.param(QStringLiteral("id")),
                                   QString::fromUtf8(request.header("if-match")));
    if (!s)
        return Response::fromError(s.error());
    return Response::noContent(204);
}

Response adjustStock(Shop &shop, const Request &request)
{
    auto current = ownedProduct(shop, request);
    if (!current)
        return Response::fromError(current.error());
    auto body = jsonObjectBody(request);
    if (!body)
        return Response::fromError(body.error());
    FieldReader f(body.value());
    const auto delta = f.integer(QStringLiteral("delta"), Need::Required, -ProductLimits::kStockMax,
                                 ProductLimits::kStockMax);
    const auto reason = f.string(QStringLiteral("reason"), Need::Required, 1, 500);
    if (delta && *delta == 0)
        f.fail(QStringLiteral("delta"), QStringLiteral("must not be 0"));
    if (!f.ok())
        return Response::fromError(f.error());
    auto p = shop.catalog().adjustStock(request.user().userId, current->id, *delta, *reason);
    if (!p)
        return Response::fromError(p.error());
    return productResponse(200, p.value(), shop.settings().storeCurrency());
}

Response sellerInventory(Shop &shop, const Request &request)
{
    auto page = pageParams(request);
    if (!page)
        return Response::fromError(page.error());
    auto low = boolParam(request, QStringLiteral("lowStock"));
    if (!low)
        return Response::fromError(low.error());
    InventoryQuery query;
    query.sellerId = request.user().userId;
    query.lowStockOnly = low->value_or(false);
    query.limit = page->limit;
    query.cursor = page->cursor;
    auto result = shop.catalog().inventory(query);
    if (!result)
        return Response::fromError(result.error());
    QJsonArray items;
    for (const Product &p : result->items) {
        items.append(QJsonObject{{QStringLiteral("id"), p.id},
                                 {QStringLiteral("name"), p.name},
                                 {QStringLiteral("priceCents"), p.priceCents},
                                 {QStringLiteral("currency"), shop.settings().storeCurrency()},
                                 {QStringLiteral("stock"), p.stock},
                                 {QStringLiteral("lowStockThreshold"), p.lowStockThreshold},
                                 {QStringLiteral("lowStock"), p.lowStock()},
                                 {QStringLiteral("inStock"), p.inStock()},
                                 {QStringLiteral("updatedAt"), Clock::toRfc3339(p.updatedAt)}});
    }
    return Response::json(
            200, QJsonObject{{QStringLiteral("items"), items},
                             {QStringLiteral("nextCursor"),
                              result->nextCursor.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                           : QJsonValue(result->nextCursor)}});
}

Response uploadImage(Shop &shop, const Request &request)
{
    auto current = ownedProduct(shop, request);
    if (!current)
        return Response::fromError(current.error());
    auto file = imageUpload(request);
    if (!file)
        return Response::fromError(file.error());
    auto image = shop.catalog().addImage(request.user().userId, current->id, file->bytes,
                                         file->declaredType);
    if (!image)
        return Response::fromError(image.error());
    Response r = Response::json(201, imageJson(image.value()));
    r.setHeader("Location", image->url.toUtf8());
    return r;
}

Response deleteImage(Shop &shop, const Request &request)
{
    auto s = shop.catalog().removeImage(request.user().userId, request.param(QStringLiteral("id")),
                                        request.param(QStringLiteral("imageId")));
    if (!s)
        return Response::fromError(s.error());
    shop.catalog().retryMediaDeletions(5); // earlier failures, while we are at it
    return Response::noContent(204);
}

} // namespace

QJsonObject productJson(const Product &p, const QString &currency)
{
    QJsonArray images;
    for (const ProductImage &img : p.images)
        images.append(imageJson(img));
    return QJsonObject{
            {QStringLiteral("id"), p.id},
            {QStringLiteral("sellerId"), p.sellerId},
            {QStringLiteral("sellerName"), p.sellerName},
            {QStringLiteral("name"), p.name},
            {QStringLiteral("description"), p.description},
            {QStringLiteral("priceCents"), p.priceCents},
            {QStringLiteral("currency"), currency},
            {QStringLiteral("stock"), p.stock},
            {QStringLiteral("inStock"), p.inStock()},
            {QStringLiteral("lowStockThreshold"), p.lowStockThreshold},
            {QStringLiteral("images"), images},
            {QStringLiteral("rating"), QJsonObject{{QStringLiteral("average"), ratingAverage(p)},
                                                   {QStringLiteral("count"), p.ratingCount}}},
            {QStringLiteral("createdAt"), Clock::toRfc3339(p.createdAt)},
            {QStringLiteral("updatedAt"), Clock::toRfc3339(p.updatedAt)},
            {QStringLiteral("categoryId"),
             p.categoryId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(p.categoryId)}};
}

void registerCatalogRoutes(Router &router, Shop &shop)
{
    Shop *s = &shop;
    const QString products = QStringLiteral("/api/v1/products");
    router.add("GET", products, Access::Public, [s](Request &r) { return listProducts(*s, r); });
    router.add("POST", products, Access::Seller, [s](Request &r) { return createProduct(*s, r); });
    router.add("GET", products + QStringLiteral("/{id}"), Access::Public,
               [s](Request &r) { return getProduct(*s, r); });
    router.add("PATCH", products + QStringLiteral("/{id}"), Access::Seller,
               [s](Request &r) { return patchProduct(*s, r); });
    router.add("DELETE", products + QStringLiteral("/{id}"), Access::Seller,
               [s](Request &r) { return deleteProduct(*s, r); });
    router.add("POST", products + QStringLiteral("/{id}/stock-adjustments"), Access::Seller,
               [s](Request &r) { return adjustStock(*s, r); });
    router.add(
            "POST", products + QStringLiteral("/{id}/images"), Access::Seller,
            [s](Request &r) { return uploadImage(*s, r); }, kImageBodyLimit);
    router.add("DELETE", products + QStringLiteral("/{id}/images/{imageId}"), Access::Seller,
               [s](Request &r) { return deleteImage(*s, r); });
    router.add("GET", QStringLiteral("/api/v1/seller/inventory"), Access::Seller,
               [s](Request &r) { return sellerInventory(*s, r); });
}

void addCatalogCacheMetrics(Shop &shop, Metrics &metrics)
{
    ReadCache *cache = &shop.readCache();
    using Values = std::vector<std::pair<QString, double>>;
    metrics.addGauge(QStringLiteral("mercato_catalog_cache_bytes"),
                     QStringLiteral("Bytes of catalogue answers kept for reuse, all API workers "
                                    "together (at most MERCATO_CATALOG_CACHE_MIB each)."),
                     [cache] {
                         return Values{{QString(), double(cache->bytes())}};
                     });
    metrics.addGauge(QStringLiteral("mercato_catalog_cache_hits_total"),
                     QStringLiteral("Catalogue reads answered from the cache."), [cache] {
                         return Values{{QString(), double(cache->hits())}};
                     });
    metrics.addGauge(QStringLiteral("mercato_catalog_cache_misses_total"),
                     QStringLiteral("Catalogue reads the cache could not answer."), [cache] {
                         return Values{{QString(), double(cache->misses())}};
                     });
    metrics.addGauge(QStringLiteral("mercato_catalog_cache_evictions_total"),
                     QStringLiteral("Catalogue answers dropped to stay within the cache's budget."),
                     [cache] {
                         return Values{{QString(), double(cache->evictions())}};
                     });
}

} // namespace Mercato
