#include "metricsmonitor.h"

#include "model/tlsfiles.h"
#include "server/apiserver.h"
#include "server/metrics.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QSettings>
#include <QTimeZone>
#include <QUrl>

namespace Mercato {

MetricsMonitor::MetricsMonitor(Metrics &metrics, QString publicUrl, std::function<bool()> running,
                               std::function<int()> workers, QString configFile,
                               ServerSettings initial)
    : m_metrics(metrics)
    , m_publicUrl(std::move(publicUrl))
    , m_running(std::move(running))
    , m_workers(std::move(workers))
    , m_configFile(std::move(configFile))
    , m_initial(std::move(initial))
{}

MetricsMonitor::~MetricsMonitor()
{
    waitForSwitch();
}

void MetricsMonitor::waitForSwitch()
{
    if (m_stopping.joinable())
        m_stopping.join();
}

void MetricsMonitor::setServing(bool on, std::function<void(const Status &)> done)
{
    if (!m_switch)
        return ServerMonitor::setServing(on, std::move(done));
    if (m_switching)
        return done(makeError(ErrorCode::Conflict, QStringLiteral("the API is stopping")));
    if (on)
        return done(m_switch(true));
    // The drain waits up to its limit for requests in flight: never on the GUI thread. The
    // server is only touched by that thread until it is joined, back on this one. (It deletes
    // the finished worker threads' QThread objects; nothing is posted to them, so that is safe
    // from any thread.)
    waitForSwitch();
    m_switching = true;
    m_stopping = std::thread([this, done = std::move(done)] {
        const Status s = m_switch(false);
        QMetaObject::invokeMethod(
                &m_gui,
                [this, done, s] {
                    waitForSwitch();
                    m_switching = false;
                    done(s);
                },
                Qt::QueuedConnection);
    });
}

std::function<Status(bool)> MetricsMonitor::switchFor(ApiServer &server, int drainMs)
{
    return [&server, drainMs](bool on) -> Status {
        if (!on) {
            server.stop(drainMs);
            return Ok{};
        }
        return server.isRunning() ? Status(Ok{}) : server.start();
    };
}

QString MetricsMonitor::configFileIn(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("mercato.conf"));
}

quint64 MetricsMonitor::requestCount() const
{
    return m_metrics.requestCount();
}

quint64 MetricsMonitor::errorCount() const
{
    return m_metrics.errorCount();
}

QList<RequestLogEntry> MetricsMonitor::recentRequests() const
{
    const QList<RequestRecord> records = m_metrics.recentRequests();
    QList<RequestLogEntry> out;
    out.reserve(records.size());
    for (const RequestRecord &r : records)
        out.append({QString::fromLatin1(r.method), r.route, r.status, r.durationUs, r.atMs});
    return out;
}

ServerSettings MetricsMonitor::settings() const
{
    ServerSettings s = m_initial;
    if (m_configFile.isEmpty() || !QFileInfo::exists(m_configFile))
        return s;
    QSettings file(m_configFile, QSettings::IniFormat);
    s.listen = file.value(QStringLiteral("listen"), s.listen).toString();
    s.publicUrl = file.value(QStringLiteral("public_url"), s.publicUrl).toString();
    const QString cors
            = file.value(QStringLiteral("cors_origins"), s.corsOrigins.join(QLatin1Char(',')))
                      .toString();
    s.corsOrigins.clear();
    for (const QString &o : cors.split(QLatin1Char(','), Qt::SkipEmptyParts))
        s.corsOrigins.append(o.trimmed());
    s.currency = file.value(QStringLiteral("currency"), s.currency).toString();
    s.timeZone = file.value(QStringLiteral("timezone"), s.timeZone).toString();
    s.tlsCert = file.value(QStringLiteral("tls_cert"), s.tlsCert).toString();
    s.tlsKey = file.value(QStringLiteral("tls_key"), s.tlsKey).toString();
    return s;
}

void MetricsMonitor::setSecretStore(SecretStore *store, QString stripeApiBase,
                                    QString cloudinaryApiBase)
{
    m_secrets = store;
    m_stripeApiBase = std::move(stripeApiBase);
    m_cloudinaryApiBase = std::move(cloudinaryApiBase);
}

Status MetricsMonitor::saveSettings(const ServerSettings &s)
{
    const int colon = int(s.listen.lastIndexOf(QLatin1Char(':')));
    bool portOk = false;
    const int port = colon > 0 ? s.listen.mid(colon + 1).toInt(&portOk) : 0;
    if (colon <= 0 || !portOk || port <= 0 || port > 65535
        || QHostAddress(s.listen.left(colon).remove(QLatin1Char('[')).remove(QLatin1Char(']')))
                   .isNull())
        return Error::validation(QStringLiteral("listen"),
                                 QStringLiteral("listen address is address:port"));
    if (!s.publicUrl.isEmpty()) {
        const QUrl url(s.publicUrl);
        if (!url.isValid()
            || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
            return Error::validation(QStringLiteral("publicUrl"),
                                     QStringLiteral("public URL is an http(s) URL"));
    }
    if (s.currency.size() != 3)
        return Error::validation(QStringLiteral("currency"),
                                 QStringLiteral("currency is a three-letter code"));
    if (!s.timeZone.isEmpty() && !QTimeZone(s.timeZone.toUtf8()).isValid())
        return Error::validation(QStringLiteral("timeZone"), QStringLiteral("unknown time zone"));
    if (!s.tlsCert.isEmpty() || !s.tlsKey.isEmpty()) {
        if (auto tls = loadTlsFiles(s.tlsCert, s.tlsKey); !tls)
            return tls.error();
    }
    if (m_configFile.isEmpty())
        return Ok{};
    QDir().mkpath(QFileInfo(m_configFile).absolutePath());
    QSettings file(m_configFile, QSettings::IniFormat);
    file.setValue(QStringLiteral("listen"), s.listen);
    if (s.publicUrl.isEmpty())
        file.remove(QStringLiteral("public_url"));
    else
        file.setValue(QStringLiteral("public_url"), s.publicUrl);
    if (s.corsOrigins.isEmpty())
        file.remove(QStringLiteral("cors_origins"));
    else
        file.setValue(QStringLiteral("cors_origins"), s.corsOrigins.join(QLatin1Char(',')));
    file.setValue(QStringLiteral("currency"), s.currency.toUpper());
    if (!s.timeZone.isEmpty())
        file.setValue(QStringLiteral("timezone"), s.timeZone);
    // Read by the next start as MERCATO_TLS_CERT / MERCATO_TLS_KEY.
    for (const auto &[key, value] : {std::pair{QStringLiteral("tls_cert"), s.tlsCert},
                                     std::pair{QStringLiteral("tls_key"), s.tlsKey}}) {
        if (value.isEmpty())
            file.remove(key);
        else
            file.setValue(key, value);
    }
    file.sync();
    if (file.status() != QSettings::NoError)
        return makeError(ErrorCode::Unavailable, QStringLiteral("could not write ") + m_configFile);
    return Ok{};
}

} // namespace Mercato
