// Attacks on signing in and on the account's own routes, each over HTTP against a real
// mercato-server as an attacker would send it: memory exhaustion through the sign-in limiter,
// locking a customer out, password checks that take every worker, reset-mail floods, and
// email addresses taken without proof. docs/owasp-api-top10.md lists them with their fixes.

#include "support/testsupport.h"

#include "model/clock.h"
#include "server/ratelimiter.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("correct horse battery");

// One request on a fresh connection from the loopback address `source` (any of 127/8 is this
// machine), so that the server sees another client address.
HttpResult requestFrom(const QString &source, quint16 port, const QByteArray &method,
                       const QByteArray &target, const QByteArray &body = {},
                       const QString &token = {}, int timeoutMs = 60000)
{
    HttpResult result;
    QTcpSocket socket;
    if (!socket.bind(QHostAddress(source), 0))
        return result;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return result;
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:"
                     + QByteArray::number(port) + "\r\nConnection: close\r\n";
    if (!token.isEmpty())
        out += "Authorization: Bearer " + token.toLatin1() + "\r\n";
    if (!body.isEmpty() || method != "GET")
        out += "Content-Type: application/json\r\nContent-Length: "
               + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n" + body;
    socket.write(out);
    QByteArray in;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            break;
        if (socket.waitForReadyRead(100))
            in += socket.readAll();
    }
    const qsizetype headEnd = in.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return result;
    const QList<QByteArray> lines = in.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    result.status = statusLine.size() > 1 ? statusLine.at(1).toInt() : 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines.at(i).indexOf(':');
        if (colon > 0)
            result.headers.insert(lines.at(i).left(colon).trimmed().toLower(),
                                  lines.at(i).mid(colon + 1).trimmed());
    }
    result.body = in.mid(headEnd + 4);
    return result;
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray credentials(const QString &email, const QString &password)
{
    return json({{QStringLiteral("email"), email}, {QStringLiteral("password"), password}});
}

// Registers a customer through the API; its session (empty on failure).
QJsonObject registerCustomer(quint16 port, const QString &email)
{
    const HttpResult r
            = requestFrom(QStringLiteral("127.0.0.1"), port, "POST", "/api/v1/auth/register",
                          json({{QStringLiteral("email"), email},
                                {QStringLiteral("password"), kPassword},
                                {QStringLiteral("displayName"), QStringLiteral("Ann")},
                                {QStringLiteral("role"), QStringLiteral("customer")}}));
    return r.status == 201 ? r.json() : QJsonObject();
}

QString accessToken(const QJsonObject &session)
{
    return session.value(QStringLiteral("accessToken")).toString();
}

// The mails a server without SMTP has written to its outbox folder, oldest first.
QList<QByteArray> outboxMails(const QString &dataDir)
{
    QDir dir(dataDir + QStringLiteral("/outbox"));
    QList<QByteArray> out;
    const QStringList files = dir.entryList({QStringLiteral("*.eml")}, QDir::Files, QDir::Name);
    for (const QString &name : files) {
        QFile f(dir.filePath(name));
        if (f.open(QIODevice::ReadOnly))
            out.append(f.readAll());
    }
    return out;
}

int mailsTo(const QList<QByteArray> &mails, const QString &email)
{
    const QByteArray to = "To: " + email.toUtf8() + "\r\n";
    return int(std::count_if(mails.begin(), mails.end(),
                             [&](const QByteArray &m) { return m.contains(to); }));
}

// The token of the confirmation link in the newest mail to `email` that has one.
QString confirmationToken(const QList<QByteArray> &mails, const QString &email)
{
    static const QRegularExpression re(
            QStringLiteral("/shop/confirm-email\\?token=([A-Za-z0-9_-]+)"));
    const QByteArray to = "To: " + email.toUtf8() + "\r\n";
    for (qsizetype i = mails.size() - 1; i >= 0; --i) {
        if (!mails.at(i).contains(to))
            continue;
        // Quoted-printable bodies fold long lines with a soft break.
        const QString text = QString::fromUtf8(mails.at(i)).remove(QStringLiteral("=\r\n"));
        const QString token = re.match(text).captured(1);
        if (!token.isEmpty())
            return token;
    }
    return {};
}

