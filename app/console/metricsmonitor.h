#pragma once
// The console's view of the API server (ui's ServerMonitor) over the server's metrics, and the
// console's config file (<data dir>/mercato.conf, read at the next start).

#include "ui/servermonitor.h"

#include <QObject>

#include <functional>
#include <thread>

namespace Mercato {

class ApiServer;
class Metrics;

class MetricsMonitor : public ServerMonitor
{
public:
    // `running`/`workers` are read live; `configFile` is where saveSettings writes.
    MetricsMonitor(Metrics &metrics, QString publicUrl, std::function<bool()> running,
                   std::function<int()> workers, QString configFile, ServerSettings initial);
    // Waits for a stop in progress.
    ~MetricsMonitor() override;

    QString publicUrl() const override { return m_publicUrl; }
    // While a stop drains on its thread, the server's own state is that thread's: these say
    // "still running, workers going away" without touching it.
    int workerCount() const override { return m_switching ? 0 : m_workers ? m_workers() : 0; }
    bool isRunning() const override { return m_switching || (m_running && m_running()); }
    bool canSwitch() const override { return bool(m_switch); }
    // A start runs here (binding and starting threads is quick); a stop runs `serve(false)` on
    // a thread of its own and reports back on this object's (the GUI) thread.
    void setServing(bool on, std::function<void(const Status &)> done) override;
    bool isSwitching() const override { return m_switching; }
    // Waits for a stop in progress (call it before stopping the server itself).
    void waitForSwitch();
    // How the Server page's switch stops and starts the API (unset: no switch).
    void setSwitch(std::function<Status(bool)> serve) { m_switch = std::move(serve); }
    // A switch over `server`: a stop lets requests in flight finish for at most `drainMs`.
    static std::function<Status(bool)> switchFor(ApiServer &server, int drainMs = 2000);
    quint64 requestCount() const override;
    quint64 errorCount() const override;
    QList<RequestLogEntry> recentRequests() const override;
    ServerSettings settings() const override;
    Status saveSettings(const ServerSettings &settings) override;

    SecretStore *secretStore() const override { return m_secrets; }
    QString stripeApiBase() const override { return m_stripeApiBase; }
    QString cloudinaryApiBase() const override { return m_cloudinaryApiBase; }
    // The keychain for the Settings page's secrets (kept by the caller) and the services'
    // API addresses.
    void setSecretStore(SecretStore *store, QString stripeApiBase, QString cloudinaryApiBase);

    // The console's config file in a data folder.
    static QString configFileIn(const QString &dataDir);

private:
    Metrics &m_metrics;
    QString m_publicUrl;
    std::function<bool()> m_running;
    std::function<int()> m_workers;
    std::function<Status(bool)> m_switch;
    std::thread m_stopping;   // the stop in progress, joined on the GUI thread
    bool m_switching = false; // GUI thread only
    QObject m_gui;            // lives on the GUI thread: where a stop reports back
    QString m_configFile;
    ServerSettings m_initial;
    SecretStore *m_secrets = nullptr;
    QString m_stripeApiBase = QStringLiteral("https://api.stripe.com");
    QString m_cloudinaryApiBase = QStringLiteral("https://api.cloudinary.com");
};

} // namespace Mercato
