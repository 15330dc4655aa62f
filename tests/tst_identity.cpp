// The account routes that go through outside systems, over real HTTP on both engines:
// forgot/reset password (mail in the .eml outbox) and profile pictures (the image store).

#include "model/clock.h"
#include "model/ids.h"
#include "support/testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>
#include <QtEndian>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

TestServer::Options fastOptions(int rateLimit = 0)
{
    TestServer::Options o;
    o.settings.passwordHashLogN = 10; // scrypt cost is not what these tests are about
    o.authRateLimit = rateLimit;
    return o;
}

struct User
{
    QString id;
    QString email;
    QString access;
    QString refresh;
};

User registerUser(const Client &client, const QString &email,
                  const QString &role = QStringLiteral("customer"))
{
    const auto r = client.post(QStringLiteral("/api/v1/auth/register"),
                               {{QStringLiteral("email"), email},
                                {QStringLiteral("password"), kPassword},
                                {QStringLiteral("displayName"), QStringLiteral("Ann Example")},
                                {QStringLiteral("role"), role}});
    if (r.status != 201)
        qWarning() << "register failed" << r.status << r.body;
    const QJsonObject o = r.json();
    return User{o.value(QStringLiteral("user")).toObject().value(QStringLiteral("id")).toString(),
                email, o.value(QStringLiteral("accessToken")).toString(),
                o.value(QStringLiteral("refreshToken")).toString()};
}

QStringList outboxFiles(TestServer &server)
{
    QDir dir(server.dataDir() + QStringLiteral("/outbox"));
    return dir.entryList({QStringLiteral("*.eml")}, QDir::Files, QDir::Name);
}

