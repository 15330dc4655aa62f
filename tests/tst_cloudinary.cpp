// CloudinaryImageStore: the request signature checked against Cloudinary's own Node library
// (`cloudinary` on npm, utils.api_sign_request), signed uploads and destroys against a local
// fake Cloudinary that verifies signatures (tests/peers/fake_cloudinary.py), retries with
// backoff, and profile pictures kept in it through the API.

#include "model/catalog.h"
#include "model/clock.h"
#include "model/cloudinaryimagestore.h"
#include "support/testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPeers = QStringLiteral(MERCATO_PEERS_DIR);
const QByteArray kPng = QByteArray::fromBase64(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACAQMAAABIeJ9nAAAABGdBTUEAALGPC/"
        "xhBQAAACBjSFJNAAB6JgAAgIQAAPoAAACA6AAAdTAAAOpgAAA6mAAAF3CculE8AAAABlBMVEX/AAD///"
        "9BHTQRAAAAAWJLR0QB/"
        "wIt3gAAAAd0SU1FB+"
        "oLGgA4NXJTbHYAAAAMSURBVAjXY2BgYAAAAAQAASc0JwoAAAAldEVYdGRhdGU6Y3JlYXRlADIwMjYtMTEtMjZUMDA6"
        "NTY6NTMrMDA6MDBOBLazAAAAJXRFWHRkYXRlOm1vZGlmeQAyMDI2LTExLTI2VDAwOjU2OjUzKzAwOjAwP1kODwAAAA"
        "BJRU5ErkJggg==");

// tests/peers/fake_cloudinary.py on a free port.
class FakeCloudinary
{
public:
    explicit FakeCloudinary(QString secret = QStringLiteral("s3cr3t-api"), int failFirst = 0,
                            QString tamper = {})
        : m_secret(std::move(secret))
        , m_failFirst(failFirst)
        , m_tamper(std::move(tamper))
    {}
    ~FakeCloudinary()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool start()
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("python3"),
                        {kPeers + QStringLiteral("/fake_cloudinary.py"), QStringLiteral("--cloud"),
                         QStringLiteral("demo"), QStringLiteral("--key"),
                         QStringLiteral("123456789"), QStringLiteral("--secret"), m_secret,
                         QStringLiteral("--fail-first"), QString::number(m_failFirst),
                         QStringLiteral("--tamper"), m_tamper});
        if (!m_process.waitForStarted(10000))
            return false;
        while (!m_process.canReadLine()) {
            if (!m_process.waitForReadyRead(15000))
                return false;
        }
        const QByteArray line = m_process.readLine().trimmed();
        m_port = quint16(line.mid(6).toUInt());
        return line.startsWith("READY") && m_port != 0;
    }
    QString base() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    QJsonObject state() const { return httpRequest(m_port, "GET", "/_state").json(); }
    QStringList stored() const
    {
        QStringList ids;
        for (const auto v : state().value(QStringLiteral("stored")).toArray())
            ids.append(v.toString());
        return ids;
    }
    int requests() const { return state().value(QStringLiteral("requests")).toInt(); }
    // The public ids destroy was called with, in order (failed calls included).
    QStringList destroys() const
    {
        QStringList ids;
        for (const auto v : state().value(QStringLiteral("destroys")).toArray())
            ids.append(v.toString());
        return ids;
    }
    // down: every destroy answers 500 (after the store's retries, the delete has failed).
    bool setDestroyDown(bool down) const
    {
        return httpRequest(m_port, "POST", down ? "/_control?destroy=down" : "/_control?destroy=up")
                       .status
               == 200;
    }

private:
    QString m_secret;
    int m_failFirst;
    QString m_tamper;
    QProcess m_process;
    quint16 m_port = 0;
};

CloudinaryImageStore::Settings settingsFor(const FakeCloudinary &fake)
{
    auto s = CloudinaryImageStore::parseUrl(
            QStringLiteral("cloudinary://123456789:s3cr3t-api@demo"), fake.base());
    CloudinaryImageStore::Settings settings = s.value();
    settings.timeoutMs = 5000;
    settings.initialBackoffMs = 20;
    return settings;
}