QString sourceAddress(int n)
{
    return QStringLiteral("127.0.0.%1").arg(n);
}

} // namespace

class TestAttacksAuth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { Clock::resetForTesting(); }

    void finding01_loginLimiterMemoryBounded();
    void finding07_noLockoutFromAnotherAddress();
    void finding06_passwordChecksLimitedAndBounded();
    void finding06_signInsNeverTakeEveryWorker();
    void finding06_pipelinedSignInsAnsweredInOrder();
    void finding14_oneResetMailPerAccount();
    void finding16_emailNeedsProofOfTheAddress();
};

// 100 sign-ins with emails of almost 1 MiB each, each a new account key. The limiter keeps
// nothing of them beyond its fixed table: the server's memory stays where it was (it grew by
// about 220 MB, and held it, when the raw emails were the keys), and the limiter still limits.
void TestAttacksAuth::finding01_loginLimiterMemoryBounded()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), QStringLiteral("20"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    QVERIFY(!registerCustomer(port, QStringLiteral("ann@example.test")).isEmpty());

    const qint64 before = server.rssKiB();
    QVERIFY(before > 0);
    int unprocessable = 0;
    int limited = 0;
    for (int i = 0; i < 100; ++i) {
        // Just under the 1 MiB body limit, so that every request reaches the route.
        QByteArray local(1024 * 1024 - 200, 'a');
        local.replace(0, 8, QByteArray::number(10'000'000 + i));
        const QByteArray body = "{\"email\":\"" + local + "@example.test\",\"password\":\"x\"}";
        const HttpResult r
                = requestFrom(sourceAddress(2 + i % 4), port, "POST", "/api/v1/auth/login", body);
        if (r.status == 422)
            ++unprocessable;
        else if (r.status == 429)
            ++limited;
        else
            QFAIL(qPrintable(QStringLiteral("attempt %1: %2 %3")
                                     .arg(i)
                                     .arg(r.status)
                                     .arg(QString::fromUtf8(r.body.left(200)))));
    }
    const qint64 after = server.rssKiB();
    qInfo("finding 1: RSS %lld KiB before, %lld KiB after 100 logins with 1 MiB emails "
          "(+%lld KiB); %d answered 422, %d answered 429",
          before, after, after - before, unprocessable, limited);
    // Four addresses at 20 attempts a minute each: 80 answered, the rest refused.
    QCOMPARE(unprocessable, 80);
    QCOMPARE(limited, 20);
    // Transient buffers may stay with the allocator; 220 MB of kept keys may not.
    QVERIFY2(after - before < 64 * 1024,
             qPrintable(QStringLiteral("grew by %1 KiB").arg(after - before)));

    // The limiter still limits: a fifth address has its 20 attempts, then 429.
    for (int i = 0; i < 20; ++i)
        QCOMPARE(requestFrom(sourceAddress(9), port, "POST", "/api/v1/auth/login",
                             credentials(QStringLiteral("ann@example.test"),
                                         QStringLiteral("wrong guess %1").arg(i)))
                         .status,
                 401);
    const HttpResult refused
            = requestFrom(sourceAddress(9), port, "POST", "/api/v1/auth/login",
                          credentials(QStringLiteral("ann@example.test"), kPassword));
    QCOMPARE(refused.status, 429);
    QVERIFY(!refused.header("retry-after").isEmpty());
    MERCATO_VERIFY_CLEAN_EXIT(server);

    // Whatever is sent, the table holds at most its slots.
    Http::AuthRateLimiter limiter(20, 1024);
    Http::Request request;
    request.routePattern = QStringLiteral("/api/v1/auth/login");
    for (int i = 0; i < 10'000; ++i) {
        request.remoteAddress = QHostAddress(quint32(0x0a000000 + i));
        (void)limiter.check(request, QStringLiteral("user%1@example.test").arg(i));
    }
    QVERIFY2(limiter.size() <= 1024, qPrintable(QString::number(limiter.size())));
}

