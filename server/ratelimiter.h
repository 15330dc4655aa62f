#pragma once
// Attempt limits on the sign-in routes (login, register, forgot-password) and on password
// checks: N attempts a minute, every attempt counted, one counter per route and client address
// and one per route, account and client address. Failed sign-ins of one account from all
// addresses together only slow that account down, past a much higher count. Shared by the
// worker threads; its memory is a fixed table, whatever is sent.

#include "http.h"

#include <QByteArray>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace Mercato::Http {

class AuthRateLimiter
{
public:
    static constexpr qint64 kWindowMs = 60 * 1000;
    // An account key longer than this is no email: such an attempt counts for its address only.
    static constexpr int kMaxAccountChars = 320;
    // Counters kept at most; when the table is full the one that ends first makes room.
    static constexpr int kDefaultSlots = 1 << 16;
    // Failed sign-ins of one account from every address together: past `limit` times this in
    // kAccountWindowMs, each further attempt waits a delay that doubles with every failure (up
    // to kMaxAccountDelayMs) after the last one. Right passwords get through between them.
    static constexpr int kAccountFailureFactor = 10;
    static constexpr qint64 kAccountWindowMs = 15 * 60 * 1000;
    static constexpr qint64 kMaxAccountDelayMs = 60 * 1000;

    // `attemptsPerMinute` 0: no limit.
    explicit AuthRateLimiter(int attemptsPerMinute, int slots = kDefaultSlots);

    // Counts this attempt on `request.routePattern` for the client address and, when the
    // JSON body names a plausible `email`, for that account at this address. Over the limit:
    // the 429 problem (with Retry-After) to answer; else nothing.
    std::optional<Response> check(const Request &request);
    // The same with the account given explicitly (empty: address only).
    std::optional<Response> check(const Request &request, const QString &account);
    // The same under `scope` instead of the route, with the account counted from every address
    // (password checks of a signed-in account: the account is the caller).
    std::optional<Response> checkScope(const Request &request, const QString &scope,
                                       const QString &account);

    // The account's sign-in delay: 429 while it runs (after many failures from anywhere).
    std::optional<Response> accountDelay(const QString &account);
    // One failed sign-in of `account`, from whatever address.
    void recordFailure(const QString &account);

    // Counts one attempt for each key; the seconds to wait when any is over the limit, else 0.
    qint64 hit(const QList<QByteArray> &keys);

    // Counters held now (tests).
    int size();

private:
    struct Slot
    {
        quint64 key = 0; // 0: free
        qint64 startMs = 0;
        qint64 endMs = 0; // the window's end: the slot may be reused from then on
        qint64 lastMs = 0;
        qint64 count = 0;
    };
    quint64 keyOf(const QByteArray &key) const;
    Slot *find(quint64 key); // the mutex is held
    // The slot of `key`, taken over if absent (a free one, else the one whose window ends
    // first in its set); the mutex is held.
    Slot &slot(quint64 key, qint64 now, qint64 windowMs);
    static QString accountKey(const QString &account);
    static Response tooMany(qint64 waitMs);

    int m_limit;
    QByteArray m_seed;
    std::mutex m_mutex;
    std::vector<Slot> m_slots;
    int m_sets = 0;
};

// A bound on the password checks (scrypt) that run at once, and the threads that sign-ins run
// on. A check of an account that is signed in already (`POST /me/password`, `PATCH /me`) runs
// on its API worker and, finding every place taken, is answered 503 with Retry-After at once
// instead of holding the worker. Sign-ins (login, register, password reset) run on the gate's
// own threads, one per place (Router::runOnPasswordChecks): they queue there, up to
// kMaxWaiting of them, while the workers go on answering everything else; past that, 503.
class PasswordCheckGate
{
public:
    // `capacity` 0: no bound, and no threads of its own (everything runs on the workers).
    explicit PasswordCheckGate(int capacity);
    ~PasswordCheckGate();
    static constexpr int kQueueMs = 30'000;
    static constexpr int kMaxWaiting = 256;
    enum class Wait { No, Queue };

    // Holds one place while it lives, if it got one.
    class Place
    {
    public:
        explicit Place(PasswordCheckGate *gate, Wait wait = Wait::No);
        ~Place();
        Place(const Place &) = delete;
        Place &operator=(const Place &) = delete;
        explicit operator bool() const { return m_held; }

    private:
        PasswordCheckGate *m_gate;
        bool m_held = false;
    };

    // Runs `work` on one of the gate's threads, with `refused` true when the server stopped
    // before its turn came (it then only answers). False when kMaxWaiting works wait already.
    bool submit(std::function<void(bool refused)> work);
    // The server stops: what waits is refused, what runs finishes, the threads end (and with
    // them their database connections). Work submitted later runs again.
    void settle();
    int waiting() const { return m_waiting.load(); }

    // The answer to a check that found no place.
    static Response busy();
    int capacity() const { return m_capacity; }

private:
    const int m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_freed;
    int m_inUse = 0; // guarded by m_mutex
    std::unique_ptr<QThreadPool> m_threads;
    std::atomic<int> m_waiting{0};
    std::atomic<bool> m_refusing{false};
};

} // namespace Mercato::Http
