#include "transport.h"

#include "ratelimiter.h"

#include "metrics.h"

#include <QHttpServerRequest>
#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>
#include <QUrlQuery>

#include <utility>

#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcTransport, "mercato.server.transport")

namespace Mercato {

using Http::Response;

// ---- ConnectionLimiter ------------------------------------------------------------------

bool ConnectionLimiter::tryAcquire(const QHostAddress &address)
{
    const QString key = address.toString();
    std::lock_guard lock(m_mutex);
    int &mine = m_perAddress[key];
    if (m_total >= m_limits.maxConnections || mine >= m_limits.maxConnectionsPerAddress) {
        if (mine == 0)
            m_perAddress.remove(key);
        return false;
    }
    ++mine;
    ++m_total;
    return true;
}

void ConnectionLimiter::release(const QHostAddress &address)
{
    const QString key = address.toString();
    std::lock_guard lock(m_mutex);
    auto it = m_perAddress.find(key);
    if (it == m_perAddress.end())
        return;
    if (--it.value() <= 0)
        m_perAddress.erase(it);
    --m_total;
}

// ---- writing ----------------------------------------------------------------------------

qint64 writeResponse(QTcpSocket *socket, const Response &response, bool close, bool head)
{
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' '
           + Http::titleFor(response.status).toLatin1() + "\r\n";
    bool hasLength = false;
    bool hasNosniff = false;
    bool hasCacheControl = false;
    bool hasCsp = false;
    for (const auto &[name, value] : response.headers) {
        if (name.compare("Content-Length", Qt::CaseInsensitive) == 0)
            hasLength = true;
        else if (name.compare("X-Content-Type-Options", Qt::CaseInsensitive) == 0)
            hasNosniff = true;
        else if (name.compare("Cache-Control", Qt::CaseInsensitive) == 0)
            hasCacheControl = true;
        else if (name.compare("Content-Security-Policy", Qt::CaseInsensitive) == 0)
            hasCsp = true;
        out += name + ": " + value + "\r\n";
    }
    if (!response.contentType.isEmpty())
        out += "Content-Type: " + response.contentType + "\r\n";
    // Every answer: no MIME sniffing. JSON answers (API data, problems) are never cached by a
    // shared cache unless a route says so, and are never rendered or framed as a document.
    if (!hasNosniff)
        out += "X-Content-Type-Options: nosniff\r\n";
    if (response.contentType.startsWith("application/json")
        || response.contentType.startsWith("application/problem+json")) {
        if (!hasCacheControl)
            out += "Cache-Control: no-store\r\n";
        if (!hasCsp)
            out += "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n";
    }
    if (!hasLength)
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    if (close)
        out += "Connection: close\r\n";
    out += "\r\n";
    if (!head)
        out += response.body;
    socket->write(out);
    return out.size();
}

// ---- GuardedTcpServer -------------------------------------------------------------------

GuardedTcpServer::GuardedTcpServer(const Http::Router *router, const TransportLimits &limits,
                                   ConnectionLimiter *limiter, Metrics *metrics,
                                   std::optional<QSslConfiguration> tls, QObject *parent)
    : QTcpServer(parent)
    , m_router(router)
    , m_limits(limits)
    , m_limiter(limiter)
    , m_metrics(metrics)
    , m_tls(std::move(tls))
{
    connect(this, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError error) {
        // Typically EMFILE: accepting again at once would spin; wait and retry.
        qCWarning(lcTransport) << "accept failed:" << error << "- pausing accepts for 250 ms";
        pauseAccepting();
        QTimer::singleShot(250, this, [this] {
            if (!m_draining)
                resumeAccepting();
        });
    });
}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    QTcpSocket *socket = m_tls ? new QSslSocket(this) : new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    const QHostAddress peer = socket->peerAddress();
    if (m_draining || !m_limiter->tryAcquire(peer)) {
        Response r
                = Response::problem(503, {}, QStringLiteral("too many connections; retry later"));
        r.setHeader("Retry-After", "1");
        const QByteArray id = Http::requestIdFor({});
        r.setHeader("X-Request-Id", id);
        Http::logRequest({}, {}, 503, 0, id, QStringLiteral("(refused)"));
        if (!m_tls)
            writeResponse(socket, r, true, false);
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        socket->disconnectFromHost();
        return;
    }
    auto *guard = new ConnectionGuard(socket, this, peer);
    m_guards.insert(guard);
    if (m_tls) {
        auto *ssl = static_cast<QSslSocket *>(socket);
        ssl->setSslConfiguration(*m_tls);
        connect(ssl, &QSslSocket::sslErrors, ssl,
                [ssl](const QList<QSslError> &) { ssl->abort(); });
        ssl->startServerEncryption();
    }
    addPendingConnection(socket);
}