// A seller of `server` (approved) and a client signed in as it.
Client sellerClient(TestServer &server, const QString &email)
{
    auto session = server.shop().accounts().registerAccount(
            {email, QStringLiteral("correct horse battery"), QStringLiteral("Sam"),
             QStringLiteral("seller")});
    if (!session)
        qFatal("cannot register a seller: %s", qPrintable(session.error().detail));
    if (session->user.status == QLatin1String("pending"))
        (void)server.shop().accounts().approveSeller(session->user.id);
    Client c = server.client();
    c.setToken(
            server.shop().tokens().issueAccess(session->user.id, QStringLiteral("seller")).token);
    return c;
}

QString newProduct(const Client &c)
{
    return c.post(QStringLiteral("/api/v1/products"),
                  {{QStringLiteral("name"), QStringLiteral("Cloud teapot")},
                   {QStringLiteral("priceCents"), 1200},
                   {QStringLiteral("stock"), 4}})
            .json()
            .value(QStringLiteral("id"))
            .toString();
}

// The public id in a Cloudinary URL (…/upload/v123/<public id>.png).
QString publicIdOf(const QString &url)
{
    const QString last = url.section(QLatin1Char('/'), -1);
    return last.section(QLatin1Char('.'), 0, 0);
}

qint64 pendingDeletions(Shop &shop)
{
    auto q = execSql(shop.database().connection(),
                     QStringLiteral("SELECT COUNT(*) FROM media_deletions"));
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

} // namespace

