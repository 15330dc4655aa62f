#pragma once
// Carries ModelEvents between processes that share one PostgreSQL database (LISTEN/NOTIFY):
// what one mercato-server or console changes, the other processes and their consoles see.

#include "events.h"

#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QString>
#include <QThread>
#include <QVariant>

#include <atomic>
#include <mutex>

namespace Mercato {

class Database;

class ClusterEvents : public QObject
{
    Q_OBJECT
public:
    // The NOTIFY channel every process listens on.
    static QString channel() { return QStringLiteral("mercato_events"); }

    ClusterEvents(Database &database, ModelEvents &events);
    ~ClusterEvents() override; // stops the listener thread
    ClusterEvents(const ClusterEvents &) = delete;
    ClusterEvents &operator=(const ClusterEvents &) = delete;

    // Starts the listener thread on PostgreSQL; does nothing on SQLite (one process per file).
    void start();
    void stop();
    bool isListening() const { return m_listening.load(); }
    // This process's tag in each payload; received events carrying it are its own.
    const QString &origin() const { return m_origin; }
    // Events of other processes re-emitted here, by event name (`orderChanged`, ...).
    QHash<QString, quint64> receivedCounts() const;
    quint64 sentCount() const { return m_sent.load(); }

Q_SIGNALS:
    // On the listener thread, each time LISTEN is in place (at start and after a reconnect).
    void listening();

private:
    void publish(const QString &event, const QJsonArray &args);  // any thread, after commit
    void flush();                                                // listener thread
    bool subscribe();                                            // listener thread
    void check();                                                // listener thread
    void received(const QString &name, const QVariant &payload); // listener thread

    Database &m_database;
    ModelEvents &m_events;
    const QString m_origin;
    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread while it runs
    QList<QMetaObject::Connection> m_connections;
    mutable std::mutex m_mutex; // guards m_outgoing, m_received
    QList<QString> m_outgoing;
    QHash<QString, quint64> m_received;
    std::atomic<bool> m_listening{false};
    std::atomic<quint64> m_sent{0};
};

} // namespace Mercato
