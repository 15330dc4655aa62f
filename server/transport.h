#pragma once
// The socket side of the API: a guarded QTcpServer per worker thread in front of a
// QAbstractHttpServer, enforcing limits that QHttpServer 6.4 lacks before a byte reaches a
// handler (body and header caps, timeouts, connection caps, 405/400/100-continue, HTTP/1.0).

#include "router.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>
#include <mutex>

#include <functional>
#include <memory>
#include <optional>

class QTcpSocket;

namespace Mercato {

class Metrics;

struct TransportLimits
{
    int headerBytes = 64 * 1024;
    int headerTimeoutMs = 10'000; // from the first byte of a request head to its end
    int bodyTimeoutMs = 60'000;   // a body must keep arriving within this
    int idleTimeoutMs = 60'000;   // a kept-alive connection with nothing to do
    int maxConnectionsPerAddress = 64;
    int maxConnections = 1024;
    int lingerMs = 3'000; // after an error answer, discard what still arrives
    // Pipelining: while a connection's answers not yet taken by the kernel exceed either
    // budget, nothing more of it is read (its peer must read first).
    qint64 unsentAnswerBytes = 1024 * 1024;
    int unsentAnswers = 16;
    int writeTimeoutMs = 60'000; // unsent answers must start moving within this
};

// What the guard decides about one request head (the bytes before the blank line).
struct HeadCheck
{
    int status = 0; // 0: accepted; otherwise the status of the rejection
    QString detail;
    QByteArray method; // as far as read, for the rejection's log line
    QString path;
    QByteArray target; // the request-target as sent (origin form), what the router routes on
    QByteArray requestId;
    qint64 contentLength = 0;
    bool close = false;        // HTTP/1.0 or `Connection: close`
    bool sendContinue = false; // answer `100 Continue` before the body arrives
};
// The request line and headers against the guard's rules (no chunked bodies, one
// Content-Length, Host on HTTP/1.1, the route's body cap from `bodyLimit(method, path)`).
// Pure, so that it can be fuzzed (tests/fuzz).
HeadCheck checkRequestHead(
        const QByteArray &head,
        const std::function<qint64(const QByteArray &method, const QString &path)> &bodyLimit);

// Open connections per client address and in total, shared by all workers.
class ConnectionLimiter
{
public:
    explicit ConnectionLimiter(const TransportLimits &limits)
        : m_limits(limits)
    {}
    bool tryAcquire(const QHostAddress &address);
    void release(const QHostAddress &address);

private:
    const TransportLimits m_limits;
    std::mutex m_mutex;
    QHash<QString, int> m_perAddress;
    int m_total = 0;
};

class ConnectionGuard;

// An answer made on another thread (a sign-in on the password checks' threads) for a request
// a worker read: handed to the connection's thread, or dropped when the connection is gone.
class DeferredAnswer
{
public:
    // From any thread.
    void deliver(Http::Response response);

private:
    friend class ConnectionGuard;
    std::mutex m_mutex;
    ConnectionGuard *m_guard = nullptr; // guarded by m_mutex; null once the connection is gone
};

// One worker's listening socket. Accept errors (descriptors exhausted) pause accepting
// briefly instead of spinning.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT
public:
    GuardedTcpServer(const Http::Router *router, const TransportLimits &limits,
                     ConnectionLimiter *limiter, Metrics *metrics,
                     std::optional<QSslConfiguration> tls, QObject *parent = nullptr);

    // Stop accepting; close idle connections, let busy ones finish their answer.
    void beginDrain();
    int openConnections() const { return int(m_guards.size()); }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    friend class ConnectionGuard;
    const Http::Router *m_router;
    const TransportLimits m_limits;
    ConnectionLimiter *m_limiter;
    Metrics *m_metrics;
    std::optional<QSslConfiguration> m_tls;
    QSet<ConnectionGuard *> m_guards;
    bool m_draining = false;
};

// Watches one connection's bytes (peeking, never consuming) ahead of QHttpServer, and hands
// it each accepted request's raw target and whether its answer ends the connection, in order.
class ConnectionGuard : public QObject
{
    Q_OBJECT
public:
    ConnectionGuard(QTcpSocket *socket, GuardedTcpServer *server, QHostAddress peer);
    ~ConnectionGuard() override;