void GuardedTcpServer::beginDrain()
{
    m_draining = true;
    close();
    const auto guards = m_guards;
    for (ConnectionGuard *g : guards)
        g->drain();
}

// ---- ConnectionGuard --------------------------------------------------------------------

namespace {
// While a connection is paused, at most this much of what it sends is taken from the kernel
// (the rest waits there, and the peer's sending stalls).
constexpr qint64 kPausedReadBuffer = 256 * 1024;
} // namespace

ConnectionGuard::ConnectionGuard(QTcpSocket *socket, GuardedTcpServer *server, QHostAddress peer)
    : QObject(socket)
    , m_socket(socket)
    , m_server(server)
    , m_peer(std::move(peer))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &ConnectionGuard::onTimeout);
    m_writeTimer.setSingleShot(true);
    connect(&m_writeTimer, &QTimer::timeout, this, &ConnectionGuard::onWriteTimeout);
    // Connected before QHttpServer's own readyRead handler, so this one looks first.
    connect(socket, &QIODevice::readyRead, this, &ConnectionGuard::onReadyRead);
    connect(socket, &QIODevice::bytesWritten, this, &ConnectionGuard::onBytesWritten);
    if (auto *ssl = qobject_cast<QSslSocket *>(socket))
        connect(ssl, &QSslSocket::encryptedBytesWritten, this, &ConnectionGuard::onBytesWritten);
    if (server->m_metrics)
        ++server->m_metrics->openConnections;
    arm(server->m_limits.headerTimeoutMs);
}

ConnectionGuard::~ConnectionGuard()
{
    if (m_deferred) {
        std::lock_guard lock(m_deferred->m_mutex);
        m_deferred->m_guard = nullptr;
    }
    if (m_server) {
        m_server->m_guards.remove(this);
        m_server->m_limiter->release(m_peer);
        if (m_server->m_metrics)
            --m_server->m_metrics->openConnections;
    }
}

void ConnectionGuard::arm(int ms)
{
    m_timer.start(ms);
}

void ConnectionGuard::armForState()
{
    if (!m_server)
        return;
    const TransportLimits &limits = m_server->m_limits;
    if (m_state == State::Body)
        arm(limits.bodyTimeoutMs);
    else if (!m_head.isEmpty())
        arm(limits.headerTimeoutMs);
    else
        arm(limits.idleTimeoutMs);
}

void ConnectionGuard::onTimeout()
{
    if (m_state == State::Rejected || !idle()) {
        m_socket->abort(); // slow header or body, or the linger after an error answer
        return;
    }
    m_socket->disconnectFromHost(); // idle keep-alive connection
}

void ConnectionGuard::onWriteTimeout()
{
    qCInfo(lcTransport).noquote() << "closing a connection from" << m_peer.toString()
                                  << "that took none of its answers for"
                                  << (m_server ? m_server->m_limits.writeTimeoutMs : 0) << "ms";
    m_socket->abort();
}

void ConnectionGuard::drain()
{
    m_closeAfter = true;
    if (idle())
        m_socket->disconnectFromHost(); // nothing in flight: close now
}

qint64 ConnectionGuard::unsentBytes() const
{
    qint64 n = m_socket->bytesToWrite();
    if (const auto *ssl = qobject_cast<const QSslSocket *>(m_socket))
        n += ssl->encryptedBytesToWrite();
    return n;
}

int ConnectionGuard::unsentAnswers() const
{
    // What is still buffered is the end of what was written; anything else buffered (a
    // `100 Continue`, TLS framing) only makes the count err on the high side.
    const qint64 sentUpTo = m_answered - unsentBytes();
    int n = 0;
    for (auto it = m_answerEnds.crbegin(); it != m_answerEnds.crend() && *it > sentUpTo; ++it)
        ++n;
    return n;
}

