#include "apiserver.h"

#include "ratelimiter.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QPointer>

#include <arpa/inet.h>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcApi, "mercato.server")

namespace Mercato {

class ApiWorker : public QThread
{
public:
    ApiWorker(int fd, const Http::Router *router, Metrics *metrics, const ServerOptions &options,
              ConnectionLimiter *limiter, std::function<void()> finished)
        : m_fd(fd)
        , m_router(router)
        , m_metrics(metrics)
        , m_options(options)
        , m_limiter(limiter)
        , m_finished(std::move(finished))
    {}

    bool waitReady()
    {
        std::unique_lock lock(m_mutex);
        m_readyChanged.wait(lock, [this] { return m_ready; });
        return m_ok;
    }

    void drain(int drainMs)
    {
        QPointer<GuardedTcpServer> tcp;
        {
            std::lock_guard lock(m_mutex);
            tcp = m_tcp;
        }
        if (!tcp)
            return;
        QMetaObject::invokeMethod(
                tcp,
                [tcp, drainMs] {
                    tcp->beginDrain();
                    auto *poll = new QTimer(tcp);
                    const qint64 deadline = QDateTime::currentMSecsSinceEpoch() + drainMs;
                    QObject::connect(poll, &QTimer::timeout, tcp, [tcp, deadline] {
                        if (tcp->openConnections() == 0
                            || QDateTime::currentMSecsSinceEpoch() >= deadline)
                            QThread::currentThread()->quit();
                    });
                    poll->start(20);
                },
                Qt::QueuedConnection);
    }

protected:
    void run() override
    {
        if (m_options.workerNice != 0
            && ::setpriority(PRIO_PROCESS, id_t(::gettid()), m_options.workerNice) != 0)
            qCWarning(lcApi) << "cannot set the worker's nice value:" << std::strerror(errno);
        {
            auto *http = new RoutedHttpServer(m_router);
            auto *tcp = new GuardedTcpServer(m_router, m_options.limits, m_limiter, m_metrics,
                                             m_options.tls);
            const bool ok = tcp->setSocketDescriptor(m_fd);
            if (ok) {
                http->bind(tcp); // takes ownership of tcp
            } else {
                qCWarning(lcApi) << "worker could not adopt its socket:" << tcp->errorString();
                delete tcp;
                ::close(m_fd);
            }
            // A std::mutex rather than a QSemaphore: ThreadSanitizer sees its ordering, not
            // that of Qt's futex-based locks.
            {
                std::lock_guard lock(m_mutex);
                m_ok = ok;
                m_ready = true;
                if (ok)
                    m_tcp = tcp;
            }
            m_readyChanged.notify_all();
            if (ok)
                exec();
            {
                std::lock_guard lock(m_mutex);
                m_tcp = nullptr;
            }
            delete http;
        }
        if (m_finished)
            m_finished();
    }

private:
    int m_fd;
    const Http::Router *m_router;
    Metrics *m_metrics;
    ServerOptions m_options;
    ConnectionLimiter *m_limiter;
    std::function<void()> m_finished;
    std::mutex m_mutex;
    std::condition_variable m_readyChanged;
    bool m_ready = false;             // guarded by m_mutex
    bool m_ok = false;                // guarded by m_mutex
    QPointer<GuardedTcpServer> m_tcp; // guarded by m_mutex; lives in this thread
};

namespace {

// A listening socket that shares its port with the other workers' (SO_REUSEPORT).
int listenSocket(const QHostAddress &address, quint16 port, quint16 *boundPort, QString *error)
{
    const bool v6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    int rc;
    if (v6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        const Q_IPV6ADDR a = address.toIPv6Address();
        std::memcpy(&sa.sin6_addr, &a, sizeof a);
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(address.toIPv4Address());
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    }
    if (rc != 0 || ::listen(fd, 1024) != 0) {
        *error = QString::fromLocal8Bit(std::strerror(errno));
        ::close(fd);
        return -1;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len);
    *boundPort = ntohs(v6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                          : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
    return fd;
}

} // namespace

ApiServer::ApiServer(const Http::Router *router, Metrics *metrics, ServerOptions options,
                     std::function<void()> threadFinished)
    : m_router(router)
    , m_metrics(metrics)
    , m_options(std::move(options))
    , m_threadFinished(std::move(threadFinished))
{
    if (m_options.workers <= 0)
        m_options.workers = std::max(1, QThread::idealThreadCount());
    m_limiter = std::make_unique<ConnectionLimiter>(m_options.limits);
}

ApiServer::~ApiServer()
{
    stop(0);
}

Status ApiServer::start()
{
    std::vector<int> fds;
    quint16 port = m_port != 0 ? m_port : m_options.port; // a restart keeps the URL valid
    for (int i = 0; i < m_options.workers; ++i) {
        QString error;
        quint16 bound = 0;
        const int fd = listenSocket(m_options.address, port, &bound, &error);
        if (fd < 0) {
            for (int open : fds)
                ::close(open);
            return makeError(ErrorCode::Unavailable, QStringLiteral("cannot listen on %1:%2: %3")
                                                             .arg(m_options.address.toString())
                                                             .arg(port)
                                                             .arg(error));
        }
        port = bound;
        fds.push_back(fd);
    }
    m_port = port;
    for (int i = 0; i < int(fds.size()); ++i) {
        auto worker = std::make_unique<ApiWorker>(fds[size_t(i)], m_router, m_metrics, m_options,
                                                  m_limiter.get(), m_threadFinished);
        worker->setObjectName(QStringLiteral("api-worker-%1").arg(i));
        worker->start();
        const bool ok = worker->waitReady();
        m_workers.push_back(std::move(worker));
        if (!ok) {
            stop(0);
            return makeError(ErrorCode::Unavailable, QStringLiteral("a worker could not start"));
        }
    }
    qCInfo(lcApi) << "serving on" << m_options.address.toString() << "port" << m_port << "with"
                  << m_workers.size() << "worker threads" << (m_options.tls ? "(TLS)" : "");
    return Ok{};
}

void ApiServer::stop(int drainMs)
{
    // Sign-ins still waiting for a password check are answered 503 while the workers can
    // still send it; once the workers are gone, nothing may still run on those threads.
    const QList<Http::PasswordCheckGate *> checks = m_router->passwordCheckGates();
    if (!m_workers.empty()) {
        for (Http::PasswordCheckGate *gate : checks)
            gate->settle();
    }
    for (auto &w : m_workers)
        w->drain(drainMs);
    for (auto &w : m_workers) {
        if (!w->wait(drainMs + 5000)) {
            w->quit();
            w->wait();
        }
    }
    m_workers.clear();
    for (Http::PasswordCheckGate *gate : checks)
        gate->settle();
}

QList<QThread *> ApiServer::threads() const
{
    QList<QThread *> out;
    for (const auto &w : m_workers)
        out.append(w.get());
    return out;
}

} // namespace Mercato
