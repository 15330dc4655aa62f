#include "metrics.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QThread>

namespace Mercato {

namespace {
QString escapeLabel(QString v)
{
    return v.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
            .replace(QLatin1Char('"'), QLatin1String("\\\""))
            .replace(QLatin1Char('\n'), QLatin1String("\\n"));
}
} // namespace

void Metrics::recordRequest(const QString &route, const QByteArray &method, int status,
                            qint64 nanos)
{
    m_requests.fetch_add(1, std::memory_order_relaxed);
    if (status >= 500)
        m_errors.fetch_add(1, std::memory_order_relaxed);
    if (const QCoreApplication *app = QCoreApplication::instance();
        app && QThread::currentThread() == app->thread())
        m_mainThread.fetch_add(1, std::memory_order_relaxed);
    RequestRecord record{method, route.isEmpty() ? QStringLiteral("(no route)") : route, status,
                         nanos / 1000, QDateTime::currentMSecsSinceEpoch()};
    const double seconds = double(nanos) / 1e9;
    const QString key = route + QLatin1Char('\t') + QString::fromLatin1(method) + QLatin1Char('\t')
                        + QString::number(status);
    size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i])
        ++i;
    std::lock_guard lock(m_mutex);
    ++m_counts[key];
    Histogram &h = m_latency[route];
    ++h.buckets[i];
    h.sumSeconds += seconds;
    if (m_recent.size() < size_t(kRecentRequests)) {
        m_recent.push_back(std::move(record));
    } else {
        m_recent[m_recentNext] = std::move(record);
        m_recentNext = (m_recentNext + 1) % m_recent.size();
    }
}

void Metrics::recordWebhookFailure(const QString &provider, const QString &reason, quint64 count)
{
    std::lock_guard lock(m_mutex);
    m_webhookFailures[provider + QLatin1Char('\t') + reason] += count;
}

QList<RequestRecord> Metrics::recentRequests() const
{
    std::lock_guard lock(m_mutex);
    QList<RequestRecord> out;
    out.reserve(qsizetype(m_recent.size()));
    for (size_t i = 0; i < m_recent.size(); ++i)
        out.append(m_recent[(m_recentNext + i) % m_recent.size()]);
    return out;
}

void Metrics::addGauge(const QString &name, const QString &help,
                       std::function<std::vector<std::pair<QString, double>>()> read)
{
    std::lock_guard lock(m_mutex);
    m_gauges.push_back({name, help, std::move(read)});
}

QByteArray Metrics::render() const
{
    QString out;
    std::vector<Gauge> gauges;
    {
        std::lock_guard lock(m_mutex);
        out += QStringLiteral("# HELP mercato_http_requests_total HTTP requests by route, method "
                              "and status.\n# TYPE mercato_http_requests_total counter\n");
        for (auto it = m_counts.cbegin(); it != m_counts.cend(); ++it) {
            const QStringList parts = it.key().split(QLatin1Char('\t'));
            out += QStringLiteral("mercato_http_requests_total{route=\"%1\",method=\"%2\","
                                  "status=\"%3\"} %4\n")
                           .arg(escapeLabel(parts.value(0)), parts.value(1), parts.value(2))
                           .arg(it.value());
        }
        out += QStringLiteral("# HELP mercato_http_request_duration_seconds Time to answer a "
                              "request, by route.\n"
                              "# TYPE mercato_http_request_duration_seconds histogram\n");
        for (auto it = m_latency.cbegin(); it != m_latency.cend(); ++it) {
            const QString route = escapeLabel(it.key());
            const Histogram &h = it.value();
            quint64 cumulative = 0;
            for (size_t i = 0; i < kBuckets.size(); ++i) {
                cumulative += h.buckets[i];
                out += QStringLiteral("mercato_http_request_duration_seconds_bucket{route=\"%1\","
                                      "le=\"%2\"} %3\n")
                               .arg(route)
                               .arg(kBuckets[i])
                               .arg(cumulative);
            }
            cumulative += h.buckets[kBuckets.size()];
            out += QStringLiteral("mercato_http_request_duration_seconds_bucket{route=\"%1\","
                                  "le=\"+Inf\"} %2\n"
                                  "mercato_http_request_duration_seconds_sum{route=\"%1\"} %3\n"
                                  "mercato_http_request_duration_seconds_count{route=\"%1\"} %4\n")
                           .arg(route)
                           .arg(cumulative)
                           .arg(h.sumSeconds, 0, 'f', 6)
                           .arg(cumulative);
        }
        out += QStringLiteral("# HELP mercato_webhook_failures_total Webhooks refused for their "
                              "signature or failed while processed, by provider and reason.\n"
                              "# TYPE mercato_webhook_failures_total counter\n");
        for (auto it = m_webhookFailures.cbegin(); it != m_webhookFailures.cend(); ++it) {
            const QStringList parts = it.key().split(QLatin1Char('\t'));
            out += QStringLiteral("mercato_webhook_failures_total{provider=\"%1\",reason=\"%2\"} "
                                  "%3\n")
                           .arg(escapeLabel(parts.value(0)), escapeLabel(parts.value(1)))
                           .arg(it.value());
        }
        gauges = m_gauges;
    }
    out += QStringLiteral("# HELP mercato_http_connections_open Open client connections.\n"
                          "# TYPE mercato_http_connections_open gauge\n"
                          "mercato_http_connections_open %1\n")
                   .arg(openConnections.load());
    for (const Gauge &g : gauges) {
        out += QStringLiteral("# HELP %1 %2\n# TYPE %1 gauge\n").arg(g.name, g.help);
        for (const auto &[labels, value] : g.read()) {
            out += g.name
                   + (labels.isEmpty() ? QString() : QLatin1Char('{') + labels + QLatin1Char('}'))
                   + QLatin1Char(' ') + QString::number(value, 'g', 12) + QLatin1Char('\n');
        }
    }
    return out.toUtf8();
}

} // namespace Mercato
