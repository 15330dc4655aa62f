#include "storefrontroutes.h"

#include "shippingroutes.h"

#include "model/catalog.h"
#include "model/shop.h"
#include "model/storedetails.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QUrl>

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <optional>

Q_LOGGING_CATEGORY(lcStorefront, "mercato.server.storefront")

namespace Mercato {

using namespace Http;

namespace {

QByteArray gzip(const QByteArray &data)
{
    z_stream zs{};
    // windowBits 15 + 16: a gzip wrapper instead of zlib's.
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(static_cast<qsizetype>(deflateBound(&zs, static_cast<uLong>(data.size()))),
                   '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    const auto written = static_cast<qsizetype>(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return {};
    out.truncate(written);
    return out;
}

QByteArray mimeFor(const QString &name)
{
    static const QHash<QString, QByteArray> types{
            {QStringLiteral("html"), "text/html; charset=utf-8"},
            {QStringLiteral("js"), "text/javascript; charset=utf-8"},
            {QStringLiteral("css"), "text/css; charset=utf-8"},
            {QStringLiteral("svg"), "image/svg+xml"},
            {QStringLiteral("json"), "application/json"},
            {QStringLiteral("webmanifest"), "application/manifest+json"},
            {QStringLiteral("png"), "image/png"},
            {QStringLiteral("ico"), "image/x-icon"},
            {QStringLiteral("woff2"), "font/woff2"},
    };
    return types.value(name.section(QLatin1Char('.'), -1), "application/octet-stream");
}

bool compressible(const QByteArray &mime)
{
    return mime.startsWith("text/") || mime.startsWith("image/svg") || mime.contains("json");
}

struct Asset
{
    QByteArray body;
    QByteArray gzipped; // empty when gzip does not pay
    QByteArray mime;
    QByteArray etag; // of the identity body; the gzip variant adds "-gz"
};

// Everything under :/storefront, read and compressed once; immutable afterwards, so the
// worker threads share it without locks.
class AssetBundle
{
public:
    AssetBundle()
    {
        QHash<QString, QByteArray> files;
        QStringList names;
        QDirIterator it(QStringLiteral(":/storefront"), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            const QString name = path.mid(QStringLiteral(":/storefront/").size());
            files.insert(name, f.readAll());
            names.append(name);
        }
        std::sort(names.begin(), names.end());
        // One version for the whole set: a module's relative imports stay inside it, so a
        // changed file anywhere gives every asset a new URL.
        QCryptographicHash all(QCryptographicHash::Sha256);
        for (const QString &n : names) {
            all.addData(n.toUtf8());
            all.addData(files.value(n));
        }
        m_version = QString::fromLatin1(all.result().toHex().left(12));
        const QByteArray prefix = "/assets/" + m_version.toLatin1();
        for (const QString &n : names) {
            Asset a;
            a.body = files.value(n);
            if (n.endsWith(QLatin1String(".html")))
                a.body.replace("%ASSETS%", prefix);
            a.mime = mimeFor(n);
            a.etag = '"'
                     + QCryptographicHash::hash(a.body, QCryptographicHash::Sha256)
                               .left(15)
                               .toBase64(QByteArray::Base64UrlEncoding)
                     + '"';
            if (compressible(a.mime) && a.body.size() > 256) {
                const QByteArray z = gzip(a.body);
                if (!z.isEmpty() && z.size() < a.body.size())
                    a.gzipped = z;
            }
            m_assets.insert(n, a);
        }
        qCInfo(lcStorefront) << "storefront:" << m_assets.size() << "files, version" << m_version;
    }

    QString version() const { return m_version; }
    const Asset *find(const QString &name) const
    {
        auto it = m_assets.constFind(name);
        return it == m_assets.constEnd() ? nullptr : &it.value();
    }

private:
    QString m_version;
    QHash<QString, Asset> m_assets;
};

bool acceptsGzip(const Request &request)
{
    const QByteArray ae = request.header("accept-encoding").toLower();
    for (const QByteArray &part : ae.split(',')) {
        const QList<QByteArray> bits = part.trimmed().split(';');
        if (bits.first().trimmed() != "gzip")
            continue;
        for (qsizetype i = 1; i < bits.size(); ++i) {
            const QByteArray p = bits.at(i).trimmed();
            if (p.startsWith("q=") && p.mid(2).toDouble() <= 0.0)
                return false;
        }
        return true;
    }
    return false;
}

bool acceptsHtml(const Request &request)
{
    return request.header("accept").toLower().contains("text/html");
}

struct Policy
{
    QByteArray csp;
};

Policy makePolicy(const StorefrontOptions &options)
{
    const bool stripe = !options.stripePublishableKey.isEmpty();
    QByteArray csp = "default-src 'self'; script-src 'self'";
    if (stripe)
        csp += " https://js.stripe.com";
    csp += "; style-src 'self'; img-src 'self' data: blob: https:; font-src 'self'; connect-src "
           "'self'";
    if (stripe)
        csp += " https://api.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com";
    else
        csp += "; frame-src 'none'";
    csp += "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    return Policy{csp};
}

void addSecurityHeaders(Response &r, const Policy &policy)
{
    r.setHeader("Content-Security-Policy", policy.csp);
    r.setHeader("X-Content-Type-Options", "nosniff");
    r.setHeader("Referrer-Policy", "same-origin");
    r.setHeader("X-Frame-Options", "DENY");
}

Response serveAsset(const Request &request, const Asset &asset, int status,
                    const QByteArray &cacheControl, const Policy &policy)
{
    const bool gz = !asset.gzipped.isEmpty() && acceptsGzip(request);
    const QByteArray etag = gz ? asset.etag.left(asset.etag.size() - 1) + "-gz\"" : asset.etag;
    Response r;
    const QByteArray inm = request.header("if-none-match");
    bool notModified = false;
    if (status == 200 && !inm.isEmpty()) {
        for (const QByteArray &tag : inm.split(',')) {
            QByteArray t = tag.trimmed();
            if (t.startsWith("W/"))
                t = t.mid(2);
            if (t == "*" || t == etag) {
                notModified = true;
                break;
            }
        }
    }
    if (notModified) {
        r = Response::noContent(304);
    } else {
        r = Response::text(status, gz ? asset.gzipped : asset.body, asset.mime);
        if (gz)
            r.setHeader("Content-Encoding", "gzip");
    }
    if (status == 200)
        r.setHeader("ETag", etag);
    r.setHeader("Cache-Control", cacheControl);
    if (!asset.gzipped.isEmpty())
        r.setHeader("Vary", "Accept-Encoding");
    addSecurityHeaders(r, policy);
    return r;
}

const QByteArray kRevalidate = "no-cache";
const QByteArray kImmutable = "public, max-age=31536000, immutable";

Response notFound(const Request &request, const AssetBundle &bundle, const Policy &policy)
{
    // An API client never gets HTML: only a request that asks for it, outside /api.
    const bool api = request.path == QLatin1String("/api")
                     || request.path.startsWith(QLatin1String("/api/"));
    if (!api && acceptsHtml(request)) {
        if (const Asset *page = bundle.find(QStringLiteral("404.html")))
            return serveAsset(request, *page, 404, kRevalidate, policy);
    }
    return Response::problem(404, {}, QStringLiteral("no such resource"));
}

bool isShopPage(const QString &path)
{
    return path == QLatin1String("/shop") || path.startsWith(QLatin1String("/shop/"))
           || path == QLatin1String("/reset-password");
}

QJsonObject storeJson(Shop &shop)
{
    const StoreSettings &s = shop.settings();
    QString name = QStringLiteral("Mercato");
    QString description;
    QJsonValue logo(QJsonValue::Null);
    if (auto details = loadStoreDetails(shop.database()); details) {
        if (!details->name.isEmpty()) {
            name = details->name;
            description = details->description;
        }
        if (!details->logoUrl.isEmpty())
            logo = details->logoUrl;
    }
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("description"), description},
                       {QStringLiteral("currency"), s.currency},
                       {QStringLiteral("logoUrl"), logo},
                       {QStringLiteral("dailyCoins"), s.dailyCoins},
                       {QStringLiteral("coinValueCents"), s.coinValueCents},
                       {QStringLiteral("maxCoinDiscountPercent"), s.maxCoinDiscountPercent}};
}

// Text for an HTML attribute or element: & < > " escaped.
QByteArray htmlText(const QString &text)
{
    return text.toHtmlEscaped().toUtf8();
}

// The product's page as the server sends it: index.html with the product's title, description,
// Open Graph tags and schema.org Product JSON-LD in its head, for link previews and search
// engines that run no JavaScript. Null when there is no such product on sale.
std::optional<Asset> productPage(Shop &shop, const Asset &index, const QString &id)
{
    auto product = shop.catalog().get(id);
    if (!product)
        return std::nullopt;
    const Product &p = product.value();
    const QString storeName = storeJson(shop).value(QStringLiteral("name")).toString();
    const QString currency = shop.settings().currency;
    const QString base = shop.settings().publicUrl;
    const QString price = QString::number(static_cast<double>(p.priceCents) / 100.0, 'f', 2);
    const QString url = base + QStringLiteral("/shop/products/")
                        + QString::fromUtf8(QUrl::toPercentEncoding(p.id));
    QString image;
    if (!p.images.isEmpty())
        image = p.images.first().url.startsWith(QLatin1Char('/')) ? base + p.images.first().url
                                                                  : p.images.first().url;
    QString description = p.description.simplified();
    if (description.size() > 200)
        description = description.left(197) + QStringLiteral("…");
    if (description.isEmpty())
        description = p.name;

    QJsonObject offer{{QStringLiteral("@type"), QStringLiteral("Offer")},
                      {QStringLiteral("price"), price},
                      {QStringLiteral("priceCurrency"), currency},
                      {QStringLiteral("url"), url},
                      {QStringLiteral("availability"),
                       p.stock > 0 ? QStringLiteral("https://schema.org/InStock")
                                   : QStringLiteral("https://schema.org/OutOfStock")}};
    QJsonObject ld{{QStringLiteral("@context"), QStringLiteral("https://schema.org")},
                   {QStringLiteral("@type"), QStringLiteral("Product")},
                   {QStringLiteral("name"), p.name},
                   {QStringLiteral("description"), description},
                   {QStringLiteral("sku"), p.id},
                   {QStringLiteral("offers"), offer}};
    if (!image.isEmpty())
        ld.insert(QStringLiteral("image"), QJsonArray{image});
    if (p.ratingCount > 0)
        ld.insert(
                QStringLiteral("aggregateRating"),
                QJsonObject{{QStringLiteral("@type"), QStringLiteral("AggregateRating")},
                            {QStringLiteral("ratingValue"),
                             static_cast<double>(p.ratingSum) / static_cast<double>(p.ratingCount)},
                            {QStringLiteral("reviewCount"), p.ratingCount}});
    // Inside <script>, nothing may close the element or start markup: < > & as JSON escapes.
    QByteArray json = QJsonDocument(ld).toJson(QJsonDocument::Compact);
    json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");

    const QString title = p.name + QStringLiteral(" · ") + storeName;
    QByteArray head;
    const auto meta = [&head](const char *attr, const char *key, const QString &value) {
        head += QByteArray("<meta ") + attr + "=\"" + key + "\" content=\"" + htmlText(value)
                + "\">\n";
    };
    meta("name", "description", description);
    meta("property", "og:type", QStringLiteral("product"));
    meta("property", "og:title", p.name);
    meta("property", "og:description", description);
    meta("property", "og:url", url);
    meta("property", "og:site_name", storeName);
    if (!image.isEmpty())
        meta("property", "og:image", image);
    meta("property", "product:price:amount", price);
    meta("property", "product:price:currency", currency);
    head += "<script type=\"application/ld+json\" id=\"product-ld\">" + json + "</script>\n";

    Asset page = index;
    page.gzipped.clear();
    page.body.replace("<title>Shop</title>", QByteArray("<title>" + htmlText(title) + "</title>"));
    page.body.replace("</head>", QByteArray(head + "</head>"));
    page.etag = '"'
                + QCryptographicHash::hash(page.body, QCryptographicHash::Sha256)
                          .left(15)
                          .toBase64(QByteArray::Base64UrlEncoding)
                + '"';
    return page;
}

} // namespace

