#include "smtpmailer.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QUrl>

Q_DECLARE_LOGGING_CATEGORY(lcMail)

namespace Mercato {

namespace {

struct Reply
{
    int code = 0;
    QList<QByteArray> lines; // text after the code, one per line
};

// One SMTP conversation over a blocking socket (no event loop needed).
class Conversation
{
public:
    Conversation(const SmtpMailer::Settings &settings)
        : m_settings(settings)
    {}

    Status fail(ErrorCode code, const QString &what)
    {
        return makeError(code, QStringLiteral("SMTP %1:%2: %3")
                                       .arg(m_settings.host)
                                       .arg(m_settings.port)
                                       .arg(what));
    }

    Status connect()
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        if (!m_settings.extraCaCertificates.isEmpty())
            tls.addCaCertificates(m_settings.extraCaCertificates);
        m_socket.setSslConfiguration(tls);
        if (m_settings.implicitTls) {
            m_socket.connectToHostEncrypted(m_settings.host, m_settings.port);
            if (!m_socket.waitForEncrypted(m_settings.timeoutMs))
                return fail(ErrorCode::Unavailable,
                            QStringLiteral("TLS connection failed: ") + m_socket.errorString());
        } else {
            m_socket.connectToHost(m_settings.host, m_settings.port);
            if (!m_socket.waitForConnected(m_settings.timeoutMs))
                return fail(ErrorCode::Unavailable,
                            QStringLiteral("cannot connect: ") + m_socket.errorString());
        }
        return Ok{};
    }

    Result<Reply> read()
    {
        Reply reply;
        for (;;) {
            while (!m_socket.canReadLine()) {
                if (m_socket.bytesAvailable() > 64 * 1024)
                    return Error(fail(ErrorCode::Unavailable, QStringLiteral("reply line too long"))
                                         .error());
                if (!m_socket.waitForReadyRead(m_settings.timeoutMs))
                    return Error(fail(ErrorCode::Unavailable,
                                      QStringLiteral("no reply: ") + m_socket.errorString())
                                         .error());
            }
            const QByteArray line = m_socket.readLine().trimmed();
            if (line.size() < 3)
                return Error(
                        fail(ErrorCode::Unavailable, QStringLiteral("malformed reply")).error());
            bool ok = false;
            const int code = line.left(3).toInt(&ok);
            if (!ok)
                return Error(
                        fail(ErrorCode::Unavailable, QStringLiteral("malformed reply")).error());
            reply.code = code;
            reply.lines.append(line.mid(4));
            if (line.size() == 3 || line.at(3) != '-')
                return reply;
        }
    }

    // Sends `line` (CRLF added) and reads the reply. Errors never quote the line: it may
    // carry credentials.
    Result<Reply> command(const QByteArray &line)
    {
        m_socket.write(line + "\r\n");
        if (!m_socket.waitForBytesWritten(m_settings.timeoutMs) && m_socket.bytesToWrite() > 0)
            return Error(fail(ErrorCode::Unavailable, QStringLiteral("write timed out")).error());
        return read();
    }

    // 2xx/3xx as expected; 4xx is worth retrying; 5xx is permanent.
    Status expect(const Result<Reply> &reply, int wanted, const char *step)
    {
        if (!reply)
            return reply.error();
        if (reply->code == wanted)
            return Ok{};
        const QString text = QString::fromUtf8(reply->lines.join(' ')).left(200);
        const ErrorCode code = reply->code >= 400 && reply->code < 500 ? ErrorCode::Unavailable
                                                                       : ErrorCode::Internal;
        return fail(code, QStringLiteral("%1 answered %2 %3")
                                  .arg(QLatin1String(step))
                                  .arg(reply->code)
                                  .arg(text));
    }

