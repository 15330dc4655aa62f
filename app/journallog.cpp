#include "journallog.h"

#include <QList>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace Mercato::JournalLog {

bool streamIs(const QByteArray &journalStream, int fd)
{
    const QList<QByteArray> parts = journalStream.split(':');
    if (parts.size() != 2)
        return false;
    bool devOk = false;
    bool inoOk = false;
    const qulonglong dev = parts[0].toULongLong(&devOk);
    const qulonglong ino = parts[1].toULongLong(&inoOk);
    struct stat st = {};
    if (!devOk || !inoOk || ::fstat(fd, &st) != 0)
        return false;
    return qulonglong(st.st_dev) == dev && qulonglong(st.st_ino) == ino;
}

int priority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 7;
    case QtInfoMsg:
        return 6;
    case QtWarningMsg:
        return 4;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 2;
    }
    return 6;
}

QByteArray lines(int priority, const QString &text)
{
    const QByteArray prefix = '<' + QByteArray::number(priority) + '>';
    QByteArray out;
    const QList<QByteArray> split = text.toUtf8().split('\n');
    for (qsizetype i = 0; i < split.size(); ++i) {
        if (i == split.size() - 1 && split[i].isEmpty() && i > 0)
            break; // a trailing newline ends the last line, it does not open one
        out += prefix + split[i] + '\n';
    }
    return out;
}

namespace {

void writeAll(const QByteArray &bytes)
{
    const char *p = bytes.constData();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, size_t(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // stderr is gone: nothing better to do with a log line
        p += n;
        left -= n;
    }
}

// Lines of any thread, in the order they were logged, out through one writer.
class Sink
{
public:
    explicit Sink(bool journal)
        : m_journal(journal)
        , m_thread([this] { run(); })
    {}

    void add(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        const QString text = qFormatLogMessage(type, context, message);
        if (text.isNull())
            return; // as Qt's own handler: the message pattern left nothing to write
        const QByteArray line = m_journal ? lines(priority(type), text) : text.toUtf8() + '\n';
        const bool batched = type == QtInfoMsg || type == QtDebugMsg;
        {
            std::lock_guard lock(m_mutex);
            if (batched && !m_stopped && m_pending.size() < kMaxPending) {
                const bool wasEmpty = m_pending.isEmpty();
                m_pending += line;
                if (wasEmpty)
                    m_wake.notify_one();
                return;
            }
        }
        writeNow(line); // a warning, a full buffer, or after exit began
    }

    // What is pending, then `more`; a writer at a time, so batches never interleave.
    void writeNow(const QByteArray &more = {})
    {
        std::lock_guard writing(m_writeMutex);
        QByteArray out;
        {
            std::lock_guard lock(m_mutex);
            out.swap(m_pending);
        }
        out += more;
        writeAll(out);
    }

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopped)
                return;
            m_stopped = true;
        }
        m_wake.notify_one();
        m_thread.join();
        writeNow();
    }

private:
    static constexpr qsizetype kMaxPending = 256 * 1024;

    void run()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [this] { return m_stopped || !m_pending.isEmpty(); });
            if (m_stopped)
                return;
            // Lines logged in the next few milliseconds join this write.
            m_wake.wait_for(lock, std::chrono::milliseconds(kFlushMs),
                            [this] { return m_stopped; });
            lock.unlock();
            writeNow();
            lock.lock();
        }
    }

    const bool m_journal;
    std::mutex m_writeMutex;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    QByteArray m_pending;   // guarded by m_mutex
    bool m_stopped = false; // guarded by m_mutex
    std::thread m_thread;
};

Sink *s_sink = nullptr; // made once, never destroyed: lines may come during static teardown

void sinkHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    s_sink->add(type, context, message);
}

} // namespace

bool install()
{
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    const bool journal = !stream.isEmpty() && streamIs(stream, STDERR_FILENO);
    if (!s_sink) {
        s_sink = new Sink(journal);
        std::atexit([] { s_sink->stop(); });
        qInstallMessageHandler(sinkHandler);
    }
    return journal;
}

void flush()
{
    if (s_sink)
        s_sink->writeNow();
}

} // namespace Mercato::JournalLog
