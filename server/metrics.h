#pragma once
// Request counters, per-route latency histograms and failure counters in Prometheus text
// format; thread-safe.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <mutex>

#include <array>
#include <atomic>
#include <functional>
#include <vector>

namespace Mercato {

// One served request as the console's request log shows it: never a token, query or body.
struct RequestRecord
{
    QByteArray method;
    QString route; // the route pattern (`/api/v1/products/{id}`), not the raw path
    int status = 0;
    qint64 durationUs = 0;
    qint64 atMs = 0; // epoch ms when it was answered
};

class Metrics
{
public:
    static constexpr int kRecentRequests = 200;

    // `route` is the router's pattern (`/api/v1/products/{id}`), never the raw path.
    void recordRequest(const QString &route, const QByteArray &method, int status, qint64 nanos);
    // A webhook refused (`signature`: missing, stale or wrong signature) or that failed while
    // being processed (`processing`). `count` 0 declares the series so it shows before the first.
    void recordWebhookFailure(const QString &provider, const QString &reason, quint64 count = 1);
    // A value read when /metrics is scraped (orders by status, open connections, ...).
    void addGauge(const QString &name, const QString &help,
                  std::function<std::vector<std::pair<QString, double>>()> read);
    QByteArray render() const;

    quint64 requestCount() const { return m_requests.load(std::memory_order_relaxed); }
    // Answers with a 5xx status.
    quint64 errorCount() const { return m_errors.load(std::memory_order_relaxed); }
    // Requests answered on the application's main (GUI) thread; the console's
    // responsiveness test expects none.
    quint64 mainThreadRequestCount() const { return m_mainThread.load(std::memory_order_relaxed); }
    // The last kRecentRequests requests, oldest first.
    QList<RequestRecord> recentRequests() const;
    std::atomic<int> openConnections{0};

private:
    static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    struct Gauge
    {
        QString name;
        QString help;
        std::function<std::vector<std::pair<QString, double>>()> read;
    };
    struct Histogram
    {
        std::array<quint64, kBuckets.size() + 1> buckets{};
        double sumSeconds = 0;
    };
    mutable std::mutex m_mutex;
    QHash<QString, quint64> m_counts;          // key: route \t method \t status
    QHash<QString, Histogram> m_latency;       // key: route
    QHash<QString, quint64> m_webhookFailures; // key: provider \t reason
    std::vector<Gauge> m_gauges;
    std::atomic<quint64> m_requests{0};
    std::atomic<quint64> m_errors{0};
    std::atomic<quint64> m_mainThread{0};
    std::vector<RequestRecord> m_recent; // ring of kRecentRequests, guarded by m_mutex
    size_t m_recentNext = 0;
};

} // namespace Mercato