    QSslSocket &socket() { return m_socket; }

private:
    const SmtpMailer::Settings &m_settings;
    QSslSocket m_socket;
};

bool isLoopback(const QString &host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

bool isSafeAddress(const QString &address)
{
    if (address.isEmpty() || address.size() > 320 || !address.contains(QLatin1Char('@')))
        return false;
    for (const QChar c : address) {
        if (c.unicode() < 0x21 || c == QLatin1Char('<') || c == QLatin1Char('>'))
            return false;
    }
    return true;
}

QByteArray dotStuffed(const QByteArray &mail)
{
    QByteArray out;
    out.reserve(mail.size() + 16);
    bool lineStart = true;
    for (const char c : mail) {
        if (lineStart && c == '.')
            out += '.';
        out += c;
        lineStart = c == '\n';
    }
    return out;
}

// Greeting, EHLO, STARTTLS when offered (or TLS from the start), AUTH when a user is set.
Status openSession(Conversation &c, const SmtpMailer::Settings &settings)
{
    if (auto s = c.connect(); !s)
        return s;
    if (auto s = c.expect(c.read(), 220, "greeting"); !s)
        return s;

    QByteArray hello = QHostInfo::localHostName().toUtf8();
    if (hello.isEmpty() || hello.contains(' '))
        hello = "localhost";
    auto ehlo = c.command("EHLO " + hello);
    if (auto s = c.expect(ehlo, 250, "EHLO"); !s)
        return s;
    auto offers = [&ehlo](const QByteArray &what) {
        for (const QByteArray &line : ehlo->lines) {
            if (line.toUpper() == what || line.toUpper().startsWith(QByteArray(what + ' ')))
                return true;
        }
        return false;
    };
    bool encrypted = settings.implicitTls;
    if (!encrypted && offers("STARTTLS")) {
        if (auto s = c.expect(c.command("STARTTLS"), 220, "STARTTLS"); !s)
            return s;
        c.socket().startClientEncryption();
        if (!c.socket().waitForEncrypted(settings.timeoutMs))
            return c.fail(ErrorCode::Unavailable,
                          QStringLiteral("TLS handshake failed: ") + c.socket().errorString());
        encrypted = true;
        ehlo = c.command("EHLO " + hello);
        if (auto s = c.expect(ehlo, 250, "EHLO"); !s)
            return s;
    }

    if (!settings.user.isEmpty()) {
        // A password crosses the network only encrypted, or to this machine.
        if (!encrypted && !isLoopback(settings.host))
            return c.fail(ErrorCode::Internal,
                          QStringLiteral("refusing to send the password "
                                         "without TLS (the server offers no STARTTLS)"));
        QByteArray mechanisms;
        for (const QByteArray &line : ehlo->lines) {
            if (line.toUpper().startsWith("AUTH ") || line.toUpper().startsWith("AUTH="))
                mechanisms += ' ' + line.mid(5).toUpper() + ' ';
        }
        const QByteArray user = settings.user.toUtf8();
        const QByteArray password = settings.password.toUtf8();
        if (mechanisms.contains(" PLAIN ")) {
            const QByteArray plain = QByteArray(1, '\0') + user + QByteArray(1, '\0') + password;
            if (auto s = c.expect(c.command("AUTH PLAIN " + plain.toBase64()), 235, "AUTH PLAIN");
                !s)
                return s;
        } else if (mechanisms.contains(" LOGIN ")) {
            if (auto s = c.expect(c.command("AUTH LOGIN"), 334, "AUTH LOGIN"); !s)
                return s;
            if (auto s = c.expect(c.command(user.toBase64()), 334, "AUTH LOGIN user"); !s)
                return s;
            if (auto s = c.expect(c.command(password.toBase64()), 235, "AUTH LOGIN password"); !s)
                return s;
        } else {
            return c.fail(ErrorCode::Internal,
                          QStringLiteral("the server offers neither AUTH PLAIN nor LOGIN"));
        }
    }

    return Ok{};
}

} // namespace

Result<SmtpMailer::Settings> SmtpMailer::parseUrl(const QString &text, const QString &from)
{
    const QUrl url(text, QUrl::StrictMode);
    Settings s;
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("smtp") && scheme != QLatin1String("smtps"))
        || url.host().isEmpty())
        return Error::validation(
                QStringLiteral("MERCATO_SMTP_URL"),
                QStringLiteral("expected smtp://user:pass@host:port or smtps://..."));
    s.implicitTls = scheme == QLatin1String("smtps");
    s.host = url.host();
    s.port = quint16(url.port(s.implicitTls ? 465 : 25));
    s.user = url.userName(QUrl::FullyDecoded);
    s.password = url.password(QUrl::FullyDecoded);
    s.from = from.isEmpty() ? QStringLiteral("Mercato <no-reply@%1>").arg(s.host) : from;
    if (!isSafeAddress(mailAddress(s.from)))
        return Error::validation(
                QStringLiteral("MERCATO_MAIL_FROM"),
                QStringLiteral("expected an address like Shop <shop@example.com>"));
    return s;
}

SmtpMailer::SmtpMailer(Settings settings)
    : m_settings(std::move(settings))
{}

QString SmtpMailer::describe() const
{
    return QStringLiteral("%1://%2:%3")
            .arg(m_settings.implicitTls ? QStringLiteral("smtps") : QStringLiteral("smtp"),
                 m_settings.host)
            .arg(m_settings.port);
}

Status SmtpMailer::deliver(const MailMessage &message)
{
    const QString to = mailAddress(message.to);
    const QString from = mailAddress(m_settings.from);
    if (!isSafeAddress(to))
        return makeError(ErrorCode::Validation, QStringLiteral("not a deliverable address"));

    Conversation c(m_settings);
    if (auto s = openSession(c, m_settings); !s)
        return s;

    if (auto s = c.expect(c.command("MAIL FROM:<" + from.toUtf8() + '>'), 250, "MAIL FROM"); !s)
        return s;
    auto rcpt = c.command("RCPT TO:<" + to.toUtf8() + '>');
    if (rcpt && rcpt->code == 251)
        rcpt->code = 250;
    if (auto s = c.expect(rcpt, 250, "RCPT TO"); !s)
        return s;
    if (auto s = c.expect(c.command("DATA"), 354, "DATA"); !s)
        return s;
    QByteArray body = dotStuffed(renderMail(message, m_settings.from));
    if (!body.endsWith("\r\n"))
        body += "\r\n";
    if (auto s = c.expect(c.command(body + '.'), 250, "end of data"); !s)
        return s;
    c.socket().write("QUIT\r\n");
    c.socket().waitForBytesWritten(1000);
    c.socket().disconnectFromHost();
    qCInfo(lcMail).noquote() << "mail delivered through" << describe();
    return Ok{};
}

Status SmtpMailer::checkLogin()
{
    Conversation c(m_settings);
    if (auto s = openSession(c, m_settings); !s)
        return s;
    c.socket().write("QUIT\r\n");
    c.socket().waitForBytesWritten(1000);
    c.socket().disconnectFromHost();
    return Ok{};
}

} // namespace Mercato
