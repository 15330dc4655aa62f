#include "connectionchecks.h"

#include "cloudinaryimagestore.h"
#include "smtpmailer.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

namespace Mercato {

namespace {

// The messages' translation context (lupdate reads it from the macro).
class ConnectionChecks
{
    Q_DECLARE_TR_FUNCTIONS(ConnectionChecks)
};

struct Answer
{
    bool cancelled = false;
    bool timedOut = false;
    int status = 0;
    QByteArray body;
    QString networkError;
};

// One GET on this thread's own event loop; gives up on `cancel` or after `timeoutMs`.
Answer blockingGet(const QUrl &url, const QByteArray &authorization, int timeoutMs,
                   const std::atomic<bool> *cancel)
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", authorization);
    request.setRawHeader("User-Agent", "Mercato/1.0");
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = network.get(request);
    Answer answer;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        answer.timedOut = true;
        reply->abort();
    });
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (cancel && cancel->load()) {
            answer.cancelled = true;
            reply->abort();
        }
    });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    deadline.start(timeoutMs);
    poll.start(50);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    if (answer.status == 0)
        answer.networkError = reply->errorString();
    delete reply;
    return answer;
}

ConnectionCheck failed(const QString &message)
{
    return {ConnectionCheck::Outcome::Failed, message};
}

// The message of a JSON error answer ({"error": {"message": ...}}), if any.
QString errorMessage(const QByteArray &body)
{
    return QJsonDocument::fromJson(body)
            .object()
            .value(QStringLiteral("error"))
            .toObject()
            .value(QStringLiteral("message"))
            .toString();
}

// What went wrong with an answer that is not 200, for `service` at `where`.
ConnectionCheck notWorking(const Answer &a, const QString &service, const QString &where,
                           int timeoutMs)
{
    if (a.cancelled)
        return {ConnectionCheck::Outcome::Cancelled, ConnectionChecks::tr("Test cancelled.")};
    if (a.timedOut)
        return failed(ConnectionChecks::tr("%1 did not answer within %2 seconds (%3).")
                              .arg(service)
                              .arg(timeoutMs / 1000)
                              .arg(where));
    if (a.status == 0)
        return failed(ConnectionChecks::tr("Could not reach %1 at %2: %3.")
                              .arg(service, where, a.networkError));
    const QString said = errorMessage(a.body);
    if (a.status == 401 || a.status == 403)
        return failed(ConnectionChecks::tr("%1 refused the credentials (HTTP %2%3). Check the key.")
                              .arg(service)
                              .arg(a.status)
                              .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said));
    return failed(ConnectionChecks::tr("%1 answered HTTP %2%3.")
                          .arg(service)
                          .arg(a.status)
                          .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said));
}

} // namespace

ConnectionCheck checkStripe(const QString &apiBase, const QString &secretKey, int timeoutMs,
                            const std::atomic<bool> *cancel)
{
    if (secretKey.trimmed().isEmpty())
        return failed(ConnectionChecks::tr("Enter the Stripe secret key first."));
    if (!secretKey.startsWith(QLatin1String("sk_")) && !secretKey.startsWith(QLatin1String("rk_")))
        return failed(ConnectionChecks::tr(
                "That is not a Stripe secret key (it starts with sk_ or rk_)."));
    QString base = apiBase;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    const Answer a = blockingGet(QUrl(base + QStringLiteral("/v1/balance")),
                                 "Bearer " + secretKey.trimmed().toUtf8(), timeoutMs, cancel);
    if (a.status != 200)
        return notWorking(a, QStringLiteral("Stripe"), base, timeoutMs);
    const QJsonObject balance = QJsonDocument::fromJson(a.body).object();
    QStringList amounts;
    const QJsonArray available = balance.value(QStringLiteral("available")).toArray();
    for (const QJsonValue &v : available) {
        const QJsonObject o = v.toObject();
        amounts.append(QStringLiteral("%1 %2").arg(
                QString::number(double(o.value(QStringLiteral("amount")).toInteger()) / 100.0, 'f',
                                2),
                o.value(QStringLiteral("currency")).toString().toUpper()));
    }
    const bool live = balance.value(QStringLiteral("livemode")).toBool();
    return {ConnectionCheck::Outcome::Works,
            ConnectionChecks::tr(
                    "Stripe works: the key is accepted (%1 mode, available balance %2).")
                    .arg(live ? ConnectionChecks::tr("live") : ConnectionChecks::tr("test"),
                         amounts.isEmpty() ? ConnectionChecks::tr("none")
                                           : amounts.join(QStringLiteral(", ")))};
}

ConnectionCheck checkCloudinary(const QString &cloudinaryUrl, const QString &apiBase, int timeoutMs,
                                const std::atomic<bool> *cancel)
{
    if (cloudinaryUrl.trimmed().isEmpty())
        return failed(ConnectionChecks::tr("Enter the Cloudinary URL first."));
    auto settings = CloudinaryImageStore::parseUrl(cloudinaryUrl.trimmed(), apiBase);
    if (!settings)
        return failed(ConnectionChecks::tr(
                "The Cloudinary URL has the form cloudinary://KEY:SECRET@CLOUD."));
    const QUrl url(settings->apiBase + QStringLiteral("/v1_1/") + settings->cloudName
                   + QStringLiteral("/ping"));
    const QByteArray basic
            = "Basic "
              + (settings->apiKey + QLatin1Char(':') + settings->apiSecret).toUtf8().toBase64();
    const Answer a = blockingGet(url, basic, timeoutMs, cancel);
    if (a.status != 200)
        return notWorking(a, QStringLiteral("Cloudinary"), settings->apiBase, timeoutMs);
    return {ConnectionCheck::Outcome::Works,
            ConnectionChecks::tr("Cloudinary works: cloud \"%1\" accepted the key and secret.")
                    .arg(settings->cloudName)};
}

ConnectionCheck checkSmtp(const QString &smtpUrl, int timeoutMs, const std::atomic<bool> *cancel)
{
    if (smtpUrl.trimmed().isEmpty())
        return failed(ConnectionChecks::tr("Enter the SMTP URL first."));
    auto settings = SmtpMailer::parseUrl(smtpUrl.trimmed(), QString());
    if (!settings)
        return failed(ConnectionChecks::tr(
                "The SMTP URL has the form smtp://user:password@host:port (or smtps://)."));
    if (cancel && cancel->load())
        return {ConnectionCheck::Outcome::Cancelled, ConnectionChecks::tr("Test cancelled.")};
    settings->timeoutMs = timeoutMs;
    SmtpMailer mailer(settings.value());
    const Status s = mailer.checkLogin();
    if (cancel && cancel->load())
        return {ConnectionCheck::Outcome::Cancelled, ConnectionChecks::tr("Test cancelled.")};
    if (!s)
        return failed(ConnectionChecks::tr("SMTP does not work: %1").arg(s.error().detail));
    return {ConnectionCheck::Outcome::Works,
            settings->user.isEmpty()
                    ? ConnectionChecks::tr("SMTP works: %1 answered (no user to sign in with).")
                              .arg(mailer.describe())
                    : ConnectionChecks::tr("SMTP works: signed in to %1 as %2.")
                              .arg(mailer.describe(), settings->user)};
}

} // namespace Mercato