// An attacker at one address fails 25 times at a customer's account: it is refused after its
// 20th try, and the owner, at its own address, still signs in with the right password. Failures
// from every address together only slow the account down, past ten times the limit.
void TestAttacksAuth::finding07_noLockoutFromAnotherAddress()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), QStringLiteral("20"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const QString victim = QStringLiteral("victim@example.test");
    QVERIFY(!registerCustomer(port, victim).isEmpty());

    int wrong = 0;
    int limited = 0;
    for (int i = 0; i < 25; ++i) {
        const HttpResult r = requestFrom(sourceAddress(66), port, "POST", "/api/v1/auth/login",
                                         credentials(victim, QStringLiteral("guess %1").arg(i)));
        if (r.status == 401)
            ++wrong;
        else if (r.status == 429)
            ++limited;
        else
            QFAIL(qPrintable(QStringLiteral("attempt %1: %2").arg(i).arg(r.status)));
    }
    qInfo("finding 7: attacker at 127.0.0.66: %d wrong passwords, %d refused", wrong, limited);
    QCOMPARE(wrong, 20);
    QCOMPARE(limited, 5);
    // Even the right password from the attacker's address waits out the limit.
    QCOMPARE(requestFrom(sourceAddress(66), port, "POST", "/api/v1/auth/login",
                         credentials(victim, kPassword))
                     .status,
             429);
    // The owner, at its own address, is not locked out.
    const HttpResult owner = requestFrom(QStringLiteral("127.0.0.1"), port, "POST",
                                         "/api/v1/auth/login", credentials(victim, kPassword));
    QCOMPARE(owner.status, 200);
    QVERIFY(!owner.json().value(QStringLiteral("accessToken")).toString().isEmpty());
    MERCATO_VERIFY_CLEAN_EXIT(server);

    // Past ten times the limit, failures from every address slow the account: a delay after
    // the last failure that doubles with each further one, and the right password gets in once
    // it has passed.
    Http::AuthRateLimiter limiter(20);
    const QString account = QStringLiteral("victim@example.test");
    for (int i = 0; i < 20 * Http::AuthRateLimiter::kAccountFailureFactor; ++i)
        limiter.recordFailure(account);
    QVERIFY(!limiter.accountDelay(account));
    limiter.recordFailure(account);
    auto delayed = limiter.accountDelay(account.toUpper());
    QVERIFY(delayed.has_value());
    QCOMPARE(delayed->status, 429);
    QCOMPARE(delayed->header("Retry-After"), QByteArray("1"));
    Clock::advanceForTesting(1000);
    QVERIFY(!limiter.accountDelay(account));
    limiter.recordFailure(account);
    limiter.recordFailure(account);
    delayed = limiter.accountDelay(account);
    QVERIFY(delayed.has_value());
    QCOMPARE(delayed->header("Retry-After"), QByteArray("4"));
    QVERIFY(!limiter.accountDelay(QStringLiteral("someone.else@example.test")));
    Clock::advanceForTesting(4000);
    QVERIFY(!limiter.accountDelay(account));
}

