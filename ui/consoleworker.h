#pragma once
// The console's one background thread: every query and model call of the console runs here,
// on this thread's own database connection, and the result comes back to the GUI thread as a
// queued call. Tasks run in the order they were queued.

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace Mercato {

class Database;

class ConsoleWorker : public QObject
{
    Q_OBJECT
public:
    explicit ConsoleWorker(Database &database, QObject *parent = nullptr);
    // Waits for queued work, then releases the thread's connection in that thread.
    ~ConsoleWorker() override;

    // Runs `work` on the worker thread, then `done(result)` on this object's thread unless
    // `context` was destroyed meanwhile.
    template<typename Work, typename Done>
    void run(QObject *context, Work work, Done done)
    {
        using R = decltype(work());
        QPointer<QObject> guard(context);
        m_pending.fetch_add(1);
        m_pool.start([this, guard, work = std::move(work), done = std::move(done)]() mutable {
            auto result = std::make_shared<R>(work());
            QMetaObject::invokeMethod(
                    this,
                    [this, guard, done, result] {
                        if (guard)
                            done(*result);
                        if (m_pending.fetch_sub(1) == 1)
                            Q_EMIT idle();
                    },
                    Qt::QueuedConnection);
        });
    }

    bool isIdle() const { return m_pending.load() == 0; }

Q_SIGNALS:
    void idle();

private:
    Database &m_database;
    QThreadPool m_pool;
    std::atomic<int> m_pending{0};
};

} // namespace Mercato
