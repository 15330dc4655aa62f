#pragma once
// The REST API's threads: one event loop, listening socket (SO_REUSEPORT on one port),
// guarded QHttpServer and database connection per worker. The GUI thread never serves.

#include "transport.h"

#include <QHostAddress>
#include <QList>
#include <QThread>

#include <functional>
#include <memory>
#include <optional>

namespace Mercato {

struct ServerOptions
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8080;
    int workers = 0; // 0: one per core
    TransportLimits limits;
    std::optional<QSslConfiguration> tls;
    // The worker threads' nice value (Linux, per thread). The console raises it so that its
    // window keeps the CPU when the API saturates the machine; 0 leaves them as they are.
    int workerNice = 0;
};

class ApiWorker;

class ApiServer
{
public:
    // `threadFinished` runs in each worker thread as it ends (to release its DB connection).
    ApiServer(const Http::Router *router, Metrics *metrics, ServerOptions options,
              std::function<void()> threadFinished = {});
    ~ApiServer();
    ApiServer(const ApiServer &) = delete;
    ApiServer &operator=(const ApiServer &) = delete;

    Status start();
    // Stops accepting, lets requests in flight finish (at most `drainMs`), joins the threads.
    void stop(int drainMs = 10'000);

    bool isRunning() const { return !m_workers.empty(); }
    quint16 port() const { return m_port; }
    int workerCount() const { return int(m_workers.size()); }
    QList<QThread *> threads() const;

private:
    const Http::Router *m_router;
    Metrics *m_metrics;
    ServerOptions m_options;
    std::function<void()> m_threadFinished;
    std::unique_ptr<ConnectionLimiter> m_limiter;
    std::vector<std::unique_ptr<ApiWorker>> m_workers;
    quint16 m_port = 0;
};

} // namespace Mercato