class TestCloudinary : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void parseUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("base");
        QTest::addColumn<bool>("valid");
        QTest::newRow("ok") << "cloudinary://123:abc@demo"
                            << "" << true;
        QTest::newRow("ok-base") << "cloudinary://123:abc@demo"
                                 << "http://127.0.0.1:9/" << true;
        QTest::newRow("no-secret") << "cloudinary://123@demo"
                                   << "" << false;
        QTest::newRow("no-cloud") << "cloudinary://123:abc@"
                                  << "" << false;
        QTest::newRow("wrong-scheme") << "https://123:abc@demo"
                                      << "" << false;
        QTest::newRow("bad-base") << "cloudinary://123:abc@demo"
                                  << "ftp://x" << false;
    }
    void parseUrl()
    {
        QFETCH(QString, url);
        QFETCH(QString, base);
        QFETCH(bool, valid);
        const auto s = CloudinaryImageStore::parseUrl(url, base);
        QCOMPARE(s.ok(), valid);
        if (valid) {
            QCOMPARE(s->apiKey, QStringLiteral("123"));
            QCOMPARE(s->apiSecret, QStringLiteral("abc"));
            QCOMPARE(s->cloudName, QStringLiteral("demo"));
            QVERIFY(!s->apiBase.endsWith(QLatin1Char('/')));
        }
    }

    void signatureMatchesCloudinaryNodeLibrary_data()
    {
        QTest::addColumn<QString>("paramsJson");
        QTest::newRow("upload") << R"({"public_id":"k2Jv9x","timestamp":"1764115200"})";
        QTest::newRow("docs-example")
                << R"({"eager":"w_400,h_300,c_pad|w_260,h_200,c_crop","public_id":"sample_image","timestamp":"1315060510"})";
        QTest::newRow("ampersand")
                << R"({"public_id":"a&b=c","timestamp":"1764115200","tags":"x&y"})";
        QTest::newRow("empty-dropped") << R"({"public_id":"p","timestamp":"1","folder":""})";
        QTest::newRow("unicode")
                << R"({"context":"caption=Grüße","public_id":"p","timestamp":"2"})";
    }
    void signatureMatchesCloudinaryNodeLibrary()
    {
        QFETCH(QString, paramsJson);
        // Cloudinary's own Node library is the reference: without it this fails, not skips.
        MERCATO_REQUIRE_NODE_PEER(QStringLiteral("cloudinary"));
        const QString secret = QStringLiteral("abcd-SECRET_1");
        QProcess node;
        node.start(QStringLiteral("node"),
                   {kPeers + QStringLiteral("/sign_cloudinary.js"), paramsJson, secret});
        QVERIFY(node.waitForFinished(30000));
        QCOMPARE(node.exitCode(), 0);
        const QString reference = QString::fromLatin1(node.readAllStandardOutput()).trimmed();
        QCOMPARE(reference.size(), 40);

        QMap<QString, QString> params;
        const QJsonObject o = QJsonDocument::fromJson(paramsJson.toUtf8()).object();
        for (auto it = o.begin(); it != o.end(); ++it)
            params.insert(it.key(), it.value().toString());
        QCOMPARE(CloudinaryImageStore::signature(params, secret), reference);
        // What the wire adds is not signed.
        params.insert(QStringLiteral("api_key"), QStringLiteral("123"));
        params.insert(QStringLiteral("file"), QStringLiteral("bytes"));
        params.insert(QStringLiteral("resource_type"), QStringLiteral("image"));
        QCOMPARE(CloudinaryImageStore::signature(params, secret), reference);
    }

    void uploadAndDestroy()
    {
        FakeCloudinary fake;
        QVERIFY(fake.start());
        CloudinaryImageStore store(settingsFor(fake));
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY2(stored.ok(), qPrintable(stored.error().detail));
        QVERIFY(stored->url.startsWith(
                QStringLiteral("https://res.cloudinary.com/demo/image/upload/")));
        QVERIFY(stored->url.endsWith(stored->key + QStringLiteral(".png")));
        QVERIFY(stored->key.size() >= 32); // random, unguessable
        QCOMPARE(fake.stored(), QStringList{stored->key});

        auto second = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY(second.ok());
        QVERIFY(second->key != stored->key);

        QVERIFY(store.remove(stored->key).ok());
        QCOMPARE(fake.stored(), QStringList{second->key});
        QVERIFY(store.remove(stored->key).ok()); // "not found" is done too
    }

    // OWASP API10 (unsafe consumption): an upload answer naming another asset, or a URL that
    // is not HTTPS, is not kept nor handed to clients; what was sent is destroyed.
    void answerForAnotherAssetIsRefused_data()
    {
        QTest::addColumn<QString>("tamper");
        QTest::newRow("another public_id") << QStringLiteral("public_id");
        QTest::newRow("plain http URL") << QStringLiteral("insecure_url");
        QTest::newRow("javascript: URL") << QStringLiteral("script_url");
        QTest::newRow("URL of another asset") << QStringLiteral("other_asset");
    }

    void answerForAnotherAssetIsRefused()
    {
        QFETCH(QString, tamper);
        FakeCloudinary fake(QStringLiteral("s3cr3t-api"), 0, tamper);
        QVERIFY(fake.start());
        CloudinaryImageStore store(settingsFor(fake));
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY(!stored.ok());
        QCOMPARE(stored.error().code, ErrorCode::Unavailable);
        QVERIFY(fake.stored().isEmpty());

        // The same store with an honest answer works: the refusal was about the answer.
        FakeCloudinary honest;
        QVERIFY(honest.start());
        CloudinaryImageStore good(settingsFor(honest));
        QVERIFY(good.store(kPng, QStringLiteral("image/png")).ok());
    }

    void wrongSecretIsRefusedWithoutRetry()
    {
        FakeCloudinary fake(QStringLiteral("another-secret"));
        QVERIFY(fake.start());
        CloudinaryImageStore store(settingsFor(fake));
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY(!stored.ok());
        QCOMPARE(stored.error().code, ErrorCode::Unavailable);
        QVERIFY(!stored.error().detail.contains(QStringLiteral("s3cr3t")));
        QCOMPARE(fake.requests(), 1);
        QVERIFY(fake.stored().isEmpty());
    }

    void retriesTransientFailures()
    {
        FakeCloudinary fake(QStringLiteral("s3cr3t-api"), 2);
        QVERIFY(fake.start());
        CloudinaryImageStore store(settingsFor(fake));
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY2(stored.ok(), qPrintable(stored.error().detail));
        QCOMPARE(fake.requests(), 3);
        QCOMPARE(fake.stored().size(), 1);
    }

    void givesUpAfterMaxAttempts()
    {
        FakeCloudinary fake(QStringLiteral("s3cr3t-api"), 100);
        QVERIFY(fake.start());
        CloudinaryImageStore store(settingsFor(fake));
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY(!stored.ok());
        QCOMPARE(stored.error().code, ErrorCode::Unavailable);
        QCOMPARE(fake.requests(), 3);
    }

    void unreachableIsUnavailable()
    {
        auto settings = CloudinaryImageStore::parseUrl(
                                QStringLiteral("cloudinary://1:2@demo"),
                                QStringLiteral("http://127.0.0.1:%1").arg(freePort()))
                                .value();
        settings.initialBackoffMs = 10;
        CloudinaryImageStore store(settings);
        auto stored = store.store(kPng, QStringLiteral("image/png"));
        QVERIFY(!stored.ok());
        QCOMPARE(stored.error().code, ErrorCode::Unavailable);
    }

    void avatarsThroughCloudinary()
    {
        FakeCloudinary fake;
        QVERIFY(fake.start());
        TestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        server.shop().setImageStore(std::make_unique<CloudinaryImageStore>(settingsFor(fake)));
        Client client = server.client();
        const auto reg = client.post(
                QStringLiteral("/api/v1/auth/register"),
                {{QStringLiteral("email"), QStringLiteral("ann@example.test")},
                 {QStringLiteral("password"), QStringLiteral("correct horse battery")},
                 {QStringLiteral("displayName"), QStringLiteral("Ann")},
                 {QStringLiteral("role"), QStringLiteral("customer")}});
        QCOMPARE(reg.status, 201);
        client.setToken(reg.json().value(QStringLiteral("accessToken")).toString());

        auto r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), kPng, "image/png");
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().value(QStringLiteral("avatarUrl"))
                        .toString()
                        .startsWith(QStringLiteral("https://res.cloudinary.com/demo/")));
        r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), kPng, "image/png");
        QCOMPARE(r.status, 200);
        const QString url = r.json().value(QStringLiteral("avatarUrl")).toString();
        // The first picture was destroyed at Cloudinary.
        const QStringList stored = fake.stored();
        QCOMPARE(stored.size(), 1);
        QVERIFY(url.contains(stored.first()));
        QCOMPARE(client.get(QStringLiteral("/api/v1/me"))
                         .json()
                         .value(QStringLiteral("avatarUrl"))
                         .toString(),
                 url);
        QVERIFY(QDir(server.dataDir() + QStringLiteral("/media")).entryList(QDir::Files).isEmpty());

        QCOMPARE(client.del(QStringLiteral("/api/v1/me/avatar")).status, 200);
        QVERIFY(fake.stored().isEmpty());
    }

    // Product pictures kept by Cloudinary: removing one picture, then the product, calls
    // destroy with their public ids, and nothing stays behind at Cloudinary.
    void productImagesDestroyedAtCloudinary()
    {
        FakeCloudinary fake;
        QVERIFY(fake.start());
        TestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        server.shop().setImageStore(std::make_unique<CloudinaryImageStore>(settingsFor(fake)));
        const Client c = sellerClient(server, QStringLiteral("cloud-seller@example.test"));
        const QString id = newProduct(c);
        QVERIFY(!id.isEmpty());
        const QString path = QStringLiteral("/api/v1/products/%1/images").arg(id);
        QStringList publicIds, imageIds;
        for (int i = 0; i < 3; ++i) {
            const HttpResult r = c.send("POST", path, kPng, "image/png");
            QCOMPARE(r.status, 201);
            const QString url = r.json().value(QStringLiteral("url")).toString();
            QVERIFY(url.startsWith(QStringLiteral("https://res.cloudinary.com/demo/")));
            publicIds.append(publicIdOf(url));
            imageIds.append(r.json().value(QStringLiteral("id")).toString());
        }
        QStringList expected = publicIds;
        expected.sort();
        QCOMPARE(fake.stored(), expected);
        QVERIFY(fake.destroys().isEmpty());

        QCOMPARE(c.del(path + QLatin1Char('/') + imageIds.at(1)).status, 204);
        QCOMPARE(fake.destroys(), QStringList{publicIds.at(1)});
        QVERIFY(!fake.stored().contains(publicIds.at(1)));
        QCOMPARE(fake.stored().size(), 2);

        QCOMPARE(c.del(QStringLiteral("/api/v1/products/") + id).status, 204);
        QVERIFY(fake.stored().isEmpty());
        QStringList destroyed = fake.destroys();
        destroyed.sort();
        QCOMPARE(destroyed, expected);
        QCOMPARE(pendingDeletions(server.shop()), 0);
    }

    // Cloudinary refuses the destroys: the deletes still succeed for the seller, the assets are
    // kept in media_deletions and retried (not before they are due) until Cloudinary takes them.
    void failedRemoteDeleteIsRetried()
    {
        FakeCloudinary fake;
        QVERIFY(fake.start());
        TestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        server.shop().setImageStore(std::make_unique<CloudinaryImageStore>(settingsFor(fake)));
        const Client c = sellerClient(server, QStringLiteral("retry-seller@example.test"));
        const QString id = newProduct(c);
        const QString path = QStringLiteral("/api/v1/products/%1/images").arg(id);
        HttpResult r = c.send("POST", path, kPng, "image/png");
        QCOMPARE(r.status, 201);
        const QString first = publicIdOf(r.json().value(QStringLiteral("url")).toString());
        const QString firstImage = r.json().value(QStringLiteral("id")).toString();
        r = c.send("POST", path, kPng, "image/png");
        QCOMPARE(r.status, 201);
        const QString second = publicIdOf(r.json().value(QStringLiteral("url")).toString());

        QVERIFY(fake.setDestroyDown(true));
        QCOMPARE(c.del(path + QLatin1Char('/') + firstImage).status, 204);
        QCOMPARE(c.del(QStringLiteral("/api/v1/products/") + id).status, 204);
        QCOMPARE(c.get(QStringLiteral("/api/v1/products/") + id).status, 404);
        QVERIFY(fake.destroys().contains(first));
        QVERIFY(fake.destroys().contains(second));
        QCOMPARE(fake.stored().size(), 2); // still there: not lost, queued
        QCOMPARE(pendingDeletions(server.shop()), 2);

        Catalog &catalog = server.shop().catalog();
        const qsizetype callsBefore = fake.destroys().size();
        QCOMPARE(catalog.retryMediaDeletions(), 0); // not due yet
        QCOMPARE(fake.destroys().size(), callsBefore);

        Clock::advanceForTesting(61'000);
        QCOMPARE(catalog.retryMediaDeletions(), 0); // due, but Cloudinary still refuses
        QVERIFY(fake.destroys().size() > callsBefore);
        QCOMPARE(pendingDeletions(server.shop()), 2);
        QCOMPARE(fake.stored().size(), 2);

        QVERIFY(fake.setDestroyDown(false));
        QCOMPARE(catalog.retryMediaDeletions(), 0); // backed off: the next try is later
        Clock::advanceForTesting(600'000); // (the fake refuses signatures over an hour off)
        QCOMPARE(catalog.retryMediaDeletions(), 2);
        QVERIFY(fake.stored().isEmpty());
        QCOMPARE(pendingDeletions(server.shop()), 0);
        QCOMPARE(catalog.retryMediaDeletions(), 0); // nothing left
    }

    void cloudinaryDownMeans503AndNoChange()
    {
        TestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto settings = CloudinaryImageStore::parseUrl(
                                QStringLiteral("cloudinary://1:2@demo"),
                                QStringLiteral("http://127.0.0.1:%1").arg(freePort()))
                                .value();
        settings.initialBackoffMs = 10;
        server.shop().setImageStore(std::make_unique<CloudinaryImageStore>(settings));
        Client client = server.client();
        const auto reg = client.post(
                QStringLiteral("/api/v1/auth/register"),
                {{QStringLiteral("email"), QStringLiteral("bob@example.test")},
                 {QStringLiteral("password"), QStringLiteral("correct horse battery")},
                 {QStringLiteral("displayName"), QStringLiteral("Bob")},
                 {QStringLiteral("role"), QStringLiteral("customer")}});
        QCOMPARE(reg.status, 201);
        client.setToken(reg.json().value(QStringLiteral("accessToken")).toString());
        const auto r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), kPng, "image/png");
        QCOMPARE(r.status, 503);
        QVERIFY(r.isProblem());
        QVERIFY(client.get(QStringLiteral("/api/v1/me"))
                        .json()
                        .value(QStringLiteral("avatarUrl"))
                        .isNull());
    }
};

QTEST_GUILESS_MAIN(TestCloudinary)
#include "tst_cloudinary.moc"
