// The durable mail outbox: mail is a row of mail_outbox written in the transaction that causes
// it (rolled back with it), sent by MailQueue and deleted once delivered or given up; retried
// with backoff; kept across a restart; claimed by one sender at a time, so two processes on one
// database send each message once; a claim left by a killed sender lapses and the message
// goes out after all.

#include "model/clock.h"
#include "model/mailoutbox.h"
#include "model/shop.h"
#include "model/smtpmailer.h"
#include "support/smtpsink.h"
#include "support/testsupport.h"

#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <mutex>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

// Records what it delivers; fails with `failure` (Unavailable: retried) while one is set.
class FakeMailer : public Mailer
{
public:
    struct State
    {
        std::mutex mutex;
        QStringList delivered; // subjects
        QStringList ids;       // MailMessage::id
        std::atomic<int> attempts{0};
        std::atomic<int> failure{-1}; // an ErrorCode, -1: deliver
    };
    explicit FakeMailer(std::shared_ptr<State> state)
        : m_state(std::move(state))
    {}
    Status deliver(const MailMessage &message) override
    {
        ++m_state->attempts;
        if (const int code = m_state->failure.load(); code >= 0)
            return makeError(ErrorCode(code), QStringLiteral("the fake mail server says no"));
        std::lock_guard lock(m_state->mutex);
        m_state->delivered.append(message.subject);
        m_state->ids.append(message.id);
        return Ok{};
    }
    QString describe() const override { return QStringLiteral("fake"); }

private:
    std::shared_ptr<State> m_state;
};

QStringList delivered(FakeMailer::State &state)
{
    std::lock_guard lock(state.mutex);
    return state.delivered;
}

MailMessage message(const QString &subject)
{
    return MailMessage{QStringLiteral("ann@example.test"),
                       subject,
                       QStringLiteral("Hello,\nthis is ") + subject,
                       {}};
}

// One transaction that writes `subjects` to the outbox, committed or rolled back.
QStringList addInTransaction(Shop &shop, const QStringList &subjects, bool commit = true)
{
    QStringList ids;
    Transaction tx(shop.database());
    if (!tx.begin())
        return {};
    for (const QString &s : subjects) {
        auto id = MailOutboxTable::add(tx.db(), message(s));
        if (!id)
            return {};
        ids.append(id.value());
    }
    if (commit) {
        if (!tx.commit())
            return {};
        shop.mail().wake();
    } else {
        tx.rollback();
    }
    return ids;
}

} // namespace

class TestOutbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_databaseUrl = freshDatabaseUrl(m_dir->path());
    }

    void deliveredMailLeavesNoRow()
    {
        auto shop = openShop();
        QVERIFY(shop);
        auto state = std::make_shared<FakeMailer::State>();
        shop->setMailer(std::make_unique<FakeMailer>(state), RetryPolicy{5, 10, 50});
        const QStringList ids = addInTransaction(*shop, {QStringLiteral("one")});
        QCOMPARE(ids.size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*state), QStringList{QStringLiteral("one")}, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mailOutbox().count().value(), qint64(0), 10000);
        std::lock_guard lock(state->mutex);
        QCOMPARE(state->ids, ids); // the row id travels as the Message-ID
    }

    // Mail written in a transaction that rolls back never existed.
    void rolledBackMailIsNeverSent()
    {
        auto shop = openShop();
        QVERIFY(shop);
        auto state = std::make_shared<FakeMailer::State>();
        shop->setMailer(std::make_unique<FakeMailer>(state), RetryPolicy{5, 10, 50});
        QCOMPARE(addInTransaction(*shop, {QStringLiteral("undone")}, false).size(), 1);
        QCOMPARE(addInTransaction(*shop, {QStringLiteral("kept")}).size(), 1);
        QVERIFY(shop->mail().waitUntilIdle(10000));
        QCOMPARE(delivered(*state), QStringList{QStringLiteral("kept")});
        QCOMPARE(shop->mailOutbox().count().value(), qint64(0));
    }

    void givenUpMailLeavesNoRow()
    {
        auto shop = openShop();
        QVERIFY(shop);
        auto state = std::make_shared<FakeMailer::State>();
        state->failure = int(ErrorCode::Validation); // permanent: no retry
        shop->setMailer(std::make_unique<FakeMailer>(state), RetryPolicy{5, 10, 50});
        QCOMPARE(addInTransaction(*shop, {QStringLiteral("refused")}).size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mail().counts().failed, 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mailOutbox().count().value(), qint64(0), 10000);
        QCOMPARE(state->attempts.load(), 1);
    }

    // The mail server is down for a while: attempts back off, the row stays, and once it is
    // up the message goes out once.
    void retriedWithBackoffUntilDelivered()
    {
        auto shop = openShop();
        QVERIFY(shop);
        auto state = std::make_shared<FakeMailer::State>();
        state->failure = int(ErrorCode::Unavailable);
        shop->setMailer(std::make_unique<FakeMailer>(state), RetryPolicy{100, 20, 40});
        QCOMPARE(addInTransaction(*shop, {QStringLiteral("later")}).size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(state->attempts.load() >= 3, 10000);
        QCOMPARE(shop->mailOutbox().count().value(), qint64(1));
        state->failure = -1;
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*state), QStringList{QStringLiteral("later")}, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mailOutbox().count().value(), qint64(0), 10000);
    }

    // The process stops with mail queued (the mail server was down); the next start
    // delivers it, each message once.
    void queuedMailSurvivesARestart()
    {
        auto down = std::make_shared<FakeMailer::State>();
        down->failure = int(ErrorCode::Unavailable);
        {
            auto first = openShop();
            QVERIFY(first);
            first->setMailer(std::make_unique<FakeMailer>(down), RetryPolicy{1000, 200, 200});
            QCOMPARE(addInTransaction(*first, {QStringLiteral("reset link"),
                                               QStringLiteral("refund approved")})
                             .size(),
                     2);
            QTRY_VERIFY_WITH_TIMEOUT(first->mail().counts().retried >= 2, 10000);
            QCOMPARE(first->mailOutbox().count().value(), qint64(2));
        }
        QVERIFY(delivered(*down).isEmpty());

        auto second = openShop();
        QVERIFY(second);
        QCOMPARE(second->mailOutbox().count().value(), qint64(2));
        auto up = std::make_shared<FakeMailer::State>();
        second->setMailer(std::make_unique<FakeMailer>(up), RetryPolicy{5, 10, 50});
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*up).size(), 2, 15000);
        QStringList subjects = delivered(*up);
        subjects.sort();
        QCOMPARE(subjects,
                 (QStringList{QStringLiteral("refund approved"), QStringLiteral("reset link")}));
        QTRY_COMPARE_WITH_TIMEOUT(second->mailOutbox().count().value(), qint64(0), 10000);
        QCOMPARE(up->attempts.load(), 2); // each once: never twice
    }

    // The whole path over HTTP with a real SMTP server that is down, then up: the reset mail
    // of /auth/forgot-password waits in mail_outbox while attempts fail and back off, reaches
    // the server once it listens, leaves the outbox, and its link resets the password.
    void resetMailWaitsForTheSmtpServer()
    {
        TestServer::Options options;
        options.settings.passwordHashLogN = 10; // scrypt cost is not what this is about
        TestServer server(options);
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const quint16 port = freePort();
        SmtpMailer::Settings smtp;
        smtp.host = QStringLiteral("127.0.0.1");
        smtp.port = port;
        smtp.from = QStringLiteral("Shop <shop@example.test>");
        smtp.timeoutMs = 5000;
        server.shop().setMailer(std::make_unique<SmtpMailer>(smtp), RetryPolicy{400, 50, 200});

        const QString email = QStringLiteral("ann@example.test");
        const QString password = QStringLiteral("correct horse battery");
        Client client = server.client();
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/register"),
                             {{QStringLiteral("email"), email},
                              {QStringLiteral("password"), password},
                              {QStringLiteral("displayName"), QStringLiteral("Ann")},
                              {QStringLiteral("role"), QStringLiteral("customer")}})
                         .status,
                 201);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/forgot-password"),
                             {{QStringLiteral("email"), email}})
                         .status,
                 202);
        QVERIFY(server.shop().passwordResets().waitUntilIdle(10000));

        // Nobody listens: attempts fail, are retried, and the mail stays in the outbox.
        QTRY_VERIFY_WITH_TIMEOUT(server.shop().mail().counts().retried >= 3, 20000);
        QCOMPARE(server.shop().mail().counts().delivered, 0);
        QCOMPARE(server.shop().mailOutbox().count().value(), qint64(1));

        SmtpSink sink({}, port);
        QVERIFY(sink.start());
        QTRY_COMPARE_WITH_TIMEOUT(sink.messages().size(), 1, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(server.shop().mailOutbox().count().value(), qint64(0), 10000);
        QCOMPARE(server.shop().mail().counts().delivered, 1);
        QCOMPARE(server.shop().mail().counts().failed, 0);
        const QByteArray mail = sink.contents().constFirst();
        QVERIFY(mail.contains(QByteArray(QByteArray("To: ") + email.toUtf8())));
        static const QRegularExpression tokenRe(
                QStringLiteral("/reset-password\\?token=([A-Za-z0-9_-]+)"));
        const QString token = tokenRe.match(QString::fromUtf8(mail)).captured(1);
        QVERIFY2(!token.isEmpty(), mail.constData());

        const QString newPassword = QStringLiteral("a brand new passphrase");
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/reset-password"),
                             {{QStringLiteral("token"), token},
                              {QStringLiteral("newPassword"), newPassword}})
                         .status,
                 204);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/login"),
                             {{QStringLiteral("email"), email},
                              {QStringLiteral("password"), password}})
                         .status,
                 401);
        QCOMPARE(client.post(QStringLiteral("/api/v1/auth/login"),
                             {{QStringLiteral("email"), email},
                              {QStringLiteral("password"), newPassword}})
                         .status,
                 200);
        // Delivered once: nothing more arrives.
        QVERIFY(server.shop().mail().waitUntilIdle(10000));
        QCOMPARE(sink.messages().size(), 1);
    }

    // Claims: a live claim is its holder's alone; a lapsed one (its sender was killed) is
    // taken by the next claimer, and the old holder can no longer settle the row. Two tables
    // on two connections, no sender running.
    void claimsAreExclusiveUntilTheyLapse()
    {
        auto url = DatabaseUrl::parse(m_databaseUrl);
        QVERIFY(url);
        Database dbA(url.value());
        Database dbB(url.value());
        QVERIFY(dbA.open());
        QVERIFY(dbB.open());
        MailOutboxTable ta(dbA);
        MailOutboxTable tb(dbB);
        {
            Transaction tx(dbA);
            QVERIFY(tx.begin());
            QVERIFY(MailOutboxTable::add(tx.db(), message(QStringLiteral("one"))));
            QVERIFY(tx.commit());
        }
        auto byA = ta.claim(10, 60'000);
        QVERIFY(byA);
        QCOMPARE(byA->size(), 1);
        QCOMPARE(byA->first().message.subject, QStringLiteral("one"));
        QVERIFY(tb.claim(10, 60'000)->isEmpty()); // live: not b's
        QVERIFY(ta.claim(10, 60'000)->isEmpty()); // nor a's a second time
        QVERIFY(ta.release(byA->first()));
        auto lapsing = tb.claim(10, 1); // a claim that lapses at once (a killed sender)
        QCOMPARE(lapsing->size(), 1);
        QTest::qWait(5);
        auto taken = ta.claim(10, 60'000);
        QCOMPARE(taken->size(), 1);
        QVERIFY(tb.delivered(lapsing->first())); // the lapsed claim settles nothing
        QCOMPARE(ta.count().value(), qint64(1));
        QVERIFY(ta.failed(taken->first(), 1, Clock::nowMs() + 60'000, QStringLiteral("down")));
        QVERIFY(tb.claim(10, 60'000)->isEmpty()); // not due before its retry time
        QCOMPARE(ta.count().value(), qint64(1));
        auto late = tb.claim(10, 60'000);
        QVERIFY(late->isEmpty());
        dbA.releaseThreadConnection();
        dbB.releaseThreadConnection();
    }

    // Two senders (two processes on PostgreSQL) drain one outbox: every message once.
    void twoSendersSendEachOnce()
    {
        constexpr int kMessages = 120;
        auto a = openShop();
        auto b = openShop();
        QVERIFY(a && b);
        auto state = std::make_shared<FakeMailer::State>();
        RetryPolicy policy{5, 10, 50};
        policy.claimBatch = 3;
        policy.pollMs = 5;
        a->setMailer(std::make_unique<FakeMailer>(state), policy);
        b->setMailer(std::make_unique<FakeMailer>(state), policy);
        QStringList subjects;
        for (int i = 0; i < kMessages; ++i)
            subjects.append(QStringLiteral("m%1").arg(i));
        for (int i = 0; i < kMessages; i += 10)
            QCOMPARE(addInTransaction(i % 20 ? *a : *b, subjects.mid(i, 10)).size(), 10);
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*state).size(), kMessages, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(a->mailOutbox().count().value(), qint64(0), 10000);
        QVERIFY(a->mail().waitUntilIdle(10000));
        QVERIFY(b->mail().waitUntilIdle(10000));
        QStringList got = delivered(*state);
        QCOMPARE(QSet<QString>(got.begin(), got.end()).size(), kMessages); // none twice
        const int byA = a->mail().counts().delivered;
        const int byB = b->mail().counts().delivered;
        qInfo("sent by a: %d, by b: %d", byA, byB);
        QCOMPARE(byA + byB, kMessages);
    }

private:
    std::unique_ptr<Shop> openShop()
    {
        auto url = DatabaseUrl::parse(m_databaseUrl);
        if (!url)
            return nullptr;
        ShopOptions options;
        options.database = url.value();
        options.jwtKey = QByteArray(32, 'k');
        options.dataDir = m_dir->path();
        auto shop = std::make_unique<Shop>(options);
        if (!shop->open())
            return nullptr;
        return shop;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_databaseUrl;
};

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