void registerStorefrontRoutes(Router &router, Shop &shop, const StorefrontOptions &options)
{
    Shop *s = &shop;
    const QString stripeKey = options.stripePublishableKey;
    router.add("GET", QStringLiteral("/api/v1/store"), Access::Public, [s, stripeKey](Request &) {
        QJsonObject o = storeJson(*s);
        addStoreProfile(o, *s);
        o.insert(QStringLiteral("stripePublishableKey"),
                 stripeKey.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(stripeKey));
        return Response::json(200, o);
    });
    if (!options.enabled)
        return;

    auto bundle = std::make_shared<const AssetBundle>();
    const Policy policy = makePolicy(options);
    auto index = [bundle, policy](const Request &request) {
        const Asset *page = bundle->find(QStringLiteral("index.html"));
        return page ? serveAsset(request, *page, 200, kRevalidate, policy)
                    : Response::problem(404, {}, QStringLiteral("no storefront"));
    };
    router.add("GET", QStringLiteral("/"), Access::Public, index);
    router.add("GET", QStringLiteral("/assets/{version}/{name}"), Access::Public,
               [bundle, policy](Request &request) {
                   const QString name = request.param(QStringLiteral("name"));
                   const Asset *asset = name.endsWith(QLatin1String(".html"))
                                                ? nullptr
                                                : bundle->find(QStringLiteral("assets/") + name);
                   if (!asset || request.param(QStringLiteral("version")) != bundle->version())
                       return notFound(request, *bundle, policy);
                   return serveAsset(request, *asset, 200, kImmutable, policy);
               });
    router.setFallback([bundle, policy, index, s](Request &request) {
        const bool read = request.method == "GET" || request.method == "HEAD";
        static const QRegularExpression productPath(QStringLiteral("^/shop/products/([^/]+)$"));
        if (read && acceptsHtml(request)) {
            const auto m = productPath.match(request.path);
            const Asset *indexPage = bundle->find(QStringLiteral("index.html"));
            if (m.hasMatch() && indexPage) {
                if (auto page = productPage(*s, *indexPage, m.captured(1)))
                    return serveAsset(request, *page, 200, kRevalidate, policy);
            }
        }
        if (read && isShopPage(request.path) && acceptsHtml(request))
            return index(request);
        return notFound(request, *bundle, policy);
    });
}

} // namespace Mercato
