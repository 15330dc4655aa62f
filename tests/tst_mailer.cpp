// Outgoing mail: the RFC 5322 rendering, the `.eml` outbox (the default), the retrying queue,
// and SmtpMailer against a real SMTP server on loopback (aiosmtpd): plain, AUTH PLAIN and
// LOGIN, STARTTLS, refusals, and delivery once a server that was down comes back.

#include "model/mailer.h"
#include "model/smtpmailer.h"
#include "support/smtpsink.h"
#include "support/testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace Mercato;

namespace {

using Test::SmtpSink;

SmtpMailer::Settings settingsFor(quint16 port, const QString &user = {},
                                 const QString &password = {})
{
    SmtpMailer::Settings s;
    s.host = QStringLiteral("127.0.0.1");
    s.port = port;
    s.user = user;
    s.password = password;
    s.from = QStringLiteral("Shop <shop@example.test>");
    s.timeoutMs = 5000;
    return s;
}

MailMessage sampleMessage()
{
    return MailMessage{
            QStringLiteral("Ann <ann@example.test>"), QStringLiteral("Reset your password"),
            QStringLiteral(
                    "Hello Ann,\n.leading dot line\nhttps://shop.test/reset-password?token=abc\n")};
}

// A mailer that fails a set number of times, then succeeds.
class FlakyMailer : public Mailer
{
public:
    FlakyMailer(int failures, ErrorCode code)
        : m_failuresLeft(failures)
        , m_code(code)
    {}
    Status deliver(const MailMessage &) override
    {
        ++attempts;
        if (m_failuresLeft-- > 0)
            return makeError(m_code, QStringLiteral("flaky"));
        return Ok{};
    }
    QString describe() const override { return QStringLiteral("flaky"); }
    std::atomic<int> attempts{0};

private:
    std::atomic<int> m_failuresLeft;
    ErrorCode m_code;
};

// An in-memory journal whose looks can be held after they have read (as a SQL claim reads a
// snapshot): mail added meanwhile is not in that look's answer.
class GatedJournal : public MailJournal
{
public:
    Result<QString> add(const MailMessage &message) override
    {
        std::lock_guard lock(m_mutex);
        m_rows.append(message);
        return QString::number(m_rows.size());
    }
    Result<QList<JournaledMail>> claim(int, qint64) override
    {
        std::unique_lock lock(m_mutex);
        QList<JournaledMail> due;
        for (const MailMessage &m : std::as_const(m_rows))
            due.append(JournaledMail{m, 0, QStringLiteral("claim")});
        m_rows.clear();
        if (m_looksToHold > 0) {
            --m_looksToHold;
            m_looking = true;
            m_changed.notify_all();
            m_changed.wait(lock, [this] { return !m_looking; });
        }
        return due;
    }
    Status delivered(const JournaledMail &) override { return Ok{}; }
    Status failed(const JournaledMail &, int, qint64, const QString &) override { return Ok{}; }
    Status release(const JournaledMail &) override { return Ok{}; }

    void holdLooks(int count)
    {
        std::lock_guard lock(m_mutex);
        m_looksToHold = count;
    }
    void waitForHeldLook()
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_looking; });
    }
    void finishHeldLook()
    {
        std::lock_guard lock(m_mutex);
        m_looking = false;
        m_changed.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    QList<MailMessage> m_rows;
    int m_looksToHold = 0;
    bool m_looking = false;
};

} // namespace

