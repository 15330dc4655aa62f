// The web shop's serving: headers (CSP, caching, MIME), ETag/304, gzip, the SPA fallback,
// 404 negotiation (HTML only for browsers, never under /api), the on/off switch, page weight.

#include "support/testsupport.h"

#include "model/imagestore.h"
#include "model/storedetails.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QUrl>

#include <zlib.h>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QList<QPair<QByteArray, QByteArray>> kHtml{
        {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};

QByteArray gunzip(const QByteArray &in)
{
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return {};
    QByteArray out;
    char buf[16384];
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef *>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, static_cast<qsizetype>(sizeof buf - zs.avail_out));
    }
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? out : QByteArray();
}

QStringList assetUrls(const QByteArray &html)
{
    QStringList out;
    static const QRegularExpression re(QStringLiteral("\"(/assets/[^\"]+)\""));
    auto it = re.globalMatch(QString::fromUtf8(html));
    while (it.hasNext()) {
        const QString url = it.next().captured(1);
        if (!out.contains(url))
            out.append(url);
    }
    return out;
}

// A small valid PNG of one colour (zlib for IDAT and the CRCs).
QByteArray pngBytes(quint8 red, int side = 8)
{
    auto be = [](quint32 v) -> QByteArray {
        QByteArray b(4, '\0');
        for (int i = 0; i < 4; ++i)
            b[i] = char((v >> (24 - 8 * i)) & 0xff);
        return b;
    };
    auto chunk = [&be](const QByteArray &kind, const QByteArray &data) -> QByteArray {
        const QByteArray both = kind + data;
        const auto crc = crc32(0, reinterpret_cast<const Bytef *>(both.constData()),
                               static_cast<uInt>(both.size()));
        return be(quint32(data.size())) + both + be(quint32(crc));
    };
    QByteArray raw;
    for (int y = 0; y < side; ++y) {
        raw.append('\0');
        for (int x = 0; x < side; ++x)
            raw.append(char(red)).append(char(0x60)).append(char(0x30));
    }
    QByteArray packed(static_cast<qsizetype>(compressBound(static_cast<uLong>(raw.size()))), '\0');
    uLongf packedSize = static_cast<uLongf>(packed.size());
    compress(reinterpret_cast<Bytef *>(packed.data()), &packedSize,
             reinterpret_cast<const Bytef *>(raw.constData()), static_cast<uLong>(raw.size()));
    packed.truncate(static_cast<qsizetype>(packedSize));
    const QByteArray ihdr = be(quint32(side)) + be(quint32(side)) + QByteArray("\x08\x02\0\0\0", 5);
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", packed)
           + chunk("IEND", {});
}

// The path part of a media URL (http://127.0.0.1:port/media/x.png -> /media/x.png).
QString pathOf(const QString &url)
{
    return QUrl(url).path();
}

void checkSecurityHeaders(const HttpResult &r)
{
    const QByteArray csp = r.header("content-security-policy");
    QVERIFY2(!csp.isEmpty(), "no Content-Security-Policy");
    QVERIFY(csp.contains("frame-ancestors 'none'"));
    QVERIFY(csp.contains("script-src 'self'"));
    QVERIFY(csp.contains("default-src 'self'"));
    QVERIFY(!csp.contains("unsafe-inline"));
    QVERIFY(!csp.contains("unsafe-eval"));
    QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
    QVERIFY(!r.header("referrer-policy").isEmpty());
}

} // namespace

