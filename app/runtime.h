#pragma once
// Wiring shared by both executables: the shop, the API routes and the worker threads.

#include "config.h"

#include "model/clusterevents.h"
#include "model/ordersweeper.h"
#include "model/secretstore.h"
#include "model/shop.h"
#include "model/walcheckpointer.h"
#include "server/apiserver.h"
#include "server/metrics.h"
#include "server/router.h"

#include <QThreadPool>
#include <QTimer>

#include <functional>
#include <memory>

namespace Mercato {

class Runtime
{
public:
    explicit Runtime(Config config);
    ~Runtime();

    // Resolves secrets, opens and migrates the database, registers routes, starts serving.
    Status start();
    // Stops accepting, drains requests in flight, closes the database.
    void stop();

    const Config &config() const { return m_config; }
    Shop &shop() { return *m_shop; }
    Metrics &metrics() { return m_metrics; }
    ApiServer &server() { return *m_server; }
    // The URL customers reach (MERCATO_PUBLIC_URL, else from the bound address).
    QString apiUrl() const;

private:
    Config m_config;
    Metrics m_metrics;
    Http::Router m_router;
    std::unique_ptr<Shop> m_shop;
    std::unique_ptr<OrderSweeper> m_sweeper;         // expires unpaid orders
    std::unique_ptr<ClusterEvents> m_cluster;        // other processes' changes (PostgreSQL)
    std::unique_ptr<WalCheckpointer> m_checkpointer; // SQLite: off the requests' threads
    std::unique_ptr<ApiServer> m_server;
    // Provider refunds that are due (retries after errors) are sent off the main thread.
    QTimer m_refundSweep;
    QThreadPool m_sweepPool;
};

// The HS256 key: MERCATO_JWT_SECRET; else generated once and kept in the OS keychain on a
// desktop (falling back to an owner-only file `jwt.key` in the data dir when no keychain
// answers), or in that file headless. Runs keychain jobs in a local event loop: call it at
// start-up, before the GUI shows.
Result<QByteArray> resolveJwtKey(const Config &config);

// The secret settings that may live outside the configuration (never in settings files or
// the database): MERCATO_STRIPE_SECRET_KEY, MERCATO_STRIPE_WEBHOOK_SECRET,
// MERCATO_CLOUDINARY_URL, MERCATO_SMTP_URL.
QStringList secretSettingNames();
// Where they are kept when not given: the OS keychain on a desktop when a keychain job
// succeeds; else (headless, or no usable keychain) owner-only files in <data dir>/secrets.
std::unique_ptr<SecretStore> openSecretStore(const Config &config);
// Fills each secret setting the file, environment and command line left empty from that
// store; a given value always wins. Logs where each came from, never the value.
Status resolveSecrets(Config &config);

// Calls `handler` on the main thread when SIGTERM or SIGINT arrives (self-pipe).
void onTerminationSignal(QObject *context, std::function<void()> handler);

// The headless main loop: serve until SIGTERM/SIGINT, then drain and exit 0.
int runHeadless(const Config &config);
// Runs the non-serving commands (--print-openapi, check, user ..., secret ...); -1 when
// there is none. Passwords and secrets are read from stdin (never from the command line).
int runCommand(const Config &config);

} // namespace Mercato