// Password checks on POST /me/password and PATCH /me: at most the sign-in limit per account
// and per client address; and they run on fewer places than there are workers, so that a
// flood of them (each a production-cost scrypt) leaves workers for the catalogue.
void TestAttacksAuth::finding06_passwordChecksLimitedAndBounded()
{
    {
        QProcessEnvironment env;
        // A small limit, so that its checks fit in the minute even on a slow machine.
        env.insert(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), QStringLiteral("4"));
        ServerProcess server(env);
        QVERIFY2(server.start(), qPrintable(server.log()));
        const quint16 port = server.port();
        const QString ann = accessToken(registerCustomer(port, QStringLiteral("ann@example.test")));
        const QString bob = accessToken(registerCustomer(port, QStringLiteral("bob@example.test")));
        QVERIFY(!ann.isEmpty() && !bob.isEmpty());
        const QByteArray wrongChange
                = json({{QStringLiteral("currentPassword"), QStringLiteral("not the password")},
                        {QStringLiteral("newPassword"), QStringLiteral("another long password")}});
        int forbidden = 0;
        for (int i = 0; i < 4; ++i) {
            // Both routes count on one counter.
            const HttpResult r
                    = i % 2 == 0 ? requestFrom(sourceAddress(2), port, "POST",
                                               "/api/v1/me/password", wrongChange, ann)
                                 : requestFrom(sourceAddress(2), port, "PATCH", "/api/v1/me",
                                               json({{QStringLiteral("email"),
                                                      QStringLiteral("new@example.test")},
                                                     {QStringLiteral("currentPassword"),
                                                      QStringLiteral("guess %1").arg(i)}}),
                                               ann);
            if (r.status == 403)
                ++forbidden;
        }
        QCOMPARE(forbidden, 4);
        const HttpResult limited = requestFrom(sourceAddress(2), port, "POST",
                                               "/api/v1/me/password", wrongChange, ann);
        qInfo("finding 6: 4 wrong current passwords answered 403, the 5th %d", limited.status);
        QCOMPARE(limited.status, 429);
        QVERIFY(!limited.header("retry-after").isEmpty());
        // Per account: the same account from another address is refused too.
        QCOMPARE(requestFrom(sourceAddress(3), port, "PATCH", "/api/v1/me",
                             json({{QStringLiteral("email"), QStringLiteral("new@example.test")},
                                   {QStringLiteral("currentPassword"), kPassword}}),
                             ann)
                         .status,
                 429);
        // Per address: another account from the attacker's address is refused too.
        QCOMPARE(
                requestFrom(sourceAddress(2), port, "POST", "/api/v1/me/password", wrongChange, bob)
                        .status,
                429);
        // Changing the display name checks no password and is not counted.
        QCOMPARE(requestFrom(sourceAddress(2), port, "PATCH", "/api/v1/me",
                             json({{QStringLiteral("displayName"), QStringLiteral("Ann B")}}), ann)
                         .status,
                 200);
        // Another account at another address is untouched.
        QCOMPARE(
                requestFrom(sourceAddress(4), port, "POST", "/api/v1/me/password", wrongChange, bob)
                        .status,
                403);
        MERCATO_VERIFY_CLEAN_EXIT(server);
    }

    // The pool: three workers, one place for password checks. Twelve checks at once from
    // twelve connections: the ones that find the place taken are answered 503 with
    // Retry-After instead of holding a worker, and a catalogue read sent while they are in
    // flight is answered.
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_WORKERS"), QStringLiteral("3"));
    env.insert(QStringLiteral("MERCATO_PASSWORD_CHECKS"), QStringLiteral("1"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    QList<QString> tokens;
    for (int i = 0; i < 12; ++i) {
        tokens.append(
                accessToken(registerCustomer(port, QStringLiteral("c%1@example.test").arg(i))));
        QVERIFY(!tokens.last().isEmpty());
    }
    const QByteArray wrongChange
            = json({{QStringLiteral("currentPassword"), QStringLiteral("not the password")},
                    {QStringLiteral("newPassword"), QStringLiteral("another long password")}});
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
    std::vector<int> statuses(size_t(tokens.size()), 0);
    std::vector<QByteArray> retryAfter(size_t(tokens.size()));
    std::vector<std::thread> threads;
    for (int i = 0; i < tokens.size(); ++i) {
        threads.emplace_back([&, i] {
            ++started;
            const HttpResult r = requestFrom(QStringLiteral("127.0.0.1"), port, "POST",
                                             "/api/v1/me/password", wrongChange, tokens.at(i));
            statuses[size_t(i)] = r.status;
            retryAfter[size_t(i)] = r.header("retry-after");
            ++finished;
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(started.load(), int(tokens.size()), 30000);
    const HttpResult read
            = requestFrom(QStringLiteral("127.0.0.1"), port, "GET", "/api/v1/products?limit=5");
    const int finishedWhenRead = finished.load();
    for (auto &t : threads)
        t.join();
    int refused = 0;
    int checked = 0;
    for (size_t i = 0; i < statuses.size(); ++i) {
        if (statuses[i] == 503) {
            ++refused;
            QCOMPARE(retryAfter[i], QByteArray("1"));
        } else {
            QCOMPARE(statuses[i], 403);
            ++checked;
        }
    }
    qInfo("finding 6: 12 concurrent password checks on 3 workers with 1 place: %d checked, %d "
          "refused with 503; a catalogue read answered %d with %d checks answered by then",
          checked, refused, read.status, finishedWhenRead);
    QCOMPARE(read.status, 200);
    QVERIFY(checked >= 1);
    QVERIFY2(refused >= 1, "every check took a worker");

    // Sign-ins queue for the place instead: six customers signing in at the same moment (each
    // from an address of its own, under the per-address limit) are all let in.
    std::vector<int> logins(6, 0);
    threads.clear();
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            logins[size_t(i)]
                    = requestFrom(sourceAddress(10 + i), port, "POST", "/api/v1/auth/login",
                                  credentials(QStringLiteral("c%1@example.test").arg(i), kPassword))
                              .status;
        });
    }
    for (auto &t : threads)
        t.join();
    for (int i = 0; i < 6; ++i)
        QVERIFY2(
                logins[size_t(i)] == 200,
                qPrintable(QStringLiteral("sign-in %1 answered %2").arg(i).arg(logins[size_t(i)])));
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Sixteen customers sign in at the same moment on a server with two workers and one place for
// password checks. The sign-ins queue on the password checks' own thread, so a catalogue read
// sent while they wait is answered at once, not after them; every sign-in is let in; and a
// server stopped while sign-ins still wait answers each of them and exits cleanly.
void TestAttacksAuth::finding06_signInsNeverTakeEveryWorker()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_WORKERS"), QStringLiteral("2"));
    env.insert(QStringLiteral("MERCATO_PASSWORD_CHECKS"), QStringLiteral("1"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const QString email = QStringLiteral("queue@example.test");
    QVERIFY(!registerCustomer(port, email).isEmpty());

    constexpr int kSignIns = 16;
    auto signInAll = [&](std::vector<int> &statuses, std::atomic<int> &finished) {
        std::vector<std::thread> threads;
        for (int i = 0; i < kSignIns; ++i) {
            threads.emplace_back([&, i] {
                statuses[size_t(i)]
                        = requestFrom(sourceAddress(20 + i), port, "POST", "/api/v1/auth/login",
                                      credentials(email, kPassword))
                                  .status;
                ++finished;
            });
        }
        return threads;
    };
    std::vector<int> statuses(kSignIns, 0);
    std::atomic<int> finished{0};
    std::vector<std::thread> threads = signInAll(statuses, finished);
    // Each check takes a good fraction of a second: the sign-ins are all in the server by now,
    // and almost all of them still wait for the place.
    QTest::qWait(300);
    const HttpResult read
            = requestFrom(QStringLiteral("127.0.0.1"), port, "GET", "/api/v1/products?limit=5");
    const int finishedWhenRead = finished.load();
    for (auto &t : threads)
        t.join();
    qInfo("finding 6: %d sign-ins at once on 2 workers with 1 password check; a catalogue read "
          "answered %d with %d sign-ins answered by then",
          kSignIns, read.status, finishedWhenRead);
    QCOMPARE(read.status, 200);
    // Before, the read waited behind the sign-ins its worker had taken first (nearly all).
    QVERIFY2(finishedWhenRead < kSignIns / 2, "the catalogue read waited for the sign-ins");
    for (int i = 0; i < kSignIns; ++i)
        QVERIFY2(statuses[size_t(i)] == 200,
                 qPrintable(
                         QStringLiteral("sign-in %1 answered %2").arg(i).arg(statuses[size_t(i)])));

    // Stopped while sign-ins wait: each gets an answer (let in, or 503 to try again), none is
    // left hanging, and the server exits cleanly.
    std::fill(statuses.begin(), statuses.end(), 0);
    finished = 0;
    threads = signInAll(statuses, finished);
    QTest::qWait(300);
    const int exitCode = server.terminate();
    for (auto &t : threads)
        t.join();
    int letIn = 0;
    int busy = 0;
    for (int status : statuses) {
        if (status == 200)
            ++letIn;
        else if (status == 503)
            ++busy;
    }
    qInfo("finding 6: stopped with %d sign-ins in flight: %d let in, %d answered 503", kSignIns,
          letIn, busy);
    QCOMPARE(letIn + busy, kSignIns);
    QVERIFY2(exitCode == 0, qPrintable(logExcerpt(server.log())));
}

// Two sign-ins and a catalogue read pipelined on one connection: the sign-ins wait for their
// password checks elsewhere, and the three answers still come in the order asked, on the one
// connection, which closes after the third as it asked.
void TestAttacksAuth::finding06_pipelinedSignInsAnsweredInOrder()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_WORKERS"), QStringLiteral("2"));
    env.insert(QStringLiteral("MERCATO_PASSWORD_CHECKS"), QStringLiteral("1"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const QString email = QStringLiteral("pipe@example.test");
    QVERIFY(!registerCustomer(port, email).isEmpty());

    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    auto login = [&](const QString &password) -> QByteArray {
        const QByteArray body = credentials(email, password);
        return "POST /api/v1/auth/login HTTP/1.1\r\n" + host
               + "Content-Type: application/json\r\nContent-Length: "
               + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    };
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(socket.waitForConnected(10000));
    const QByteArray pipelined = login(kPassword) + login(QStringLiteral("not the password"))
                                 + "GET /api/v1/products?limit=1 HTTP/1.1\r\n" + host
                                 + "Connection: close\r\n\r\n";
    socket.write(pipelined);
    QByteArray in;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 60000 && socket.state() == QAbstractSocket::ConnectedState) {
        if (socket.waitForReadyRead(100))
            in += socket.readAll();
    }
    in += socket.readAll();
    // The answers, in order: status and body of each.
    QList<QPair<int, QByteArray>> answers;
    qsizetype at = 0;
    while (at < in.size()) {
        const qsizetype headEnd = in.indexOf("\r\n\r\n", at);
        if (headEnd < 0)
            break;
        const QByteArray head = in.mid(at, headEnd - at);
        static const QRegularExpression length(QStringLiteral("(?i)content-length: *([0-9]+)"));
        const qsizetype bodyLength
                = length.match(QString::fromLatin1(head)).captured(1).toLongLong();
        answers.append({head.mid(9, 3).toInt(), in.mid(headEnd + 4, bodyLength)});
        at = headEnd + 4 + bodyLength;
    }
    QVERIFY2(answers.size() == 3, in.constData());
    QCOMPARE(answers.at(0).first, 200);
    QVERIFY(answers.at(0).second.contains("accessToken"));
    QCOMPARE(answers.at(1).first, 401);
    QCOMPARE(answers.at(2).first, 200);
    QVERIFY(answers.at(2).second.contains("\"items\""));
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Twenty reset requests for one account from five addresses: each answered 202 with the same
// body, one mail sent.
void TestAttacksAuth::finding14_oneResetMailPerAccount()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), QStringLiteral("20"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const QString victim = QStringLiteral("victim@example.test");
    const QString control = QStringLiteral("control@example.test");
    QVERIFY(!registerCustomer(port, victim).isEmpty());
    QVERIFY(!registerCustomer(port, control).isEmpty());

    QByteArray firstBody;
    for (int i = 0; i < 20; ++i) {
        const HttpResult r = requestFrom(
                sourceAddress(2 + i % 5), port, "POST", "/api/v1/auth/forgot-password",
                json({{QStringLiteral("email"), i % 2 ? victim : victim.toUpper()}}));
        QCOMPARE(r.status, 202);
        if (i == 0)
            firstBody = r.body;
        QCOMPARE(r.body, firstBody);
    }
    // Requests are handled in turn: once the control account's mail is out, every earlier
    // request has been handled.
    QCOMPARE(requestFrom(sourceAddress(9), port, "POST", "/api/v1/auth/forgot-password",
                         json({{QStringLiteral("email"), control}}))
                     .status,
             202);
    QTRY_COMPARE_WITH_TIMEOUT(mailsTo(outboxMails(server.dataDir()), control), 1, 30000);
    const int sent = mailsTo(outboxMails(server.dataDir()), victim);
    qInfo("finding 14: 20 reset requests for one account from 5 addresses: %d mail(s) sent", sent);
    QCOMPARE(sent, 1);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

// Registration: the account is unverified until the link mailed to its address is followed.
// A change of email: nothing changes until the link mailed to the new address is followed;
// then the old address is told. A guessed or reused token is refused.
void TestAttacksAuth::finding16_emailNeedsProofOfTheAddress()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_EMAIL_VERIFICATION"), QStringLiteral("on"));
    ServerProcess server(env);
    QVERIFY2(server.start(), qPrintable(server.log()));
    const quint16 port = server.port();
    const QString ann = QStringLiteral("ann@example.test");
    const QJsonObject session = registerCustomer(port, ann);
    QVERIFY(!session.isEmpty());
    QCOMPARE(
            session.value(QStringLiteral("user")).toObject().value(QStringLiteral("emailVerified")),
            QJsonValue(false));
    Client client(port);
    client.setToken(accessToken(session));
    QCOMPARE(client.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("emailVerified")),
             QJsonValue(false));

    QString verifyToken;
    QTRY_VERIFY_WITH_TIMEOUT(
            !(verifyToken = confirmationToken(outboxMails(server.dataDir()), ann)).isEmpty(),
            30000);
    // A guessed token proves nothing.
    const HttpResult guessed
            = client.post(QStringLiteral("/api/v1/auth/confirm-email"),
                          {{QStringLiteral("token"),
                            QStringLiteral("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}});
    QCOMPARE(guessed.status, 400);
    QVERIFY(guessed.isProblem());
    QCOMPARE(guessed.json()
                     .value(QStringLiteral("errors"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("field"))
                     .toString(),
             QStringLiteral("token"));
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/confirm-email"), {}).status, 422);
    // The link is followed without a session (a browser that is not signed in).
    QCOMPARE(Client(port)
                     .post(QStringLiteral("/api/v1/auth/confirm-email"),
                           {{QStringLiteral("token"), verifyToken}})
                     .status,
             204);
    QCOMPARE(client.get(QStringLiteral("/api/v1/me")).json().value(QStringLiteral("emailVerified")),
             QJsonValue(true));
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/confirm-email"),
                         {{QStringLiteral("token"), verifyToken}})
                     .status,
             400);

    // The change of address: asked for with the password, nothing changes yet.
    const QString target = QStringLiteral("ann.new@example.test");
    HttpResult r = client.patch(
            QStringLiteral("/api/v1/me"),
            {{QStringLiteral("email"), target}, {QStringLiteral("currentPassword"), kPassword}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("email")).toString(), ann);
    QCOMPARE(client.get(QStringLiteral("/api/v1/me"))
                     .json()
                     .value(QStringLiteral("email"))
                     .toString(),
             ann);
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/login"),
                         {{QStringLiteral("email"), target},
                          {QStringLiteral("password"), kPassword}})
                     .status,
             401);
    QString changeToken;
    QTRY_VERIFY_WITH_TIMEOUT(
            !(changeToken = confirmationToken(outboxMails(server.dataDir()), target)).isEmpty(),
            30000);
    QCOMPARE(mailsTo(outboxMails(server.dataDir()), ann), 1); // only the first link so far
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/confirm-email"),
                         {{QStringLiteral("token"), changeToken}})
                     .status,
             204);
    const QJsonObject me = client.get(QStringLiteral("/api/v1/me")).json();
    QCOMPARE(me.value(QStringLiteral("email")).toString(), target);
    QCOMPARE(me.value(QStringLiteral("emailVerified")), QJsonValue(true));
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/login"),
                         {{QStringLiteral("email"), target},
                          {QStringLiteral("password"), kPassword}})
                     .status,
             200);
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/login"),
                         {{QStringLiteral("email"), ann}, {QStringLiteral("password"), kPassword}})
                     .status,
             401);
    // The old address is told.
    QTRY_COMPARE_WITH_TIMEOUT(mailsTo(outboxMails(server.dataDir()), ann), 2, 30000);
    const QList<QByteArray> mails = outboxMails(server.dataDir());
    const QByteArray notice = *std::find_if(mails.rbegin(), mails.rend(), [&](const QByteArray &m) {
        return m.contains(QByteArray("To: " + ann.toUtf8() + "\r\n"));
    });
    QVERIFY2(notice.contains("Subject: Your email address was changed"), notice.constData());
    QCOMPARE(client.post(QStringLiteral("/api/v1/auth/confirm-email"),
                         {{QStringLiteral("token"), changeToken}})
                     .status,
             400);

    // An address another account uses cannot be asked for.
    QVERIFY(!registerCustomer(port, QStringLiteral("bob@example.test")).isEmpty());
    QCOMPARE(client.patch(QStringLiteral("/api/v1/me"),
                          {{QStringLiteral("email"), QStringLiteral("BOB@example.test")},
                           {QStringLiteral("currentPassword"), kPassword}})
                     .status,
             409);
    MERCATO_VERIFY_CLEAN_EXIT(server);
}

QTEST_GUILESS_MAIN(TestAttacksAuth)
#include "tst_attacks_auth.moc"