class TestStorefront : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void indexIsRevalidatedAndLocked()
    {
        const HttpResult r = m_server.client().get(QStringLiteral("/"), kHtml);
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/html"));
        QCOMPARE(r.header("cache-control"), QByteArray("no-cache"));
        QVERIFY(!r.header("etag").isEmpty());
        checkSecurityHeaders(r);
        QVERIFY(!r.header("content-security-policy").contains("stripe.com"));
        QVERIFY(r.body.contains("<main"));
        QVERIFY2(!r.body.contains("<script>") && !r.body.contains("%ASSETS%"), r.body.constData());
        QVERIFY(!r.body.contains(" on"
                                 "click="));
        QVERIFY(assetUrls(r.body).size() >= 2);
    }

    void assetsAreImmutableWithTheirType()
    {
        const HttpResult index = m_server.client().get(QStringLiteral("/"), kHtml);
        const QStringList urls = assetUrls(index.body);
        QVERIFY(!urls.isEmpty());
        const QHash<QString, QByteArray> types{{QStringLiteral("js"), "text/javascript"},
                                               {QStringLiteral("css"), "text/css"},
                                               {QStringLiteral("svg"), "image/svg+xml"}};
        for (const QString &url : urls) {
            const HttpResult r = m_server.client().get(url);
            QCOMPARE(r.status, 200);
            QCOMPARE(r.header("cache-control"), QByteArray("public, max-age=31536000, immutable"));
            const QByteArray want = types.value(url.section(QLatin1Char('.'), -1));
            QVERIFY2(!want.isEmpty() && r.header("content-type").startsWith(want),
                     qPrintable(url + QLatin1Char(' ')
                                + QString::fromLatin1(r.header("content-type"))));
            QVERIFY(!r.header("etag").isEmpty());
            checkSecurityHeaders(r);
        }
        // Another version of the set is not served under this one's immutable rules.
        QString stale = urls.first();
        stale.replace(QRegularExpression(QStringLiteral("^/assets/[^/]+/")),
                      QStringLiteral("/assets/000000000000/"));
        QCOMPARE(m_server.client().get(stale).status, 404);
    }

    void ifNoneMatchGives304()
    {
        Client c = m_server.client();
        const HttpResult index = c.get(QStringLiteral("/"), kHtml);
        const QByteArray etag = index.header("etag");
        const HttpResult again
                = c.get(QStringLiteral("/"), {{"Accept", "text/html"}, {"If-None-Match", etag}});
        QCOMPARE(again.status, 304);
        QVERIFY(again.body.isEmpty());
        QCOMPARE(again.header("etag"), etag);
        const HttpResult other = c.get(QStringLiteral("/"),
                                       {{"Accept", "text/html"}, {"If-None-Match", "\"nope\""}});
        QCOMPARE(other.status, 200);

        const QString css = assetUrls(index.body).filter(QStringLiteral(".css")).value(0);
        QVERIFY(!css.isEmpty());
        const QByteArray cssTag = c.get(css).header("etag");
        QCOMPARE(c.get(css, {{"If-None-Match", "W/" + cssTag}}).status, 304);
    }

    void gzipWhenAccepted_data()
    {
        QTest::addColumn<QByteArray>("acceptEncoding");
        QTest::addColumn<bool>("gzipped");
        QTest::newRow("gzip") << QByteArray("gzip, deflate, br") << true;
        QTest::newRow("gzip-q") << QByteArray("br;q=1.0, gzip;q=0.5") << true;
        QTest::newRow("gzip-refused") << QByteArray("gzip;q=0, identity") << false;
        QTest::newRow("none") << QByteArray() << false;
        QTest::newRow("other") << QByteArray("br") << false;
    }
    void gzipWhenAccepted()
    {
        QFETCH(QByteArray, acceptEncoding);
        QFETCH(bool, gzipped);
        Client c = m_server.client();
        const HttpResult plain = c.get(QStringLiteral("/"), kHtml);
        const QString js = assetUrls(plain.body).filter(QStringLiteral(".js")).value(0);
        QVERIFY(!js.isEmpty());
        const HttpResult identity = c.get(js);
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!acceptEncoding.isEmpty())
            headers.append({"Accept-Encoding", acceptEncoding});
        const HttpResult r = c.get(js, headers);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("vary"), QByteArray("Accept-Encoding"));
        if (gzipped) {
            QCOMPARE(r.header("content-encoding"), QByteArray("gzip"));
            QVERIFY(r.body.size() < identity.body.size());
            QCOMPARE(gunzip(r.body), identity.body);
            // The two representations have different strong validators.
            QVERIFY(r.header("etag") != identity.header("etag"));
            headers.append({"If-None-Match", r.header("etag")});
            QCOMPARE(c.get(js, headers).status, 304);
        } else {
            QVERIFY(r.header("content-encoding").isEmpty());
            QCOMPARE(r.body, identity.body);
        }
    }

    void shopPagesFallBackToIndex_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("accept");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("isIndex");
        QTest::newRow("shop") << QStringLiteral("/shop") << QByteArray("text/html") << 200 << true;
        QTest::newRow("product") << QStringLiteral("/shop/products/p123") << QByteArray("text/html")
                                 << 200 << true;
        QTest::newRow("deep") << QStringLiteral("/shop/orders/o1/refund")
                              << QByteArray("text/html,*/*") << 200 << true;
        QTest::newRow("reset-link") << QStringLiteral("/reset-password?token=abc")
                                    << QByteArray("text/html") << 200 << true;
        QTest::newRow("shop-json") << QStringLiteral("/shop/products/p123")
                                   << QByteArray("application/json") << 404 << false;
        QTest::newRow("shopping-is-not-shop")
                << QStringLiteral("/shopping") << QByteArray("application/json") << 404 << false;
    }
    void shopPagesFallBackToIndex()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, accept);
        QFETCH(int, status);
        QFETCH(bool, isIndex);
        Client c = m_server.client();
        const QByteArray index = c.get(QStringLiteral("/"), kHtml).body;
        const HttpResult r = c.get(path, {{"Accept", accept}});
        QCOMPARE(r.status, status);
        QCOMPARE(r.body == index, isIndex);
        if (isIndex) {
            QCOMPARE(r.header("cache-control"), QByteArray("no-cache"));
            checkSecurityHeaders(r);
        } else {
            QVERIFY(r.isProblem());
        }
    }

    void notFoundIsNegotiated_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("accept");
        QTest::addColumn<bool>("html");
        QTest::newRow("browser") << QByteArray("GET") << QStringLiteral("/no/such/page")
                                 << QByteArray("text/html,*/*;q=0.8") << true;
        QTest::newRow("browser-post")
                << QByteArray("POST") << QStringLiteral("/nope") << QByteArray("text/html") << true;
        QTest::newRow("json-client") << QByteArray("GET") << QStringLiteral("/no/such/page")
                                     << QByteArray("application/json") << false;
        QTest::newRow("curl") << QByteArray("GET") << QStringLiteral("/nope") << QByteArray("*/*")
                              << false;
        QTest::newRow("no-accept")
                << QByteArray("GET") << QStringLiteral("/nope") << QByteArray() << false;
        QTest::newRow("api-from-browser") << QByteArray("GET") << QStringLiteral("/api/v1/nope")
                                          << QByteArray("text/html") << false;
        QTest::newRow("api-root") << QByteArray("GET") << QStringLiteral("/api")
                                  << QByteArray("text/html") << false;
        QTest::newRow("unknown-asset") << QByteArray("GET") << QStringLiteral("/assets/x/y/z.js")
                                       << QByteArray("*/*") << false;
    }
    void notFoundIsNegotiated()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, accept);
        QFETCH(bool, html);
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!accept.isEmpty())
            headers.append({"Accept", accept});
        const HttpResult r = m_server.client().send(method, path, {}, {}, headers);
        QCOMPARE(r.status, 404);
        if (html) {
            QVERIFY(r.header("content-type").startsWith("text/html"));
            QVERIFY(r.body.contains("Page not found"));
            checkSecurityHeaders(r);
        } else {
            QVERIFY2(r.isProblem(), r.header("content-type").constData());
            QCOMPARE(r.json().value(QStringLiteral("status")).toInt(), 404);
        }
    }

    void storeFacts()
    {
        const HttpResult r = m_server.client().get(QStringLiteral("/api/v1/store"));
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.json();
        QCOMPARE(o.value(QStringLiteral("currency")).toString(),
                 m_server.shop().settings().currency);
        QVERIFY(!o.value(QStringLiteral("name")).toString().isEmpty());
        QCOMPARE(o.value(QStringLiteral("maxCoinDiscountPercent")).toInt(),
                 m_server.shop().settings().maxCoinDiscountPercent);
        QVERIFY(o.value(QStringLiteral("stripePublishableKey")).isNull());
    }

    // The name and logo the seller sets (console Settings, through the model) are what the
    // shop front reads: GET /store follows every change.
    void productPageCarriesItsTagsEscaped()
    {
        auto seller = m_server.shop().accounts().registerAccount(
                {QStringLiteral("og.seller@example.test"), QStringLiteral("og-seller-password"),
                 QStringLiteral("Tag Seller"), QStringLiteral("seller")});
        QVERIFY2(seller, qPrintable(seller ? QString() : seller.error().detail));
        NewProduct in;
        in.name = QStringLiteral("Tea <b>\"Bold\"</b> & cups");
        in.description = QStringLiteral("Leaves </script><script>alert(1)</script> & more");
        in.priceCents = 1250;
        in.stock = 4;
        auto p = m_server.shop().catalog().create(seller->user.id, in);
        QVERIFY2(p, qPrintable(p ? QString() : p.error().detail));

        Client c = m_server.client();
        const HttpResult r = c.get(QStringLiteral("/shop/products/") + p->id, kHtml);
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/html"));
        QCOMPARE(r.header("cache-control"), QByteArray("no-cache"));
        checkSecurityHeaders(r);
        const QByteArray escaped = "Tea &lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; cups";
        QVERIFY2(r.body.contains(QByteArray("<title>" + escaped + " · ")), r.body.constData());
        QVERIFY2(r.body.contains(
                         QByteArray("<meta property=\"og:title\" content=\"" + escaped + "\">")),
                 r.body.constData());
        QVERIFY(r.body.contains("<meta property=\"og:type\" content=\"product\">"));
        QVERIFY(r.body.contains("<meta property=\"product:price:amount\" content=\"12.50\">"));
        QVERIFY(r.body.contains("<meta name=\"description\" content=\"Leaves &lt;/script&gt;"));
        QVERIFY2(!r.body.contains("<b>") && !r.body.contains("</script><script>alert"),
                 r.body.constData());

        // The JSON-LD: one script element whose text is the Product, markup characters escaped.
        static const QRegularExpression ld(QStringLiteral(
                "<script type=\"application/ld\\+json\" id=\"product-ld\">([^<]*)</script>"));
        const auto m = ld.match(QString::fromUtf8(r.body));
        QVERIFY2(m.hasMatch(), r.body.constData());
        const QJsonObject product = QJsonDocument::fromJson(m.captured(1).toUtf8()).object();
        QCOMPARE(product.value(QStringLiteral("@type")).toString(), QStringLiteral("Product"));
        QCOMPARE(product.value(QStringLiteral("name")).toString(), in.name);
        const QJsonObject offer = product.value(QStringLiteral("offers")).toObject();
        QCOMPARE(offer.value(QStringLiteral("price")).toString(), QStringLiteral("12.50"));
        QCOMPARE(offer.value(QStringLiteral("priceCurrency")).toString(),
                 m_server.shop().settings().currency);
        QVERIFY(!m.captured(1).contains(QLatin1Char('&'))
                && !m.captured(1).contains(QLatin1Char('>')));

        // With a picture, og:image and the JSON-LD's image name it.
        auto image = m_server.shop().catalog().addImage(seller->user.id, p->id, pngBytes(0x40),
                                                        QStringLiteral("image/png"));
        QVERIFY2(image, qPrintable(image ? QString() : image.error().detail));
        const HttpResult again = c.get(QStringLiteral("/shop/products/") + p->id, kHtml);
        QVERIFY2(again.body.contains("<meta property=\"og:image\" content=\"")
                         && again.body.contains(QByteArray(pathOf(image->url).toUtf8() + "\">")),
                 again.body.constData());

        // An unknown product keeps the plain page, and an API client still gets no HTML.
        const QByteArray index = c.get(QStringLiteral("/"), kHtml).body;
        QCOMPARE(c.get(QStringLiteral("/shop/products/nosuchproduct"), kHtml).body, index);
        QCOMPARE(c.get(QStringLiteral("/shop/products/") + p->id, {{"Accept", "application/json"}})
                         .status,
                 404);
    }

    void storeNameAndLogoFromSettings()
    {
        TestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client c = server.client();
        QJsonObject store = c.get(QStringLiteral("/api/v1/store")).json();
        QVERIFY(store.value(QStringLiteral("logoUrl")).isNull());

        StoreDetails details;
        details.name = QStringLiteral("Tea Corner");
        details.description = QStringLiteral("Loose-leaf tea");
        QVERIFY(saveStoreDetails(server.shop().database(), details));
        store = c.get(QStringLiteral("/api/v1/store")).json();
        QCOMPARE(store.value(QStringLiteral("name")).toString(), QStringLiteral("Tea Corner"));
        QCOMPARE(store.value(QStringLiteral("description")).toString(),
                 QStringLiteral("Loose-leaf tea"));
        QCOMPARE(store.value(QStringLiteral("currency")).toString(),
                 server.shop().settings().currency);

        const QByteArray first = pngBytes(0xc0);
        auto url = setStoreLogo(server.shop().database(), server.shop().images(), first);
        QVERIFY2(url, qPrintable(url ? QString() : url.error().detail));
        store = c.get(QStringLiteral("/api/v1/store")).json();
        QCOMPARE(store.value(QStringLiteral("logoUrl")).toString(), url.value());
        QVERIFY2(pathOf(url.value()).startsWith(QStringLiteral("/media/")),
                 qPrintable(url.value()));
        const HttpResult image = c.get(pathOf(url.value()));
        QCOMPARE(image.status, 200);
        QCOMPARE(image.header("content-type"), QByteArray("image/png"));
        QCOMPARE(image.body, first);
        // Saving the details again keeps the logo.
        QVERIFY(saveStoreDetails(server.shop().database(), details));
        QCOMPARE(c.get(QStringLiteral("/api/v1/store"))
                         .json()
                         .value(QStringLiteral("logoUrl"))
                         .toString(),
                 url.value());

        // A file that is no picture is refused and the logo stays.
        auto junk = setStoreLogo(server.shop().database(), server.shop().images(),
                                 QByteArray("<svg xmlns='http://www.w3.org/2000/svg'/>"));
        QVERIFY(!junk);
        QCOMPARE(junk.error().code, ErrorCode::UnsupportedMediaType);
        QCOMPARE(c.get(QStringLiteral("/api/v1/store"))
                         .json()
                         .value(QStringLiteral("logoUrl"))
                         .toString(),
                 url.value());

        // A new logo replaces the old one, whose file is gone.
        auto second = setStoreLogo(server.shop().database(), server.shop().images(),
                                   pngBytes(0x20, 12), QStringLiteral("image/png"));
        QVERIFY(second);
        QVERIFY(second.value() != url.value());
        QCOMPARE(c.get(QStringLiteral("/api/v1/store"))
                         .json()
                         .value(QStringLiteral("logoUrl"))
                         .toString(),
                 second.value());
        QCOMPARE(c.get(pathOf(url.value())).status, 404);
        QCOMPARE(c.get(pathOf(second.value())).status, 200);

        // Removed: null again, and the file too.
        QVERIFY(clearStoreLogo(server.shop().database(), server.shop().images()));
        store = c.get(QStringLiteral("/api/v1/store")).json();
        QVERIFY(store.contains(QStringLiteral("logoUrl")));
        QVERIFY(store.value(QStringLiteral("logoUrl")).isNull());
        QCOMPARE(store.value(QStringLiteral("name")).toString(), QStringLiteral("Tea Corner"));
        QCOMPARE(c.get(pathOf(second.value())).status, 404);
        // Removing when there is none is fine.
        QVERIFY(clearStoreLogo(server.shop().database(), server.shop().images()));
    }

    // What a first visit transfers (gzip): the page and every module it pulls in.
    void firstPageUnder100KB()
    {
        Client c = m_server.client();
        const QList<QPair<QByteArray, QByteArray>> gz{{"Accept-Encoding", "gzip"},
                                                      {"Accept", "text/html"}};
        const HttpResult index = c.get(QStringLiteral("/"), gz);
        qint64 total = index.body.size();
        QStringList queue
                = assetUrls(gunzip(index.body).isEmpty() ? index.body : gunzip(index.body));
        QSet<QString> seen;
        static const QRegularExpression importRe(
                QStringLiteral("(?:from|import)\\s*\\(?\\s*'\\./([^']+)'"));
        while (!queue.isEmpty()) {
            const QString url = queue.takeFirst();
            if (seen.contains(url))
                continue;
            seen.insert(url);
            const HttpResult r = c.get(url, gz);
            QCOMPARE(r.status, 200);
            total += r.body.size();
            if (url.endsWith(QLatin1String(".js"))) {
                const QByteArray src
                        = r.header("content-encoding") == "gzip" ? gunzip(r.body) : r.body;
                auto it = importRe.globalMatch(QString::fromUtf8(src));
                while (it.hasNext())
                    queue.append(url.section(QLatin1Char('/'), 0, -2) + QLatin1Char('/')
                                 + it.next().captured(1));
            }
        }
        qInfo() << "first page:" << seen.size() << "assets," << total << "bytes transferred";
        QVERIFY2(total < 100 * 1024, qPrintable(QString::number(total)));
    }

    // Text from users goes in as text: no script of the shop has an HTML sink at all.
    void scriptsHaveNoHtmlSinks()
    {
        Client c = m_server.client();
        QStringList queue = assetUrls(c.get(QStringLiteral("/"), kHtml).body);
        QSet<QString> seen;
        static const QRegularExpression importRe(
                QStringLiteral("(?:from|import)\\s*\\(?\\s*'\\./([^']+)'"));
        int scripts = 0;
        while (!queue.isEmpty()) {
            const QString url = queue.takeFirst();
            if (seen.contains(url) || !url.endsWith(QLatin1String(".js")))
                continue;
            seen.insert(url);
            const HttpResult r = c.get(url);
            QCOMPARE(r.status, 200);
            ++scripts;
            for (const char *sink : {"innerHTML", "outerHTML", "insertAdjacentHTML",
                                     "document.write", "eval(", "new Function", "srcdoc"})
                QVERIFY2(!r.body.contains(sink),
                         qPrintable(url + QStringLiteral(": ") + QString::fromLatin1(sink)));
            auto it = importRe.globalMatch(QString::fromUtf8(r.body));
            while (it.hasNext())
                queue.append(url.section(QLatin1Char('/'), 0, -2) + QLatin1Char('/')
                             + it.next().captured(1));
        }
        QVERIFY2(scripts >= 5, qPrintable(QString::number(scripts))); // app, api, ui, pages
    }

    void stripeHostsOnlyWhenConfigured()
    {
        TestServer::Options options;
        options.stripePublishableKey = QStringLiteral("pk_test_123");
        TestServer stripe(options);
        QVERIFY2(stripe.start(), qPrintable(stripe.errorString()));
        const HttpResult r = stripe.client().get(QStringLiteral("/"), kHtml);
        QCOMPARE(r.status, 200);
        const QByteArray csp = r.header("content-security-policy");
        QVERIFY(csp.contains("script-src 'self' https://js.stripe.com"));
        QVERIFY(csp.contains("frame-ancestors 'none'"));
        QCOMPARE(stripe.client()
                         .get(QStringLiteral("/api/v1/store"))
                         .json()
                         .value(QStringLiteral("stripePublishableKey"))
                         .toString(),
                 QStringLiteral("pk_test_123"));
    }

    void switchedOff()
    {
        TestServer::Options options;
        options.storefront = false;
        TestServer off(options);
        QVERIFY2(off.start(), qPrintable(off.errorString()));
        for (const QString &path :
             {QStringLiteral("/"), QStringLiteral("/shop/products/x"), QStringLiteral("/nope")}) {
            const HttpResult r = off.client().get(path, kHtml);
            QCOMPARE(r.status, 404);
            QVERIFY2(r.isProblem(), qPrintable(path));
        }
        // The API is untouched.
        QCOMPARE(off.client().get(QStringLiteral("/api/v1/store")).status, 200);
        QCOMPARE(off.client().get(QStringLiteral("/api/v1/products")).status, 200);
    }

    // The storefront keeps the refresh token in an HttpOnly cookie; other clients keep the body.
    void refreshTokenCookie()
    {
        Client c = m_server.client();
        const QJsonObject reg{{QStringLiteral("email"), QStringLiteral("cookie@example.test")},
                              {QStringLiteral("password"), QStringLiteral("cookie-pass-123")},
                              {QStringLiteral("displayName"), QStringLiteral("Cookie")},
                              {QStringLiteral("role"), QStringLiteral("customer")}};
        const HttpResult plain = c.post(QStringLiteral("/api/v1/auth/register"), reg);
        QCOMPARE(plain.status, 201);
        QVERIFY(plain.header("set-cookie").isEmpty());
        QVERIFY(!plain.json().value(QStringLiteral("refreshToken")).toString().isEmpty());

        const QJsonObject creds{{QStringLiteral("email"), QStringLiteral("cookie@example.test")},
                                {QStringLiteral("password"), QStringLiteral("cookie-pass-123")}};
        const HttpResult login = c.post(QStringLiteral("/api/v1/auth/login"), creds,
                                        {{"Refresh-Token-Transport", "cookie"}});
        QCOMPARE(login.status, 200);
        QVERIFY(!login.json().contains(QStringLiteral("refreshToken")));
        QVERIFY(!login.json().value(QStringLiteral("accessToken")).toString().isEmpty());
        const QByteArray setCookie = login.header("set-cookie");
        for (const char *attr : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth;"})
            QVERIFY2(setCookie.contains(attr), setCookie.constData());
        const QByteArray cookie = setCookie.split(';').first();
        QVERIFY(cookie.startsWith("mercato_refresh=") && cookie.size() > 30);

        const HttpResult refreshed
                = c.post(QStringLiteral("/api/v1/auth/refresh"), {}, {{"Cookie", cookie}});
        QCOMPARE(refreshed.status, 200);
        QVERIFY(!refreshed.json().contains(QStringLiteral("refreshToken")));
        const QByteArray next = refreshed.header("set-cookie").split(';').first();
        QVERIFY(next.startsWith("mercato_refresh=") && next != cookie);

        // The spent cookie is refused (and the family revoked), and the answer clears it.
        const HttpResult reused
                = c.post(QStringLiteral("/api/v1/auth/refresh"), {}, {{"Cookie", cookie}});
        QCOMPARE(reused.status, 401);
        QVERIFY(reused.header("set-cookie").contains("Max-Age=0"));
        QCOMPARE(c.post(QStringLiteral("/api/v1/auth/refresh"), {}, {{"Cookie", next}}).status,
                 401);

        // Without a cookie or a token the body form's rule stands.
        QCOMPARE(c.post(QStringLiteral("/api/v1/auth/refresh"), {}).status, 422);

        // Logout with the cookie revokes it and clears it.
        const HttpResult again = c.post(QStringLiteral("/api/v1/auth/login"), creds,
                                        {{"Refresh-Token-Transport", "cookie"}});
        const QByteArray live = again.header("set-cookie").split(';').first();
        Client signedIn = c;
        signedIn.setToken(again.json().value(QStringLiteral("accessToken")).toString());
        const HttpResult out
                = signedIn.post(QStringLiteral("/api/v1/auth/logout"), {}, {{"Cookie", live}});
        QCOMPARE(out.status, 204);
        QVERIFY(out.header("set-cookie").contains("Max-Age=0"));
        QCOMPARE(c.post(QStringLiteral("/api/v1/auth/refresh"), {}, {{"Cookie", live}}).status,
                 401);
    }

private:
    TestServer m_server;
};

QTEST_GUILESS_MAIN(TestStorefront)
#include "tst_storefront.moc"