QByteArray readOutbox(TestServer &server, const QString &name)
{
    QFile f(server.dataDir() + QStringLiteral("/outbox/") + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The token of the link in a reset mail.
QString tokenFromMail(const QByteArray &mail)
{
    static const QRegularExpression re(QStringLiteral("/reset-password\\?token=([A-Za-z0-9_-]+)"));
    return re.match(QString::fromUtf8(mail)).captured(1);
}

// Asks for a reset of `email` and returns the token of the mail it sent.
QString requestToken(TestServer &server, const QString &email)
{
    const int before = int(outboxFiles(server).size());
    const auto r = server.client().post(QStringLiteral("/api/v1/auth/forgot-password"),
                                        {{QStringLiteral("email"), email}});
    if (r.status != 202)
        return {};
    if (!server.shop().passwordResets().waitUntilIdle(10000)
        || !server.shop().mail().waitUntilIdle(10000))
        return {};
    const QStringList files = outboxFiles(server);
    if (files.size() != before + 1)
        return {};
    return tokenFromMail(readOutbox(server, files.last()));
}

const QByteArray kPng = SampleImages::png();
const QByteArray kJpeg = SampleImages::jpeg();
const QByteArray kWebp = SampleImages::webp();

QByteArray multipart(const QByteArray &boundary, const QByteArray &field, const QByteArray &type,
                     const QByteArray &content)
{
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
           + "\"; filename=\"a\"\r\nContent-Type: " + type + "\r\n\r\n" + content + "\r\n--"
           + boundary + "--\r\n";
}

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xffffffffu;
    for (const char c : data) {
        crc ^= quint8(c);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray be32(quint32 v)
{
    QByteArray out(4, '\0');
    for (int i = 0; i < 4; ++i)
        out[i] = char(v >> (24 - 8 * i));
    return out;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    return be32(quint32(data.size())) + type + data + be32(crc32(type + data));
}

// A real decompression bomb: a valid 8,000 × 8,000 one-bit greyscale PNG (64 megapixels,
// some 256 MB once decoded to RGBA) whose zeros compress to a few kilobytes.
QByteArray pngBomb()
{
    constexpr quint32 side = 8000;
    const QByteArray rows(qsizetype(side) * (1 + side / 8), '\0'); // filter byte + packed pixels
    const QByteArray zlib = qCompress(rows, 9).mid(4);             // qCompress prefixes the length
    const QByteArray ihdr = be32(side) + be32(side) + QByteArray("\x01\x00\x00\x00\x00", 5);
    return QByteArray("\x89PNG\r\n\x1a\n") + pngChunk("IHDR", ihdr) + pngChunk("IDAT", zlib)
           + pngChunk("IEND", {});
}

// `image` with the width and height fields at `at` (big or little endian, 16 bits) set to
// 8,192: 67 megapixels declared by a file of a few hundred bytes.
QByteArray declaring8192(QByteArray image, qsizetype widthAt, qsizetype heightAt, bool bigEndian)
{
    for (const qsizetype at : {widthAt, heightAt}) {
        image[at] = bigEndian ? char(0x20) : char(0x00);
        image[at + 1] = bigEndian ? char(0x00) : char(0x20);
    }
    return image;
}

QStringList mediaFiles(TestServer &server)
{
    return QDir(server.dataDir() + QStringLiteral("/media")).entryList(QDir::Files);
}

int login(const Client &client, const QString &email, const QString &password)
{
    return client
            .post(QStringLiteral("/api/v1/auth/login"),
                  {{QStringLiteral("email"), email}, {QStringLiteral("password"), password}})
            .status;
}

} // namespace

class TestIdentity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void forgotAnswersTheSameForUnknownEmails()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        registerUser(client, QStringLiteral("ann@example.test"));

        const auto known
                = client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                              {{QStringLiteral("email"), QStringLiteral("ANN@example.test ")}});
        const auto unknown
                = client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                              {{QStringLiteral("email"), QStringLiteral("nobody@example.test")}});
        QCOMPARE(known.status, 202);
        QCOMPARE(unknown.status, 202);
        QCOMPARE(known.body, unknown.body);
        QCOMPARE(known.header("content-type"), unknown.header("content-type"));
        QVERIFY(server.shop().passwordResets().waitUntilIdle(10000));
        QVERIFY(server.shop().mail().waitUntilIdle(10000));

        // One mail, to the account that exists, with a link built from the public URL.
        const QStringList files = outboxFiles(server);
        QCOMPARE(files.size(), 1);
        const QByteArray mail = readOutbox(server, files.first());
        QVERIFY(mail.contains("To: ann@example.test\r\n"));
        const QString token = tokenFromMail(mail);
        QVERIFY(!token.isEmpty());
        QCOMPARE(QByteArray::fromBase64(token.toLatin1(), QByteArray::Base64UrlEncoding).size(),
                 32);
        QVERIFY(mail.contains(
                QByteArray("\n" + token.toLatin1() + "\r\n"))); // the bare token too, for apps

        // Kept hashed: the database never holds the token itself.
        auto q = execSql(
                server.shop().database().connection(),
                QStringLiteral("SELECT token_hash, expires_at - created_at FROM password_resets"));
        QVERIFY(q.ok());
        QVERIFY(q->next());
        QCOMPARE(q->value(0).toString(), Ids::tokenHash(token));
        QCOMPARE(q->value(1).toLongLong(), 30LL * 60 * 1000);
        QVERIFY(!q->next());
    }

    // The link in the reset mail comes from MERCATO_PUBLIC_URL, never from the request: a
    // real mercato-server asked with a forged Host (and X-Forwarded-Host) header still mails
    // a link to the configured shop.
    void resetLinkIgnoresTheHostHeader()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("MERCATO_PUBLIC_URL"),
                   QStringLiteral("https://shop.example.test"));
        ServerProcess server(env);
        QVERIFY2(server.start(), qPrintable(server.log()));
        registerUser(Client(server.port()), QStringLiteral("ann@example.test"));

        const QByteArray body = R"({"email":"ann@example.test"})";
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), server.port());
        QVERIFY(socket.waitForConnected(10000));
        socket.write("POST /api/v1/auth/forgot-password HTTP/1.1\r\n"
                     "Host: evil.example.test\r\n"
                     "X-Forwarded-Host: evil.example.test\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: "
                     + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        QByteArray answer;
        while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(15000))
            answer += socket.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 202"), answer.constData());

        const QDir outbox(server.dataDir() + QStringLiteral("/outbox"));
        QTRY_COMPARE_WITH_TIMEOUT(outbox.entryList({QStringLiteral("*.eml")}, QDir::Files).size(),
                                  qsizetype(1), 20000);
        QFile file(
                outbox.filePath(outbox.entryList({QStringLiteral("*.eml")}, QDir::Files).first()));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray mail = file.readAll();
        QVERIFY2(mail.contains("https://shop.example.test/reset-password?token="),
                 mail.constData());
        QVERIFY(!tokenFromMail(mail).isEmpty());
        QVERIFY2(!mail.contains("evil.example.test"), mail.constData());
        MERCATO_VERIFY_CLEAN_EXIT(server);
    }

    void resetFlow()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        const User ann = registerUser(client, QStringLiteral("ann@example.test"));
        QVERIFY(!ann.access.isEmpty());
        Client annClient = server.client();
        annClient.setToken(ann.access);
        QCOMPARE(annClient.get(QStringLiteral("/api/v1/me")).status, 200);

        const QString token = requestToken(server, ann.email);
        QVERIFY(!token.isEmpty());
        // Access tokens carry whole seconds: step past the second they were issued in.
        Clock::advanceForTesting(1500);
        const QString newPassword = QStringLiteral("a brand new passphrase");
        const auto r = client.post(
                QStringLiteral("/api/v1/auth/reset-password"),
                {{QStringLiteral("token"), token}, {QStringLiteral("newPassword"), newPassword}});
        QCOMPARE(r.status, 204);

        QCOMPARE(login(client, ann.email, kPassword), 401);
        QCOMPARE(login(client, ann.email, newPassword), 200);
        // Sessions from before the reset are over: the access token and the refresh token.
        QCOMPARE(annClient.get(QStringLiteral("/api/v1/me")).status, 401);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/refresh"),
                             {{QStringLiteral("refreshToken"), ann.refresh}})
                         .status,
                 401);
        // Single use.
        const auto again = client.post(
                QStringLiteral("/api/v1/auth/reset-password"),
                {{QStringLiteral("token"), token},
                 {QStringLiteral("newPassword"), QStringLiteral("yet another passphrase")}});
        QCOMPARE(again.status, 400);
        QVERIFY(again.isProblem());
        QCOMPARE(login(client, ann.email, newPassword), 200);
    }

    void oneResetSpendsEveryOutstandingToken()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        const User ann = registerUser(client, QStringLiteral("ann@example.test"));
        const QString first = requestToken(server, ann.email);
        // One reset mail per account per 5 minutes: the second is asked for after that.
        Clock::advanceForTesting(PasswordResets::kMailIntervalMs + 1000);
        const QString second = requestToken(server, ann.email);
        QVERIFY(!first.isEmpty() && !second.isEmpty() && first != second);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/reset-password"),
                             {{QStringLiteral("token"), second},
                              {QStringLiteral("newPassword"),
                               QStringLiteral("the second passphrase")}})
                         .status,
                 204);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/reset-password"),
                             {{QStringLiteral("token"), first},
                              {QStringLiteral("newPassword"),
                               QStringLiteral("the first passphrase")}})
                         .status,
                 400);
    }

    void expiredTokenIsRefused()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        const User ann = registerUser(client, QStringLiteral("ann@example.test"));
        const QString token = requestToken(server, ann.email);
        QVERIFY(!token.isEmpty());
        Clock::advanceForTesting(30 * 60 * 1000 + 1000);
        const auto r = client.post(
                QStringLiteral("/api/v1/auth/reset-password"),
                {{QStringLiteral("token"), token},
                 {QStringLiteral("newPassword"), QStringLiteral("too late a passphrase")}});
        QCOMPARE(r.status, 400);
        QVERIFY(r.isProblem());
        QCOMPARE(r.json().value(QStringLiteral("errors"))
                         .toArray()
                         .first()
                         .toObject()
                         .value(QStringLiteral("field"))
                         .toString(),
                 QStringLiteral("token"));
        QCOMPARE(login(client, ann.email, kPassword), 200);
    }

    void tokenStillValidJustBeforeExpiry()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        const User ann = registerUser(client, QStringLiteral("ann@example.test"));
        const QString token = requestToken(server, ann.email);
        Clock::advanceForTesting(29 * 60 * 1000);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/reset-password"),
                             {{QStringLiteral("token"), token},
                              {QStringLiteral("newPassword"),
                               QStringLiteral("just in time passphrase")}})
                         .status,
                 204);
    }

    void resetRefusesBadInput_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown-token") << QByteArray(
                R"({"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","newPassword":"a long enough one"})")
                                       << 400 << "token";
        QTest::newRow("short-password")
                << QByteArray(R"({"token":"VALID","newPassword":"short"})") << 422 << "newPassword";
        QTest::newRow("password-is-email")
                << QByteArray(R"({"token":"VALID","newPassword":"ann@example.test"})") << 422
                << "newPassword";
        QTest::newRow("missing-token")
                << QByteArray(R"({"newPassword":"a long enough one"})") << 422 << "token";
        QTest::newRow("missing-password")
                << QByteArray(R"({"token":"VALID"})") << 422 << "newPassword";
        QTest::newRow("token-not-a-string")
                << QByteArray(R"({"token":5,"newPassword":"a long enough one"})") << 422 << "token";
        QTest::newRow("not-json") << QByteArray("token=abc") << 400 << "";
    }
    void resetRefusesBadInput()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, field);
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        const User ann = registerUser(client, QStringLiteral("ann@example.test"));
        const QString token = requestToken(server, ann.email);
        QVERIFY(!token.isEmpty());
        body.replace("VALID", token.toLatin1());
        const auto r = client.send("POST", QStringLiteral("/api/v1/auth/reset-password"), body,
                                   "application/json");
        QCOMPARE(r.status, status);
        QVERIFY(r.isProblem());
        if (!field.isEmpty()) {
            bool named = false;
            for (const auto e : r.json().value(QStringLiteral("errors")).toArray())
                named = named || e.toObject().value(QStringLiteral("field")).toString() == field;
            QVERIFY2(named, r.body.constData());
        }
        // Nothing changed: the old password works and the token is still good.
        QCOMPARE(login(client, ann.email, kPassword), 200);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/reset-password"),
                             {{QStringLiteral("token"), token},
                              {QStringLiteral("newPassword"), QStringLiteral("after the bad try")}})
                         .status,
                 204);
    }

    void forgotRefusesBadInput_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::newRow("not-an-email") << QByteArray(R"({"email":"nope"})") << 422;
        QTest::newRow("missing") << QByteArray(R"({})") << 422;
        QTest::newRow("wrong-type") << QByteArray(R"({"email":["a@b.test"]})") << 422;
        QTest::newRow("malformed") << QByteArray(R"({"email":)") << 400;
    }
    void forgotRefusesBadInput()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const auto r = server.client().send("POST", QStringLiteral("/api/v1/auth/forgot-password"),
                                            body, "application/json");
        QCOMPARE(r.status, status);
        QVERIFY(r.isProblem());
        QVERIFY(server.shop().passwordResets().waitUntilIdle(10000));
        QCOMPARE(outboxFiles(server).size(), 0);
    }

    void avatarUploadReplaceDelete()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const User ann = registerUser(server.client(), QStringLiteral("ann@example.test"));
        Client client = server.client();
        client.setToken(ann.access);

        auto r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), kPng, "image/png");
        QCOMPARE(r.status, 200);
        const QString first = r.json().value(QStringLiteral("avatarUrl")).toString();
        QVERIFY(first.contains(QStringLiteral("/media/")));
        QVERIFY(first.endsWith(QStringLiteral(".png")));
        QCOMPARE(mediaFiles(server).size(), 1);
        QCOMPARE(client.get(QStringLiteral("/api/v1/me"))
                         .json()
                         .value(QStringLiteral("avatarUrl"))
                         .toString(),
                 first);

        // Multipart replaces it, and the old file goes.
        r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"),
                        multipart("xYz", "file", "image/jpeg", kJpeg),
                        "multipart/form-data; boundary=xYz");
        QCOMPARE(r.status, 200);
        const QString second = r.json().value(QStringLiteral("avatarUrl")).toString();
        QVERIFY(second.endsWith(QStringLiteral(".jpg")));
        QCOMPARE(mediaFiles(server), QStringList{second.section(QLatin1Char('/'), -1)});

        r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), kWebp, "image/webp");
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().value(QStringLiteral("avatarUrl"))
                        .toString()
                        .endsWith(QStringLiteral(".webp")));
        QCOMPARE(mediaFiles(server).size(), 1);

        r = client.del(QStringLiteral("/api/v1/me/avatar"));
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().contains(QStringLiteral("avatarUrl")));
        QVERIFY(r.json().value(QStringLiteral("avatarUrl")).isNull());
        QCOMPARE(mediaFiles(server).size(), 0);
        QVERIFY(client.get(QStringLiteral("/api/v1/me"))
                        .json()
                        .value(QStringLiteral("avatarUrl"))
                        .isNull());
        // Deleting again is harmless.
        QCOMPARE(client.del(QStringLiteral("/api/v1/me/avatar")).status, 200);
    }

    void avatarRefusesBadUploads_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<int>("status");
        QTest::newRow("text-claiming-png")
                << QByteArray("just some text, not a picture") << QByteArray("image/png") << 415;
        QTest::newRow("truncated-png")
                << kPng.left(kPng.size() / 2) << QByteArray("image/png") << 422;
        QTest::newRow("jpeg-claiming-png") << kJpeg << QByteArray("image/png") << 415;
        QTest::newRow("gif-type") << kPng << QByteArray("image/gif") << 415;
        QTest::newRow("json") << QByteArray("{}") << QByteArray("application/json") << 415;
        QTest::newRow("multipart-no-file-field")
                << multipart("b0", "picture", "image/png", kPng)
                << QByteArray("multipart/form-data; boundary=b0") << 422;
        QTest::newRow("multipart-malformed")
                << QByteArray("--b0\r\nnonsense") << QByteArray("multipart/form-data; boundary=b0")
                << 400;
        QTest::newRow("empty") << QByteArray() << QByteArray("image/png") << 422;
        // Over 40 megapixels: refused before anything decodes them.
        QTest::newRow("png-bomb-64-megapixels") << pngBomb() << QByteArray("image/png") << 422;
        {
            const qsizetype sof = kJpeg.indexOf("\xff\xc0");
            QVERIFY(sof > 0);
            QTest::newRow("jpeg-declaring-67-megapixels")
                    << declaring8192(kJpeg, sof + 7, sof + 5, true) << QByteArray("image/jpeg")
                    << 422;
        }
        QVERIFY(kWebp.mid(12, 4) == "VP8 ");
        QTest::newRow("webp-declaring-67-megapixels")
                << declaring8192(kWebp, 26, 28, false) << QByteArray("image/webp") << 422;
        // Sound headers, sane sizes, an end marker: only decoding them shows they hold no
        // picture.
        {
            const qsizetype idat = kPng.indexOf("IDAT");
            QVERIFY(idat > 0);
            const auto length = qsizetype(qFromBigEndian<quint32>(kPng.constData() + idat - 4));
            QByteArray garbled = kPng;
            for (qsizetype i = 0; i < length; ++i)
                garbled[idat + 4 + i] = char(0x55);
            QTest::newRow("png-with-garbled-pixels") << garbled << QByteArray("image/png") << 422;
            QByteArray noPixels = kPng;
            noPixels.remove(idat - 4, 4 + 4 + length + 4);
            QTest::newRow("png-without-pixel-data") << noPixels << QByteArray("image/png") << 422;
        }
        {
            const qsizetype scan = kJpeg.indexOf("\xff\xda");
            QVERIFY(scan > 0);
            QTest::newRow("jpeg-without-scan")
                    << kJpeg.left(scan) + "\xff\xd9" << QByteArray("image/jpeg") << 422;
        }
        {
            QByteArray garbled = kWebp;
            for (qsizetype i = 30; i < garbled.size(); ++i)
                garbled[i] = char(0xff);
            QTest::newRow("webp-with-garbled-frame") << garbled << QByteArray("image/webp") << 422;
        }
    }
    void avatarRefusesBadUploads()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, type);
        QFETCH(int, status);
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const User ann = registerUser(server.client(), QStringLiteral("ann@example.test"));
        Client client = server.client();
        client.setToken(ann.access);
        const auto r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), body, type);
        QCOMPARE(r.status, status);
        QVERIFY(r.isProblem());
        QCOMPARE(mediaFiles(server).size(), 0);
        QVERIFY(client.get(QStringLiteral("/api/v1/me"))
                        .json()
                        .value(QStringLiteral("avatarUrl"))
                        .isNull());
    }

    void avatarNeedsSignIn()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QCOMPARE(server.client()
                         .send("PUT", QStringLiteral("/api/v1/me/avatar"), kPng, "image/png")
                         .status,
                 401);
        QCOMPARE(server.client().del(QStringLiteral("/api/v1/me/avatar")).status, 401);
        QCOMPARE(mediaFiles(server).size(), 0);
    }

    void avatarOver8MiBIs413()
    {
        TestServer server(fastOptions());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const User ann = registerUser(server.client(), QStringLiteral("ann@example.test"));
        Client client = server.client();
        client.setToken(ann.access);
        QByteArray big = kPng;
        big.append(QByteArray(8 * 1024 * 1024, 'x'));
        const auto r = client.send("PUT", QStringLiteral("/api/v1/me/avatar"), big, "image/png");
        QCOMPARE(r.status, 413);
        QCOMPARE(mediaFiles(server).size(), 0);
    }

    void forgotIsRateLimited()
    {
        TestServer server(fastOptions(3));
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        Client client = server.client();
        for (int i = 0; i < 3; ++i)
            QCOMPARE(client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                                 {{QStringLiteral("email"),
                                   QStringLiteral("x%1@example.test").arg(i)}})
                             .status,
                     202);
        const auto r = client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                                   {{QStringLiteral("email"), QStringLiteral("x9@example.test")}});
        QCOMPARE(r.status, 429);
        QVERIFY(!r.header("retry-after").isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestIdentity)
#include "tst_identity.moc"
