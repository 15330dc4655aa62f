#include "ratelimiter.h"

#include "model/clock.h"
#include "model/ids.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>

#include <algorithm>

namespace Mercato::Http {

namespace {
constexpr int kWays = 8; // slots per set: a key lives in one set, evictions stay in it
} // namespace

AuthRateLimiter::AuthRateLimiter(int attemptsPerMinute, int slots)
    : m_limit(std::max(0, attemptsPerMinute))
    , m_seed(Ids::randomBytes(16))
{
    if (m_limit == 0)
        return;
    m_sets = std::max(1, slots / kWays);
    m_slots.resize(size_t(m_sets) * kWays);
}

quint64 AuthRateLimiter::keyOf(const QByteArray &key) const
{
    // Keyed, so that nobody can aim many keys at one set and push a counter out.
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(m_seed);
    h.addData(key);
    const QByteArray digest = h.result();
    const quint64 k = qFromLittleEndian<quint64>(digest.constData());
    return k == 0 ? 1 : k;
}

AuthRateLimiter::Slot *AuthRateLimiter::find(quint64 key)
{
    Slot *set = m_slots.data() + size_t(key % quint64(m_sets)) * kWays;
    for (int i = 0; i < kWays; ++i)
        if (set[i].key == key)
            return &set[i];
    return nullptr;
}

AuthRateLimiter::Slot &AuthRateLimiter::slot(quint64 key, qint64 now, qint64 windowMs)
{
    if (Slot *s = find(key))
        return *s;
    Slot *set = m_slots.data() + size_t(key % quint64(m_sets)) * kWays;
    Slot *victim = nullptr;
    bool victimFree = false;
    for (int i = 0; i < kWays; ++i) {
        Slot &s = set[i];
        const bool free = s.key == 0 || now >= s.endMs || now < s.startMs;
        if (free) {
            if (!victimFree) {
                victim = &s;
                victimFree = true;
            }
        } else if (!victimFree && (!victim || s.endMs < victim->endMs)) {
            victim = &s;
        }
    }
    *victim = Slot{key, now, now + windowMs, 0, 0};
    return *victim;
}

qint64 AuthRateLimiter::hit(const QList<QByteArray> &keys)
{
    if (m_limit == 0)
        return 0;
    const qint64 now = Clock::nowMs();
    QList<quint64> hashed;
    hashed.reserve(keys.size());
    for (const QByteArray &key : keys)
        hashed.append(keyOf(key));
    std::lock_guard lock(m_mutex);
    qint64 waitMs = 0;
    for (const quint64 key : hashed) {
        Slot &w = slot(key, now, kWindowMs);
        if (w.count == 0 || now >= w.endMs || now < w.startMs) {
            w.startMs = now;
            w.endMs = now + kWindowMs;
            w.count = 0;
        }
        ++w.count;
        w.lastMs = now;
        if (w.count > m_limit)
            waitMs = std::max(waitMs, w.endMs - now);
    }
    return waitMs <= 0 ? 0 : std::max<qint64>(1, (waitMs + 999) / 1000);
}

QString AuthRateLimiter::accountKey(const QString &account)
{
    if (account.size() > kMaxAccountChars)
        return {};
    return account.trimmed().toLower();
}

Response AuthRateLimiter::tooMany(qint64 wait)
{
    Response r = Response::problem(
            429, {}, QStringLiteral("too many attempts; try again in %1 s").arg(wait));
    r.setHeader("Retry-After", QByteArray::number(wait));
    return r;
}

std::optional<Response> AuthRateLimiter::check(const Request &request, const QString &account)
{
    if (m_limit == 0)
        return std::nullopt;
    const QByteArray route = request.routePattern.toUtf8();
    const QByteArray address = request.remoteAddress.toString().toUtf8();
    QList<QByteArray> keys{route + "|addr|" + address};
    const QString normalised = accountKey(account);
    if (!normalised.isEmpty())
        keys.append(route + "|account|" + normalised.toUtf8() + "|addr|" + address);
    const qint64 wait = hit(keys);
    if (wait == 0)
        return std::nullopt;
    return tooMany(wait);
}

std::optional<Response> AuthRateLimiter::check(const Request &request)
{
    QString account;
    if (m_limit != 0) {
        const QJsonDocument doc = QJsonDocument::fromJson(request.body);
        if (doc.isObject()) {
            const QJsonValue email = doc.object().value(QStringLiteral("email"));
            // Only a string of an email's length is an account; anything else counts for the
            // address alone (and the route answers 422).
            if (email.isString() && email.toString().size() <= kMaxAccountChars)
                account = email.toString();
        }
    }
    return check(request, account);
}

std::optional<Response> AuthRateLimiter::checkScope(const Request &request, const QString &scope,
                                                    const QString &account)
{
    if (m_limit == 0)
        return std::nullopt;
    const QByteArray s = scope.toUtf8();
    QList<QByteArray> keys{s + "|addr|" + request.remoteAddress.toString().toUtf8()};
    const QString normalised = accountKey(account);
    if (!normalised.isEmpty())
        keys.append(s + "|account|" + normalised.toUtf8());
    const qint64 wait = hit(keys);
    if (wait == 0)
        return std::nullopt;
    return tooMany(wait);
}

std::optional<Response> AuthRateLimiter::accountDelay(const QString &account)
{
    const QString normalised = accountKey(account);
    if (m_limit == 0 || normalised.isEmpty())
        return std::nullopt;
    const quint64 key = keyOf("failures|" + normalised.toUtf8());
    const qint64 now = Clock::nowMs();
    const qint64 threshold = qint64(m_limit) * kAccountFailureFactor;
    std::lock_guard lock(m_mutex);
    const Slot *w = find(key);
    if (!w || w->count <= threshold || now >= w->endMs || now < w->startMs)
        return std::nullopt;
    const qint64 doublings = std::min<qint64>(w->count - threshold - 1, 16);
    const qint64 delayMs = std::min(kMaxAccountDelayMs, qint64(1000) << doublings);
    const qint64 waitMs = w->lastMs + delayMs - now;
    if (waitMs <= 0)
        return std::nullopt;
    return tooMany(std::max<qint64>(1, (waitMs + 999) / 1000));
}

void AuthRateLimiter::recordFailure(const QString &account)
{
    const QString normalised = accountKey(account);
    if (m_limit == 0 || normalised.isEmpty())
        return;
    const quint64 key = keyOf("failures|" + normalised.toUtf8());
    const qint64 now = Clock::nowMs();
    std::lock_guard lock(m_mutex);
    Slot &w = slot(key, now, kAccountWindowMs);
    if (w.count == 0 || now >= w.endMs || now < w.startMs) {
        w.startMs = now;
        w.endMs = now + kAccountWindowMs;
        w.count = 0;
    }
    ++w.count;
    w.lastMs = now;
}

int AuthRateLimiter::size()
{
    std::lock_guard lock(m_mutex);
    return int(std::count_if(m_slots.begin(), m_slots.end(),
                             [](const Slot &s) { return s.key != 0; }));
}

PasswordCheckGate::PasswordCheckGate(int capacity)
    : m_capacity(std::max(0, capacity))
{
    if (m_capacity > 0) {
        m_threads = std::make_unique<QThreadPool>();
        m_threads->setObjectName(QStringLiteral("password-checks"));
        m_threads->setMaxThreadCount(m_capacity);
    }
}

PasswordCheckGate::~PasswordCheckGate()
{
    settle();
}

bool PasswordCheckGate::submit(std::function<void(bool refused)> work)
{
    if (!m_threads) {
        work(false);
        return true;
    }
    if (m_waiting.fetch_add(1) >= kMaxWaiting) {
        m_waiting.fetch_sub(1);
        return false;
    }
    m_threads->start([this, work = std::move(work)] {
        m_waiting.fetch_sub(1);
        work(m_refusing.load());
    });
    return true;
}

void PasswordCheckGate::settle()
{
    if (!m_threads)
        return;
    m_refusing.store(true);
    m_threads->waitForDone();
    m_refusing.store(false);
}

PasswordCheckGate::Place::Place(PasswordCheckGate *gate, Wait wait)
    : m_gate(gate)
{
    if (!m_gate || m_gate->m_capacity == 0) {
        m_held = true;
        m_gate = nullptr;
        return;
    }
    std::unique_lock lock(m_gate->m_mutex);
    auto free = [this] {
        return m_gate->m_inUse < m_gate->m_capacity;
    };
    if (free()
        || (wait == Wait::Queue
            && m_gate->m_freed.wait_for(lock, std::chrono::milliseconds(kQueueMs), free))) {
        ++m_gate->m_inUse;
        m_held = true;
    }
}

PasswordCheckGate::Place::~Place()
{
    if (!m_gate || !m_held)
        return;
    {
        std::lock_guard lock(m_gate->m_mutex);
        --m_gate->m_inUse;
    }
    m_gate->m_freed.notify_one();
}

Response PasswordCheckGate::busy()
{
    Response r = Response::problem(503, {},
                                   QStringLiteral("password checks are busy; try again in 1 s"));
    r.setHeader("Retry-After", "1");
    return r;
}

} // namespace Mercato::Http