bool ConnectionGuard::overBudget() const
{
    if (!m_server)
        return false;
    const TransportLimits &limits = m_server->m_limits;
    return unsentBytes() > limits.unsentAnswerBytes || unsentAnswers() > limits.unsentAnswers;
}

void ConnectionGuard::onBytesWritten()
{
    if (!m_server)
        return;
    const qint64 sentUpTo = m_answered - unsentBytes();
    while (!m_answerEnds.isEmpty() && m_answerEnds.first() <= sentUpTo)
        m_answerEnds.removeFirst();
    if (unsentBytes() == 0)
        m_writeTimer.stop();
    else
        m_writeTimer.start(m_server->m_limits.writeTimeoutMs); // the peer reads: time again
    if (m_paused && !overBudget())
        resume();
}

void ConnectionGuard::hideUnread()
{
    // QHttpServer reads what the socket shows: inside a transaction of this guard, read bytes
    // stay in the socket's buffer for the rollback that shows them again.
    if (m_socket->bytesAvailable() == 0)
        return;
    if (!m_socket->isTransactionStarted())
        m_socket->startTransaction();
    m_socket->skip(m_socket->bytesAvailable());
}

void ConnectionGuard::pause()
{
    m_paused = true;
    m_timer.stop(); // the guard stopped reading: no header, body or idle timeout meanwhile
    m_socket->setReadBufferSize(kPausedReadBuffer);
    hideUnread();
    if (!m_writeTimer.isActive())
        m_writeTimer.start(m_server->m_limits.writeTimeoutMs);
}

void ConnectionGuard::resume()
{
    m_paused = false;
    if (!m_deferred)
        showUnread();
}

void ConnectionGuard::showUnread()
{
    if (m_socket->isTransactionStarted())
        m_socket->rollbackTransaction();
    m_socket->setReadBufferSize(0);
    m_seenKept = true; // m_seen still counts what was looked at, at the front of the shown bytes
    armForState();
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(m_socket, &QAbstractSocket::readyRead, Qt::QueuedConnection);
}

void ConnectionGuard::onReadyRead()
{
    if (!m_server)
        return;
    const TransportLimits &limits = m_server->m_limits;
    if (m_state == State::Rejected && !m_rejection) {
        m_drained += m_socket->skip(m_socket->bytesAvailable());
        if (m_drained > 64 * 1024 * 1024)
            m_socket->abort();
        return;
    }
    if (m_paused || m_deferred) {
        hideUnread();
        return;
    }
    if (!m_seenKept)
        m_seen = 0; // QHttpServer took no whole request since the last look: it took everything
    m_seenKept = false;
    if (m_state == State::Rejected)
        return; // a refusal waits for the answers before it; QHttpServer reads those
    const QByteArray data = m_socket->peek(m_socket->bytesAvailable());
    qsizetype pos = qsizetype(std::min<qint64>(m_seen, data.size()));
    m_seen = data.size();
    while (pos < data.size() && m_state != State::Rejected) {
        if (m_state == State::Body) {
            const qint64 take = std::min<qint64>(m_bodyRemaining, data.size() - pos);
            pos += take;
            m_bodyRemaining -= take;
            if (m_bodyRemaining == 0) {
                m_state = State::Head;
                arm(limits.idleTimeoutMs);
            } else {
                arm(limits.bodyTimeoutMs);
            }
            continue;
        }
        if (m_closing)
            break; // nothing after the connection's last request is read
        if (m_head.isEmpty()) {
            while (pos < data.size() && (data.at(pos) == '\r' || data.at(pos) == '\n'))
                ++pos;
            if (pos == data.size())
                break;
            arm(limits.headerTimeoutMs);
        }
        const qsizetype before = m_head.size();
        const qsizetype take
                = std::min<qsizetype>(data.size() - pos, limits.headerBytes + 4 - before);
        m_head.append(data.constData() + pos, take);
        const qsizetype end = m_head.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
        if (end < 0) {
            if (m_head.size() > limits.headerBytes) {
                reject(431,
                       QStringLiteral("request head larger than %1 bytes").arg(limits.headerBytes));
                return;
            }
            pos += take;
            continue;
        }
        pos += end + 4 - before;
        const QByteArray head = m_head.left(end);
        m_head.clear();
        if (!parseHead(head))
            return;
        if (m_bodyRemaining > 0) {
            m_state = State::Body;
            arm(limits.bodyTimeoutMs);
        } else {
            arm(limits.idleTimeoutMs);
        }
    }
}

