#pragma once
// Mail through an SMTP server: `smtp://user:pass@host:port` (STARTTLS when the server
// offers it) or `smtps://...` (TLS from the first byte); AUTH PLAIN or LOGIN. Blocking:
// MailQueue calls it on its own thread. The password never reaches a log line.

#include "mailer.h"

#include <QList>
#include <QSslCertificate>

namespace Mercato {

class SmtpMailer : public Mailer
{
public:
    struct Settings
    {
        QString host;
        quint16 port = 25;
        bool implicitTls = false;
        QString user;
        QString password;
        QString from;
        int timeoutMs = 15000;                      // per step: connect, TLS handshake, each reply
        QList<QSslCertificate> extraCaCertificates; // tests: a self-signed server
    };
    // Parses MERCATO_SMTP_URL; `from` is MERCATO_MAIL_FROM.
    static Result<Settings> parseUrl(const QString &url, const QString &from);

    explicit SmtpMailer(Settings settings);
    Status deliver(const MailMessage &message) override;
    // Connects, says EHLO, starts TLS when offered and authenticates, then quits: the
    // console's "Test connection".
    Status checkLogin();
    QString describe() const override;

private:
    Settings m_settings;
};

} // namespace Mercato
