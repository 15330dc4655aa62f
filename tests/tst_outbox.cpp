// The durable mail outbox: queued mail is a row of mail_outbox until it is delivered or
// given up, survives the queue (a restart delivers it), and mail a stopped process left is
// taken over once its lease runs out, while a live queue's mail is never taken.

#include "model/shop.h"
#include "support/testsupport.h"

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
    return MailMessage{QStringLiteral("ann@example.test"), subject,
                       QStringLiteral("Hello,\nthis is ") + subject};
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
        shop->mail().enqueue(message(QStringLiteral("one")));
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*state), QStringList{QStringLiteral("one")}, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mailOutbox().count().value(), qint64(0), 10000);
    }

    void givenUpMailLeavesNoRow()
    {
        auto shop = openShop();
        QVERIFY(shop);
        auto state = std::make_shared<FakeMailer::State>();
        state->failure = int(ErrorCode::Validation); // permanent: no retry
        shop->setMailer(std::make_unique<FakeMailer>(state), RetryPolicy{5, 10, 50});
        shop->mail().enqueue(message(QStringLiteral("refused")));
        QTRY_COMPARE_WITH_TIMEOUT(shop->mail().counts().failed, 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(shop->mailOutbox().count().value(), qint64(0), 10000);
        QCOMPARE(state->attempts.load(), 1);
    }

    // The mail server is down; the process stops with mail queued; the next start (another
    // process, once the lease of the first has run out) delivers it, once.
    void queuedMailSurvivesARestart()
    {
        auto down = std::make_shared<FakeMailer::State>();
        down->failure = int(ErrorCode::Unavailable);
        {
            auto first = openShop();
            QVERIFY(first);
            // Retried every 200 ms: the next start may try as soon as it takes them.
            first->setMailer(std::make_unique<FakeMailer>(down), RetryPolicy{1000, 200, 200});
            first->mail().enqueue(message(QStringLiteral("reset link")));
            first->mail().enqueue(message(QStringLiteral("refund approved")));
            QTRY_VERIFY_WITH_TIMEOUT(first->mail().counts().retried >= 2, 10000);
            QCOMPARE(first->mailOutbox().count().value(), qint64(2));
        }
        QVERIFY(delivered(*down).isEmpty());

        auto second = openShop();
        QVERIFY(second);
        QCOMPARE(second->mailOutbox().count().value(), qint64(2));
        auto up = std::make_shared<FakeMailer::State>();
        RetryPolicy policy{5, 10, 50};
        policy.claimLeaseMs = 300;
        second->setMailer(std::make_unique<FakeMailer>(up), policy);
        QTRY_COMPARE_WITH_TIMEOUT(delivered(*up).size(), 2, 15000);
        QStringList subjects = delivered(*up);
        subjects.sort();
        QCOMPARE(subjects,
                 (QStringList{QStringLiteral("refund approved"), QStringLiteral("reset link")}));
        QTRY_COMPARE_WITH_TIMEOUT(second->mailOutbox().count().value(), qint64(0), 10000);
        QCOMPARE(up->attempts.load(), 2); // each once: never twice
    }

    // Claims: a queue takes its own rows and stale ones, never a live queue's; two claimers
    // of one stale row never both get it.
    void claimsRespectLiveQueues()
    {
        auto a = openShop();
        auto b = openShop();
        QVERIFY(a && b);
        auto down = std::make_shared<FakeMailer::State>();
        down->failure = int(ErrorCode::Unavailable);
        a->setMailer(std::make_unique<FakeMailer>(down), RetryPolicy{100, 60000, 60000});
        a->mail().enqueue(message(QStringLiteral("tended by a")));
        QTRY_VERIFY_WITH_TIMEOUT(a->mail().counts().retried >= 1, 10000);

        const qint64 lease = 10 * 60 * 1000;
        auto byB = b->mailOutbox().claim(lease);
        QVERIFY(byB.ok());
        QVERIFY(byB->isEmpty());
        auto byA = a->mailOutbox().claim(lease);
        QVERIFY(byA.ok());
        QCOMPARE(byA->size(), 1);
        QCOMPARE(byA->first().message.subject, QStringLiteral("tended by a"));
        QCOMPARE(byA->first().attempts, 1);
        // With no lease at all the row is stale: b takes it, and then a no longer can.
        QTest::qWait(5);
        auto stolen = b->mailOutbox().claim(0);
        QVERIFY(stolen.ok());
        QCOMPARE(stolen->size(), 1);
        auto again = b->mailOutbox().claim(lease);
        QCOMPARE(again->size(), 1); // b's own now
        QVERIFY(a->mailOutbox().claim(lease)->isEmpty());
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