HeadCheck checkRequestHead(
        const QByteArray &head,
        const std::function<qint64(const QByteArray &method, const QString &path)> &bodyLimit)
{
    HeadCheck c;
    const auto refuse = [&c](int status, const QString &detail) {
        c.status = status;
        c.detail = detail;
        return c;
    };
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray requestLine
            = lines.first().endsWith('\r') ? lines.first().chopped(1) : lines.first();
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
        return refuse(400, QStringLiteral("malformed request line"));
    }
    const QByteArray &method = parts[0];
    const QByteArray &target = parts[1];
    const QByteArray &version = parts[2];
    c.method = method.left(16);
    c.path = QString::fromLatin1(
            target.left(target.indexOf('?') < 0 ? target.size() : target.indexOf('?')));
    for (char ch : method) {
        if (ch < 'A' || ch > 'Z') {
            return refuse(400, QStringLiteral("malformed method"));
        }
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        if (version.startsWith("HTTP/"))
            return refuse(505, QStringLiteral("only HTTP/1.1 and HTTP/1.0 are served"));
        return refuse(400, QStringLiteral("malformed request line"));
    }
    if (!target.startsWith('/') && !(method == "OPTIONS" && target == "*")) {
        return refuse(400, QStringLiteral("the request target must be a path"));
    }
    // `//host/path` is a network-path reference to URL parsers: never read as a host and path.
    if (target.startsWith("//"))
        return refuse(400, QStringLiteral("the request target must not start with //"));
    c.target = target;
    static const QList<QByteArray> known{"GET",   "HEAD",   "POST",   "PUT",
                                         "PATCH", "DELETE", "OPTIONS"};
    if (!known.contains(method)) {
        return refuse(
                501, QStringLiteral("method %1 is not supported").arg(QString::fromLatin1(method)));
    }
    std::optional<qint64> contentLength;
    bool chunked = false;
    bool hasHost = false;
    QByteArray expect;
    c.close = version == "HTTP/1.0";
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (line.startsWith(' ') || line.startsWith('\t') || colon <= 0
            || line.left(colon).contains(' ') || line.left(colon).contains('\t')) {
            return refuse(400, QStringLiteral("malformed header line"));
        }
        const QByteArray name = line.left(colon).toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            bool ok = false;
            const qint64 n = value.toLongLong(&ok);
            if (!ok || n < 0 || value.startsWith('+') || (contentLength && *contentLength != n)) {
                return refuse(400, QStringLiteral("invalid Content-Length"));
            }
            contentLength = n;
        } else if (name == "transfer-encoding") {
            chunked = true;
        } else if (name == "host") {
            hasHost = true;
        } else if (name == "expect") {
            expect = value.toLower();
        } else if (name == "x-request-id") {
            c.requestId = value;
        } else if (name == "connection") {
            if (value.toLower().contains("close"))
                c.close = true;
        }
    }
    if (version == "HTTP/1.1" && !hasHost) {
        return refuse(400, QStringLiteral("missing Host header"));
    }
    if (chunked) {
        return refuse(contentLength ? 400 : 411,
                      QStringLiteral("send the body with a Content-Length"));
    }
    const qsizetype q = target.indexOf('?');
    const QString path = QString::fromLatin1(q < 0 ? target : target.left(q));
    const qint64 limit = bodyLimit(method, path);
    if (contentLength.value_or(0) > limit) {
        return refuse(413, QStringLiteral("the body is larger than %1 bytes").arg(limit));
    }
    if (!expect.isEmpty()) {
        if (expect != "100-continue") {
            return refuse(417, QStringLiteral("only Expect: 100-continue is understood"));
        }
        if (version == "HTTP/1.1" && contentLength.value_or(0) > 0)
            c.sendContinue = true;
    }
    c.contentLength = contentLength.value_or(0);
    return c;
}