    // What the guard accepted of one request, for the reader that answers it.
    struct Accepted
    {
        QByteArray target;
        bool close = false; // its answer ends the connection
    };

    bool idle() const
    {
        return m_state == State::Head && m_head.isEmpty() && m_accepted.isEmpty() && !m_deferred;
    }
    // The server drains: an idle connection closes now, a busy one after its next answer.
    void drain();
    bool closeAfterResponse() const { return m_closeAfter; }
    // QHttpServer has read one whole request: the oldest accepted one, or none when the guard
    // accepted none (a request it did not see end, or one after the connection's last).
    std::optional<Accepted> takeRequest();
    // The answer to a taken request is on the socket (`bytes` of it, ending the connection
    // when `close`).
    void responseWritten(qint64 bytes, bool close);
    // The connection ends: no more is read or answered.
    bool closing() const { return m_closing; }
    // QHttpServer read a request whose head this guard did not accept: refuse it.
    void refuseUnaccepted();
    // The answer to the request just taken is made elsewhere and comes through the returned
    // DeferredAnswer; until it does, nothing more of the connection is read and no timeout
    // runs (it waits for the server, not for its peer). `close`: that answer ends the
    // connection; `head`: it is the answer to a HEAD.
    std::shared_ptr<DeferredAnswer> deferAnswer(bool close, bool head);

private:
    enum class State { Head, Body, Rejected };
    struct Rejection
    {
        int status = 0;
        QString detail;
    };
    void onReadyRead();
    void onTimeout();
    void onWriteTimeout();
    void onBytesWritten();
    bool parseHead(const QByteArray &head);
    void reject(int status, const QString &detail);
    void answerRejection();
    void arm(int ms);
    void armForState();
    qint64 unsentBytes() const;
    int unsentAnswers() const;
    bool overBudget() const;
    void pause();
    void resume();
    void hideUnread();
    void showUnread();
    friend class DeferredAnswer;
    void answerDeferred(const Http::Response &response);

    QTcpSocket *m_socket;
    QPointer<GuardedTcpServer> m_server;
    QHostAddress m_peer;
    State m_state = State::Head;
    QByteArray m_head;
    // What is known of the request being read, for a rejection's X-Request-Id and log line.
    QByteArray m_method;
    QString m_path;
    QByteArray m_requestId;
    QByteArray m_target;
    qint64 m_bodyRemaining = 0;
    qint64 m_drained = 0;
    bool m_closeAfter = false;
    bool m_closing = false; // a request asked to close (or the guard refused one): read no more
    bool m_lingering = false;
    // Accepted requests not yet answered, oldest first.
    QList<Accepted> m_accepted;
    // A refused request behind accepted ones: answered once they are.
    std::optional<Rejection> m_rejection;
    // Bytes at the front of the socket's unread data that this guard has looked at already.
    // QHttpServer reads one request per readyRead; what it leaves unread was seen here, and
    // when it took no whole request it took everything (m_seenKept false).
    qint64 m_seen = 0;
    bool m_seenKept = false;
    // Backpressure: answers written (their end offsets in what was written), and whether the
    // connection is paused (its unread bytes hidden from QHttpServer in a transaction).
    qint64 m_answered = 0;
    QList<qint64> m_answerEnds;
    bool m_paused = false;
    // The answer being made elsewhere, and what it was asked with.
    std::shared_ptr<DeferredAnswer> m_deferred;
    bool m_deferredClose = false;
    bool m_deferredHead = false;
    QTimer m_timer;
    QTimer m_writeTimer;
};

// QHttpServer's request parsing, Mercato's routing: every request goes through the Router.
class RoutedHttpServer : public QAbstractHttpServer
{
    Q_OBJECT
public:
    explicit RoutedHttpServer(const Http::Router *router, QObject *parent = nullptr);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    const Http::Router *m_router;
};

// Serialises a response onto a socket (status line, headers, Content-Length, body); returns
// the bytes written.
qint64 writeResponse(QTcpSocket *socket, const Http::Response &response, bool close, bool head);

} // namespace Mercato