class TestMailer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void renderIsRfc5322()
    {
        MailMessage m = sampleMessage();
        m.subject = QStringLiteral("Passwort zurücksetzen\r\nBcc: evil@example.test");
        const QByteArray mail = renderMail(m, QStringLiteral("Shop <shop@example.test>"));
        const qsizetype split = mail.indexOf("\r\n\r\n");
        QVERIFY(split > 0);
        const QList<QByteArray> headers = mail.left(split).split('\n');
        for (const QByteArray &h : headers)
            QVERIFY2(h.endsWith('\r') || h == headers.last(), h.constData());
        QVERIFY(mail.contains("From: Shop <shop@example.test>\r\n"));
        QVERIFY(mail.contains("To: Ann <ann@example.test>\r\n"));
        QVERIFY(mail.contains("\r\nDate: "));
        QVERIFY(mail.contains("\r\nMessage-ID: <"));
        QVERIFY(mail.contains("@example.test>\r\n"));
        QVERIFY(mail.contains("MIME-Version: 1.0\r\n"));
        // A non-ASCII subject is one encoded word; a line break in it cannot add a header.
        QVERIFY(mail.contains("Subject: =?UTF-8?B?"));
        QVERIFY(!mail.contains("\r\nBcc:"));
        // An ASCII body stays readable: the link and token can be copied from the file.
        QVERIFY(mail.contains("7bit"));
        QVERIFY(mail.contains("\r\nhttps://shop.test/reset-password?token=abc\r\n"));
        QVERIFY(!mail.mid(split).contains("\n\n"));
    }

    void renderEncodesNonAsciiBody()
    {
        MailMessage m = sampleMessage();
        m.textBody = QStringLiteral("Grüße = viele\n");
        const QByteArray mail = renderMail(m, QStringLiteral("shop@example.test"));
        QVERIFY(mail.contains("Content-Transfer-Encoding: quoted-printable"));
        QVERIFY(mail.contains("Gr=C3=BC=C3=9Fe =3D viele\r\n"));
    }

    void outboxWritesUniqueEmlFiles()
    {
        QTemporaryDir dir;
        OutboxMailer outbox(dir.path() + QStringLiteral("/outbox"),
                            QStringLiteral("shop@example.test"));
        QVERIFY(outbox.deliver(sampleMessage()).ok());
        QVERIFY(outbox.deliver(sampleMessage()).ok());
        const QStringList all = QDir(outbox.directory()).entryList(QDir::Files);
        const QStringList eml
                = QDir(outbox.directory()).entryList({QStringLiteral("*.eml")}, QDir::Files);
        QCOMPARE(eml.size(), 2);
        QCOMPARE(all, eml); // no temporary files left behind
        QVERIFY(eml.at(0) != eml.at(1));
        QFile f(outbox.directory() + QLatin1Char('/') + eml.at(0));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray content = f.readAll();
        QVERIFY(content.startsWith("From: shop@example.test\r\n"));
        QVERIFY(content.contains("Subject: Reset your password\r\n"));
    }

    void queueRetriesTransientFailures()
    {
        auto flaky = std::make_unique<FlakyMailer>(2, ErrorCode::Unavailable);
        FlakyMailer *raw = flaky.get();
        MailQueue queue(std::move(flaky), RetryPolicy{5, 10, 100});
        queue.enqueue(sampleMessage());
        QVERIFY(queue.waitUntilIdle(10000));
        QCOMPARE(raw->attempts.load(), 3);
        QCOMPARE(queue.counts().delivered, 1);
        QCOMPARE(queue.counts().retried, 2);
        QCOMPARE(queue.counts().failed, 0);
    }

    // A look at the journal that read before mail was committed, and answers "nothing due"
    // after waitUntilIdle was called, must not make that call return idle: the mail committed
    // before the call is still to be sent.
    void idleWaitIgnoresALookStartedBeforeIt()
    {
        auto flaky = std::make_unique<FlakyMailer>(0, ErrorCode::Unavailable);
        FlakyMailer *raw = flaky.get();
        GatedJournal journal;
        journal.holdLooks(2);
        MailQueue queue(std::move(flaky), RetryPolicy{5, 10, 100, 60000, 60000, 20});
        queue.setJournal(&journal);
        journal.waitForHeldLook(); // the first look has read: nothing due
        QVERIFY(journal.add(sampleMessage()));
        std::atomic<bool> waiting{false};
        std::thread releaser([&] {
            while (!waiting.load())
                std::this_thread::yield();
            // The sleeps are scheduling aids only (the waiter gets to look at the queue's
            // state while a look is held); whatever the timing, a correct queue passes.
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            journal.finishHeldLook();  // answers "nothing due", though mail is committed
            journal.waitForHeldLook(); // the look the idle wait asked for
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            journal.finishHeldLook();
        });
        waiting = true;
        const bool idle = queue.waitUntilIdle(10000);
        const int attempts = raw->attempts.load();
        releaser.join();
        QVERIFY(idle);
        QCOMPARE(attempts, 1);
        QCOMPARE(queue.counts().delivered, 1);
    }

    void queueGivesUpOnPermanentFailures()
    {
        auto flaky = std::make_unique<FlakyMailer>(100, ErrorCode::Internal);
        FlakyMailer *raw = flaky.get();
        MailQueue queue(std::move(flaky), RetryPolicy{5, 10, 100});
        queue.enqueue(sampleMessage());
        QVERIFY(queue.waitUntilIdle(10000));
        QCOMPARE(raw->attempts.load(), 1);
        QCOMPARE(queue.counts().failed, 1);
    }

    void queueStopsAfterMaxAttempts()
    {
        auto flaky = std::make_unique<FlakyMailer>(100, ErrorCode::Unavailable);
        FlakyMailer *raw = flaky.get();
        MailQueue queue(std::move(flaky), RetryPolicy{3, 5, 20});
        queue.enqueue(sampleMessage());
        QVERIFY(queue.waitUntilIdle(10000));
        QCOMPARE(raw->attempts.load(), 3);
        QCOMPARE(queue.counts().failed, 1);
    }

    void parseUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::newRow("smtp-auth") << "smtp://ann:s3cret@mail.example.test:587" << true
                                   << "mail.example.test" << 587 << false << "ann"
                                   << "s3cret";
        QTest::newRow("smtps-default-port") << "smtps://ann:pw@mail.example.test" << true
                                            << "mail.example.test" << 465 << true << "ann"
                                            << "pw";
        QTest::newRow("smtp-no-auth")
                << "smtp://127.0.0.1:2525" << true << "127.0.0.1" << 2525 << false << ""
                << "";
        QTest::newRow("encoded-password")
                << "smtp://ann%40x:p%3Aw%40@h.test:25" << true << "h.test" << 25 << false << "ann@x"
                << "p:w@";
        QTest::newRow("http") << "http://h.test" << false << "" << 0 << false << ""
                              << "";
        QTest::newRow("no-host") << "smtp://" << false << "" << 0 << false << ""
                                 << "";
        QTest::newRow("junk") << "not a url" << false << "" << 0 << false << ""
                              << "";
    }
    void parseUrl()
    {
        QFETCH(QString, url);
        QFETCH(bool, valid);
        const auto s = SmtpMailer::parseUrl(url, QStringLiteral("Shop <shop@example.test>"));
        QCOMPARE(s.ok(), valid);
        if (!valid) {
            QCOMPARE(s.error().fields.value(0).field, QStringLiteral("MERCATO_SMTP_URL"));
            return;
        }
        QTEST(s->host, "host");
        QTEST(int(s->port), "port");
        QTEST(s->implicitTls, "tls");
        QTEST(s->user, "user");
        QTEST(s->password, "password");
        // describe() is what logs show: never the password.
        SmtpMailer mailer(s.value());
        QVERIFY(s->password.isEmpty() || !mailer.describe().contains(s->password));
    }

    void deliversToRealSmtpServer()
    {
        SmtpSink sink;
        QVERIFY(sink.start());
        SmtpMailer mailer(settingsFor(sink.port()));
        const Status sent = mailer.deliver(sampleMessage());
        QVERIFY2(sent.ok(), qPrintable(sent.error().detail));
        QCOMPARE(sink.messages().size(), 1);
        const QByteArray mail = sink.message(1);
        QVERIFY(mail.contains("Subject: Reset your password"));
        // Dot-stuffing was undone by the server: the line arrives as written.
        QVERIFY(mail.contains("\n.leading dot line"));
        QVERIFY(mail.contains("reset-password?token=abc"));
        QCOMPARE(sink.meta(1).value(QStringLiteral("mailFrom")).toString(),
                 QStringLiteral("shop@example.test"));
        QCOMPARE(sink.meta(1).value(QStringLiteral("rcptTos")).toArray().first().toString(),
                 QStringLiteral("ann@example.test"));
    }

    void authenticates_data()
    {
        QTest::addColumn<bool>("onlyLogin");
        QTest::newRow("plain") << false;
        QTest::newRow("login") << true;
    }
    void authenticates()
    {
        QFETCH(bool, onlyLogin);
        QStringList args{QStringLiteral("--user"), QStringLiteral("mailer"),
                         QStringLiteral("--password"), QStringLiteral("pa:ss w0rd")};
        if (onlyLogin)
            args << QStringLiteral("--only-login");
        SmtpSink sink(args);
        QVERIFY(sink.start());
        SmtpMailer mailer(
                settingsFor(sink.port(), QStringLiteral("mailer"), QStringLiteral("pa:ss w0rd")));
        const Status sent = mailer.deliver(sampleMessage());
        QVERIFY2(sent.ok(), qPrintable(sent.error().detail));
        QCOMPARE(sink.messages().size(), 1);
        QCOMPARE(sink.meta(1).value(QStringLiteral("authenticated")).toBool(), true);
    }

    void wrongPasswordIsPermanentAndNotLeaked()
    {
        SmtpSink sink({QStringLiteral("--user"), QStringLiteral("mailer"),
                       QStringLiteral("--password"), QStringLiteral("right-one")});
        QVERIFY(sink.start());
        SmtpMailer mailer(
                settingsFor(sink.port(), QStringLiteral("mailer"), QStringLiteral("wrong-one")));
        const Status sent = mailer.deliver(sampleMessage());
        QVERIFY(!sent.ok());
        QCOMPARE(sent.error().code, ErrorCode::Internal); // 535: retrying will not help
        QVERIFY(!sent.error().detail.contains(QStringLiteral("wrong-one")));
        QVERIFY(!sent.error().detail.contains(
                QString::fromLatin1(QByteArray("wrong-one").toBase64())));
        QCOMPARE(sink.messages().size(), 0);
    }

    void missingAuthIsRefused()
    {
        SmtpSink sink({QStringLiteral("--user"), QStringLiteral("u"), QStringLiteral("--password"),
                       QStringLiteral("p")});
        QVERIFY(sink.start());
        SmtpMailer mailer(settingsFor(sink.port()));
        QVERIFY(!mailer.deliver(sampleMessage()).ok());
        QCOMPARE(sink.messages().size(), 0);
    }

    void startTlsWhenOffered()
    {
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                       QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                       QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                       QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                       QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                       QStringLiteral("subjectAltName=IP:127.0.0.1")});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
            QSKIP("the openssl command is not available");
        SmtpSink sink({QStringLiteral("--cert"), cert, QStringLiteral("--key"), key,
                       QStringLiteral("--user"), QStringLiteral("u"), QStringLiteral("--password"),
                       QStringLiteral("p")});
        QVERIFY(sink.start());
        auto settings = settingsFor(sink.port(), QStringLiteral("u"), QStringLiteral("p"));
        // An unknown certificate is refused...
        QVERIFY(!SmtpMailer(settings).deliver(sampleMessage()).ok());
        QCOMPARE(sink.messages().size(), 0);
        // ...and a trusted one carries the session, AUTH included.
        settings.extraCaCertificates = QSslCertificate::fromPath(cert);
        QCOMPARE(settings.extraCaCertificates.size(), 1);
        const Status sent = SmtpMailer(settings).deliver(sampleMessage());
        QVERIFY2(sent.ok(), qPrintable(sent.error().detail));
        QCOMPARE(sink.messages().size(), 1);
        QCOMPARE(sink.meta(1).value(QStringLiteral("tls")).toBool(), true);
        QCOMPARE(sink.meta(1).value(QStringLiteral("authenticated")).toBool(), true);
    }

    void temporaryRejectionIsRetried()
    {
        SmtpSink sink({QStringLiteral("--fail-first"), QStringLiteral("2")});
        QVERIFY(sink.start());
        MailQueue queue(std::make_unique<SmtpMailer>(settingsFor(sink.port())),
                        RetryPolicy{5, 20, 200});
        queue.enqueue(sampleMessage());
        QVERIFY(queue.waitUntilIdle(30000));
        QCOMPARE(queue.counts().retried, 2);
        QCOMPARE(queue.counts().delivered, 1);
        QCOMPARE(sink.messages().size(), 1);
    }

    void deliveredOnceTheServerIsBack()
    {
        const quint16 port = Test::freePort();
        MailQueue queue(std::make_unique<SmtpMailer>(settingsFor(port)), RetryPolicy{30, 50, 200});
        queue.enqueue(sampleMessage());
        // Nobody listens yet: attempts fail and are retried.
        QTRY_VERIFY_WITH_TIMEOUT(queue.counts().retried >= 2, 20000);
        QCOMPARE(queue.counts().delivered, 0);
        SmtpSink sink({}, port);
        QVERIFY(sink.start());
        QVERIFY(queue.waitUntilIdle(30000));
        QCOMPARE(queue.counts().delivered, 1);
        QCOMPARE(queue.counts().failed, 0);
        QCOMPARE(sink.messages().size(), 1);
    }

    void queuedSendDoesNotBlockTheCaller()
    {
        // A server that accepts but never greets, with a 60 s timeout: the caller returns while
        // the send is still waiting for the greeting (a blocking enqueue would have come back
        // only after the send failed). Then the server hangs up and the send fails at once.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        auto settings = settingsFor(silent.serverPort());
        settings.timeoutMs = 60000;
        MailQueue queue(std::make_unique<SmtpMailer>(settings), RetryPolicy{1, 10, 10});
        queue.enqueue(sampleMessage());
        QCOMPARE(queue.counts().failed, 0);
        QCOMPARE(queue.counts().delivered, 0);
        QVERIFY(!queue.waitUntilIdle(0));
        QTRY_VERIFY(silent.hasPendingConnections()); // the send is connected, waiting
        QTcpSocket *held = silent.nextPendingConnection();
        held->abort();
        QVERIFY(queue.waitUntilIdle(30000));
        QCOMPARE(queue.counts().failed, 1);
    }
};

QTEST_GUILESS_MAIN(TestMailer)
#include "tst_mailer.moc"