bool ConnectionGuard::parseHead(const QByteArray &head)
{
    const HeadCheck c
            = checkRequestHead(head, [this](const QByteArray &method, const QString &path) {
                  return m_server->m_router->bodyLimit(method, path);
              });
    m_method = c.method;
    m_path = c.path;
    m_requestId = c.requestId;
    if (c.status != 0) {
        reject(c.status, c.detail);
        return false;
    }
    m_accepted.append(Accepted{c.target, c.close});
    m_closing = m_closing || c.close;
    // Only for the request QHttpServer reads next; a later one gets it from QHttpServer.
    if (c.sendContinue && m_accepted.size() == 1)
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    m_bodyRemaining = c.contentLength;
    return true;
}

void ConnectionGuard::reject(int status, const QString &detail)
{
    m_state = State::Rejected;
    m_rejection = Rejection{status, detail};
    // Requests accepted before this one are answered first, in order.
    if (m_accepted.isEmpty())
        answerRejection();
}

void ConnectionGuard::refuseUnaccepted()
{
    m_method.clear();
    m_path.clear();
    m_requestId.clear();
    reject(400, QStringLiteral("malformed request head"));
}

void ConnectionGuard::answerRejection()
{
    const Rejection rejection = *std::exchange(m_rejection, std::nullopt);
    m_state = State::Rejected;
    m_closing = true;
    m_accepted.clear();
    // QHttpServer must not see this request: drop its reader, keep discarding.
    QObject::disconnect(m_socket, &QIODevice::readyRead, nullptr, nullptr);
    connect(m_socket, &QIODevice::readyRead, this, &ConnectionGuard::onReadyRead);
    if (m_paused) {
        m_paused = false;
        if (m_socket->isTransactionStarted())
            m_socket->rollbackTransaction();
        m_socket->setReadBufferSize(0);
    }
    m_drained += m_socket->skip(m_socket->bytesAvailable());
    Response r = Response::problem(rejection.status, {}, rejection.detail);
    const QByteArray id = Http::requestIdFor(m_requestId);
    r.setHeader("X-Request-Id", id);
    Http::logRequest(m_method, m_path, rejection.status, 0, id, QStringLiteral("(rejected)"));
    writeResponse(m_socket, r, true, false);
    m_socket->flush();
    auto halfClose = [this] {
        if (m_lingering || m_socket->bytesToWrite() > 0)
            return;
        m_lingering = true;
        // Our side is done; the client may still be sending, and gets our answer, not a reset.
        if (!m_server || !m_server->m_tls)
            ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
        else
            m_socket->disconnectFromHost();
    };
    connect(m_socket, &QIODevice::bytesWritten, this, halfClose);
    halfClose();
    arm(m_server ? m_server->m_limits.lingerMs : 1000);
}

std::optional<ConnectionGuard::Accepted> ConnectionGuard::takeRequest()
{
    // QHttpServer took one whole request; what it left unread was looked at already.
    m_seen = m_socket->bytesAvailable();
    m_seenKept = true;
    if (m_accepted.isEmpty())
        return std::nullopt;
    return m_accepted.takeFirst();
}

std::shared_ptr<DeferredAnswer> ConnectionGuard::deferAnswer(bool close, bool head)
{
    m_deferred = std::make_shared<DeferredAnswer>();
    m_deferred->m_guard = this;
    m_deferredClose = close;
    m_deferredHead = head;
    m_timer.stop();
    hideUnread();
    return m_deferred;
}

void ConnectionGuard::answerDeferred(const Http::Response &response)
{
    if (!m_deferred)
        return;
    {
        std::lock_guard lock(m_deferred->m_mutex);
        m_deferred->m_guard = nullptr;
    }
    m_deferred.reset();
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    const bool close = m_deferredClose || m_closeAfter;
    responseWritten(writeResponse(m_socket, response, close, m_deferredHead), close);
    // What arrived meanwhile is read now (unless the answers wait for the peer to read); after
    // a request that asked to close, only the requests accepted before it.
    if (!close && !m_paused)
        showUnread();
}

