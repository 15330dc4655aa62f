#include "clusterevents.h"

#include "database.h"
#include "ids.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QTimer>

Q_LOGGING_CATEGORY(lcCluster, "mercato.cluster")

namespace Mercato {

namespace {
// PostgreSQL refuses payloads of 8000 bytes or more; titles are cut well below that.
constexpr int kMaxText = 1000;
constexpr int kCheckIntervalMs = 5000;
} // namespace

ClusterEvents::ClusterEvents(Database &database, ModelEvents &events)
    : m_database(database)
    , m_events(events)
    , m_origin(QString::number(QCoreApplication::applicationPid()) + QLatin1Char('-')
               + Ids::newId().left(12))
{
    m_thread.setObjectName(QStringLiteral("cluster-events"));
}

ClusterEvents::~ClusterEvents()
{
    stop();
    // The listener thread wrote these under the mutex. Take it before their memory goes, so
    // the release follows the last use in a way ThreadSanitizer sees (QThread::wait's own
    // synchronisation it does not).
    std::lock_guard lock(m_mutex);
    m_received.clear();
    m_outgoing.clear();
}

void ClusterEvents::start()
{
    if (m_database.engine() != Engine::Postgres || m_thread.isRunning())
        return;
    // Announced after commit on the thread that made the change; sent from the listener's
    // connection so no caller waits and no statement runs on the GUI thread. Events this
    // object re-emits (on its own thread) are not sent again.
    const auto out = [this](const QString &name) {
        return [this, name](auto... args) {
            if (QThread::currentThread() == &m_thread)
                return;
            QJsonArray a;
            (a.append(QJsonValue(args)), ...);
            publish(name, a);
        };
    };
    m_connections = {
            connect(
                    &m_events, &ModelEvents::notificationCreated, this,
                    [f = out(QStringLiteral("notificationCreated"))](
                            const QString &user, const QString &kind, const QString &title) {
                        f(user, kind, title.left(kMaxText));
                    },
                    Qt::DirectConnection),
            connect(&m_events, &ModelEvents::productChanged, this,
                    out(QStringLiteral("productChanged")), Qt::DirectConnection),
            connect(&m_events, &ModelEvents::stockLow, this, out(QStringLiteral("stockLow")),
                    Qt::DirectConnection),
            connect(&m_events, &ModelEvents::orderChanged, this,
                    out(QStringLiteral("orderChanged")), Qt::DirectConnection),
            connect(&m_events, &ModelEvents::refundRequested, this,
                    out(QStringLiteral("refundRequested")), Qt::DirectConnection),
            connect(&m_events, &ModelEvents::refundChanged, this,
                    out(QStringLiteral("refundChanged")), Qt::DirectConnection),
            connect(&m_events, &ModelEvents::complaintChanged, this,
                    out(QStringLiteral("complaintChanged")), Qt::DirectConnection),
    };

    auto *context = new QObject; // deleted in the thread when it finishes
    auto *timer = new QTimer(context);
    timer->setInterval(kCheckIntervalMs);
    context->moveToThread(&m_thread);
    connect(timer, &QTimer::timeout, context, [this] { check(); });
    connect(&m_thread, &QThread::started, context, [this, timer] {
        subscribe();
        timer->start();
    });
    connect(&m_thread, &QThread::finished, context, [this] {
        m_listening = false;
        std::lock_guard lock(m_mutex);
        delete m_context;
        m_context = nullptr;
        m_outgoing.clear();
    });
    {
        std::lock_guard lock(m_mutex);
        m_context = context;
    }
    m_thread.start();
}

void ClusterEvents::stop()
{
    for (const auto &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    if (!m_thread.isRunning())
        return;
    m_thread.quit();
    m_thread.wait();
}

QHash<QString, quint64> ClusterEvents::receivedCounts() const
{
    std::lock_guard lock(m_mutex);
    return m_received;
}

void ClusterEvents::publish(const QString &event, const QJsonArray &args)
{
    const QJsonObject payload{{QStringLiteral("o"), m_origin},
                              {QStringLiteral("e"), event},
                              {QStringLiteral("a"), args}};
    std::lock_guard lock(m_mutex);
    if (!m_context)
        return;
    const bool first = m_outgoing.isEmpty();
    m_outgoing.append(QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
    if (first)
        QMetaObject::invokeMethod(
                m_context, [this] { flush(); }, Qt::QueuedConnection);
}

void ClusterEvents::flush()
{
    QList<QString> batch;
    {
        std::lock_guard lock(m_mutex);
        batch.swap(m_outgoing);
    }
    const QSqlDatabase db = m_database.connection();
    for (const QString &payload : std::as_const(batch)) {
        if (execSql(db, QStringLiteral("SELECT pg_notify(?, ?)"), {channel(), payload}))
            m_sent.fetch_add(1);
        else
            qCWarning(lcCluster) << "could not announce a change to the other processes";
    }
}

bool ClusterEvents::subscribe()
{
    QSqlDatabase db = m_database.connection();
    if (!db.isOpen() || !db.driver()->subscribeToNotification(channel())) {
        qCWarning(lcCluster) << "cannot LISTEN for other processes' changes; retrying";
        return false;
    }
    connect(db.driver(), &QSqlDriver::notification, m_context,
            [this](const QString &name, QSqlDriver::NotificationSource, const QVariant &payload) {
                received(name, payload);
            });
    m_listening = true;
    qCInfo(lcCluster).noquote() << "listening for other processes' changes as" << m_origin;
    Q_EMIT listening();
    return true;
}

void ClusterEvents::check()
{
    // A dropped connection loses its LISTEN: open a fresh one and subscribe again.
    if (m_listening && m_database.ping()) {
        QSqlDatabase db = m_database.connection();
        if (db.driver()->subscribedToNotifications().contains(channel()))
            return;
    }
    m_listening = false;
    m_database.releaseThreadConnection();
    subscribe();
}

void ClusterEvents::received(const QString &name, const QVariant &payload)
{
    if (name != channel())
        return;
    const QJsonObject o = QJsonDocument::fromJson(payload.toString().toUtf8()).object();
    if (o.value(QStringLiteral("o")).toString() == m_origin)
        return;
    const QString e = o.value(QStringLiteral("e")).toString();
    const QJsonArray a = o.value(QStringLiteral("a")).toArray();
    const auto s = [&a](int i) {
        return a.at(i).toString();
    };
    if (e == QLatin1String("notificationCreated") && a.size() == 3)
        Q_EMIT m_events.notificationCreated(s(0), s(1), s(2));
    else if (e == QLatin1String("productChanged") && a.size() == 1)
        Q_EMIT m_events.productChanged(s(0));
    else if (e == QLatin1String("stockLow") && a.size() == 3)
        Q_EMIT m_events.stockLow(s(0), s(1), a.at(2).toInt());
    else if (e == QLatin1String("orderChanged") && a.size() == 2)
        Q_EMIT m_events.orderChanged(s(0), s(1));
    else if (e == QLatin1String("refundRequested") && a.size() == 1)
        Q_EMIT m_events.refundRequested(s(0));
    else if (e == QLatin1String("refundChanged") && a.size() == 1)
        Q_EMIT m_events.refundChanged(s(0));
    else if (e == QLatin1String("complaintChanged") && a.size() == 1)
        Q_EMIT m_events.complaintChanged(s(0));
    else
        return; // a newer process's event this one does not know
    std::lock_guard lock(m_mutex);
    ++m_received[e];
}

} // namespace Mercato
