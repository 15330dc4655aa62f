#include "mediaroutes.h"

#include "model/imagestore.h"
#include "model/shop.h"

#include <QCryptographicHash>
#include <QFile>

namespace Mercato {

using namespace Http;

namespace {

QByteArray mimeFor(const QString &name)
{
    if (name.endsWith(QLatin1String(".png")))
        return "image/png";
    if (name.endsWith(QLatin1String(".jpg")))
        return "image/jpeg";
    return "image/webp";
}

Response serveMedia(Shop &shop, const Request &request)
{
    const Response missing = Response::problem(404, {}, QStringLiteral("no such media"));
    LocalImageStore *store = shop.localImages();
    const QString name = request.param(QStringLiteral("name"));
    // Only names the store makes ([A-Za-z0-9_-] and one known extension): no path escapes.
    if (!store || !LocalImageStore::isValidName(name))
        return missing;
    const QString path = store->pathFor(name);
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::ReadOnly))
        return missing;
    if (file.size() > kImageBodyLimit * 2)
        return missing;
    const QByteArray bytes = file.readAll();
    // A media name never gets other bytes, so its content hash is a strong validator.
    const QByteArray etag = '"'
                            + QCryptographicHash::hash(bytes, QCryptographicHash::Sha256)
                                      .left(18)
                                      .toBase64(QByteArray::Base64UrlEncoding)
                            + '"';
    const QByteArray cache = "public, max-age=31536000, immutable";
    const QByteArray inm = request.header("if-none-match");
    if (!inm.isEmpty()) {
        for (const QByteArray &tag : inm.split(',')) {
            const QByteArray t = tag.trimmed();
            if (t == "*" || t == etag || t == "W/" + etag) {
                Response r = Response::noContent(304);
                r.setHeader("ETag", etag);
                r.setHeader("Cache-Control", cache);
                return r;
            }
        }
    }
    Response r = Response::text(200, bytes, mimeFor(name));
    r.setHeader("ETag", etag);
    r.setHeader("Cache-Control", cache);
    r.setHeader("X-Content-Type-Options", "nosniff");
    return r;
}

} // namespace

void registerMediaRoutes(Router &router, Shop &shop)
{
    Shop *s = &shop;
    router.add("GET", QStringLiteral("/media/{name}"), Access::Public,
               [s](Request &r) { return serveMedia(*s, r); });
}

} // namespace Mercato