void DeferredAnswer::deliver(Http::Response response)
{
    std::lock_guard lock(m_mutex);
    if (!m_guard)
        return;
    // Posted while the guard cannot be destroyed (its destructor takes this lock); a guard
    // destroyed before the event runs takes the event with it.
    ConnectionGuard *guard = m_guard;
    QMetaObject::invokeMethod(
            guard, [guard, response = std::move(response)] { guard->answerDeferred(response); },
            Qt::QueuedConnection);
}

void ConnectionGuard::responseWritten(qint64 bytes, bool close)
{
    m_answered += bytes;
    m_answerEnds.append(m_answered);
    if (close) {
        m_closing = true;
        m_accepted.clear();
        m_socket->skip(m_socket->bytesAvailable()); // nothing after this answer is read
        m_socket->disconnectFromHost();
        return;
    }
    if (m_rejection && m_accepted.isEmpty()) {
        answerRejection();
        return;
    }
    if (!m_server)
        return;
    if (overBudget()) {
        pause();
        return;
    }
    if (unsentBytes() > 0 && !m_writeTimer.isActive())
        m_writeTimer.start(m_server->m_limits.writeTimeoutMs);
    if (idle())
        arm(m_server->m_limits.idleTimeoutMs);
}

// ---- RoutedHttpServer -------------------------------------------------------------------

RoutedHttpServer::RoutedHttpServer(const Http::Router *router, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_router(router)
{}

namespace {
QByteArray methodName(QHttpServerRequest::Method m)
{
    switch (m) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    default:
        return "UNKNOWN";
    }
}
} // namespace

namespace {
// The path of an origin-form request-target as the router sees it: percent-encoding made
// uniform, nothing else changed (no slash collapsed, no dot segment resolved).
QString targetPath(const QByteArray &target)
{
    const qsizetype q = target.indexOf('?');
    QUrl url;
    url.setPath(QString::fromUtf8(q < 0 ? target : target.left(q)), QUrl::TolerantMode);
    return url.path(QUrl::FullyEncoded);
}
} // namespace

bool RoutedHttpServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    auto *guard = socket->findChild<ConnectionGuard *>(QString(), Qt::FindDirectChildrenOnly);
    if (!guard)
        return true; // not a connection this server accepted
    const std::optional<ConnectionGuard::Accepted> accepted = guard->takeRequest();
    if (!accepted) {
        if (!guard->closing())
            guard->refuseUnaccepted();
        return true;
    }
    Http::Request r;
    r.method = methodName(request.method());
    // Routed on the target as sent: QUrl reads `//x/a` as host x and path /a.
    r.path = targetPath(accepted->target);
    r.query = QUrlQuery(request.url());
    const auto headers = request.headers();
    for (const auto &[name, value] : headers) {
        const QByteArray key = name.toLower();
        auto it = r.headers.find(key);
        if (it == r.headers.end())
            r.headers.insert(key, value);
        else
            it.value() += ", " + value;
    }
    r.body = request.body();
    r.remoteAddress = request.remoteAddress();
    if (Http::PasswordCheckGate *checks = m_router->passwordChecksFor(r.method, r.path)) {
        // A sign-in: its whole pipeline runs on the password checks' threads, this worker goes
        // on with other connections.
        std::shared_ptr<DeferredAnswer> answer
                = guard->deferAnswer(accepted->close, r.method == "HEAD");
        const Http::Router *router = m_router;
        if (!checks->submit([router, answer, r = std::move(r)](bool refused) mutable {
                answer->deliver(refused ? Http::PasswordCheckGate::busy() : router->dispatch(r));
            }))
            answer->deliver(Http::PasswordCheckGate::busy());
        return true;
    }
    const Response response = m_router->dispatch(r);
    const bool close = accepted->close || guard->closeAfterResponse();
    const qint64 written = writeResponse(socket, response, close, r.method == "HEAD");
    guard->responseWritten(written, close);
    return true;
}

void RoutedHttpServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Response r = Response::problem(404, {}, QStringLiteral("no such resource"));
    const QByteArray id = Http::requestIdFor(request.value("X-Request-Id"));
    r.setHeader("X-Request-Id", id);
    Http::logRequest(methodName(request.method()), request.url().path(QUrl::FullyEncoded), 404, 0,
                     id, QStringLiteral("(unmatched)"));
    writeResponse(socket, r, false, false);
}

} // namespace Mercato
