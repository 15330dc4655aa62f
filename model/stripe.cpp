#include "stripe.h"

#include "ids.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>

Q_LOGGING_CATEGORY(lcStripe, "mercato.stripe")

namespace Mercato {

QByteArray stripeForm(const QList<QPair<QString, QString>> &fields)
{
    QByteArray out;
    for (const auto &[key, value] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
    }
    return out;
}

StripeGateway::StripeGateway(PaymentConfig config)
    : m_config(std::move(config))
{
    while (m_config.stripeApiBase.endsWith(QLatin1Char('/')))
        m_config.stripeApiBase.chop(1);
}

Result<StripeGateway::Answer> StripeGateway::call(const QByteArray &method, const QString &path,
                                                  const QByteArray &form,
                                                  const QString &idempotencyKey) const
{
    QNetworkAccessManager nam;
    const int attempts = std::max(1, m_config.stripeMaxAttempts);
    QString lastProblem;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (attempt > 0)
            QThread::msleep(ulong(m_config.stripeBackoffMs) << (attempt - 1));
        QNetworkRequest req(QUrl(m_config.stripeApiBase + path));
        req.setRawHeader("Authorization", "Bearer " + m_config.stripeSecretKey.toUtf8());
        req.setRawHeader("Stripe-Version", "2024-06-20");
        req.setRawHeader("User-Agent", "Mercato/1.0");
        if (!idempotencyKey.isEmpty())
            req.setRawHeader("Idempotency-Key", idempotencyKey.toUtf8());
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
        QNetworkReply *reply = nullptr;
        if (method == "GET") {
            reply = nam.get(req);
        } else {
            req.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
            reply = nam.sendCustomRequest(req, method, form);
        }
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        bool timedOut = false;
        QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
            timedOut = true;
            reply->abort();
        });
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        timer.start(m_config.stripeTimeoutMs);
        if (!reply->isFinished())
            loop.exec(QEventLoop::ExcludeUserInputEvents);
        timer.stop();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        const auto netError = reply->error();
        const QString errorText = reply->errorString();
        reply->deleteLater();
        if (timedOut) {
            lastProblem = QStringLiteral("Stripe did not answer within %1 ms")
                                  .arg(m_config.stripeTimeoutMs);
            qCWarning(lcStripe).noquote() << method << path << "timed out, attempt" << attempt + 1;
            continue;
        }
        if (status == 0) {
            lastProblem = QStringLiteral("cannot reach Stripe: ") + errorText;
            qCWarning(lcStripe).noquote() << method << path << "failed:" << errorText << "attempt"
                                          << attempt + 1 << int(netError);
            continue;
        }
        const QJsonObject json = QJsonDocument::fromJson(body).object();
        if (status == 429 || status == 409 || status >= 500) {
            lastProblem = QStringLiteral("Stripe answered %1").arg(status);
            qCWarning(lcStripe).noquote()
                    << method << path << "answered" << status << "attempt" << attempt + 1;
            continue;
        }
        if (status >= 400) {
            // The caller decides what a refusal means; it is not retried.
            const QJsonObject err = json.value(QStringLiteral("error")).toObject();
            const QString message = err.value(QStringLiteral("message")).toString();
            qCWarning(lcStripe).noquote() << method << path << "refused:" << status
                                          << err.value(QStringLiteral("type")).toString()
                                          << err.value(QStringLiteral("code")).toString();
            Q_UNUSED(message);
        }
        return Answer{status, json};
    }
    return makeError(ErrorCode::Unavailable,
                     QStringLiteral("the payment provider is unavailable: ") + lastProblem);
}

namespace {
// Stripe's refusal (4xx) as an error of `code`, with Stripe's message and no secrets.
Error refusal(const StripeGateway::Answer &answer, ErrorCode code)
{
    const QString message = answer.body.value(QStringLiteral("error"))
                                    .toObject()
                                    .value(QStringLiteral("message"))
                                    .toString();
    return makeError(code, QStringLiteral("the payment provider refused the request (%1): %2")
                                   .arg(answer.status)
                                   .arg(message.isEmpty() ? QStringLiteral("no detail") : message));
}
} // namespace

Result<PaymentStart> StripeGateway::start(const PaymentRequest &request)
{
    Result<Answer> answer = makeError(ErrorCode::Internal, {});
    if (!request.existingRef.isEmpty()) {
        answer = call("GET", QStringLiteral("/v1/payment_intents/") + request.existingRef, {}, {});
        if (answer && answer->status >= 400)
            answer = refusal(answer.value(), ErrorCode::NotFound);
        if (answer) {
            // An intent for another amount (the order changed) is not reused.
            const QJsonObject &pi = answer->body;
            if (pi.value(QStringLiteral("amount")).toInteger() != request.amountCents
                || pi.value(QStringLiteral("currency")).toString() != request.currency.toLower())
                answer = makeError(ErrorCode::Conflict, QStringLiteral("stale payment intent"));
        }
    }
    if (!answer) {
        const QByteArray form = stripeForm({
                {QStringLiteral("amount"), QString::number(request.amountCents)},
                {QStringLiteral("currency"), request.currency.toLower()},
                {QStringLiteral("metadata[order_id]"), request.orderId},
                {QStringLiteral("automatic_payment_methods[enabled]"), QStringLiteral("true")},
        });
        answer = call("POST", QStringLiteral("/v1/payment_intents"), form, request.idempotencyKey);
        if (!answer)
            return answer.error();
        if (answer->status >= 400)
            return refusal(answer.value(), ErrorCode::Unavailable);
    }
    const QJsonObject &pi = answer->body;
    PaymentStart s;
    s.provider = provider();
    s.paymentRef = pi.value(QStringLiteral("id")).toString();
    s.clientSecret = pi.value(QStringLiteral("client_secret")).toString();
    s.publishableKey = m_config.stripePublishableKey;
    s.state = pi.value(QStringLiteral("status")).toString();
    if (s.paymentRef.isEmpty() || s.clientSecret.isEmpty())
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("the payment provider answered without an intent"));
    if (s.state.isEmpty())
        s.state = QStringLiteral("requires_payment_method");
    return s;
}

Result<ProviderRefund> StripeGateway::refund(const QString &paymentRef, qint64 amountCents,
                                             const QString &idempotencyKey)
{
    // Our key travels as metadata too, so `charge.refunded` events can be matched to it.
    const QByteArray form
            = stripeForm({{QStringLiteral("payment_intent"), paymentRef},
                          {QStringLiteral("amount"), QString::number(amountCents)},
                          {QStringLiteral("metadata[mercato_refund]"), idempotencyKey}});
    auto answer = call("POST", QStringLiteral("/v1/refunds"), form, idempotencyKey);
    if (!answer)
        return answer.error();
    if (answer->status >= 400)
        return refusal(answer.value(), ErrorCode::Conflict);
    ProviderRefund out;
    out.providerRef = answer->body.value(QStringLiteral("id")).toString();
    out.state = answer->body.value(QStringLiteral("status")).toString();
    if (out.state.isEmpty())
        out.state = QStringLiteral("pending");
    return out;
}

RefundAttempt StripeRefundExecutor::refund(const RefundCall &call)
{
    auto r = m_gateway.refund(call.paymentRef, call.amountCents, call.refundId);
    if (r)
        return {RefundAttempt::Kind::Succeeded, r->providerRef, {}};
    return {r.error().code == ErrorCode::Conflict ? RefundAttempt::Kind::Failed
                                                  : RefundAttempt::Kind::Retry,
            {},
            r.error().detail};
}

namespace StripeSignature {

namespace {
QByteArray hmacHex(const QByteArray &secret, const QByteArray &timestamp, const QByteArray &payload)
{
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, secret);
    mac.addData(timestamp);
    mac.addData(".");
    mac.addData(payload);
    return mac.result().toHex();
}
} // namespace

Status verify(const QByteArray &secret, const QByteArray &payload, const QByteArray &header,
              qint64 nowSeconds, qint64 toleranceSeconds)
{
    QByteArray timestamp;
    QList<QByteArray> signatures;
    for (const QByteArray &part : header.split(',')) {
        const int eq = part.indexOf('=');
        if (eq <= 0)
            continue;
        const QByteArray key = part.left(eq).trimmed();
        const QByteArray value = part.mid(eq + 1).trimmed();
        if (key == "t" && timestamp.isEmpty())
            timestamp = value;
        else if (key == "v1")
            signatures.append(value);
    }
    bool numeric = false;
    const qint64 t = timestamp.toLongLong(&numeric);
    if (!numeric || signatures.isEmpty())
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("missing or malformed Stripe-Signature"));
    const QByteArray expected = hmacHex(secret, timestamp, payload);
    bool match = false;
    for (const QByteArray &s : signatures)
        match = Ids::constantTimeEquals(expected, s.toLower()) || match;
    if (!match)
        return makeError(ErrorCode::BadRequest, QStringLiteral("no signature matches the payload"));
    // No subtraction: `t` may be any qint64, and now - t could overflow (found by tests/fuzz).
    if (t < nowSeconds - toleranceSeconds || t > nowSeconds + toleranceSeconds)
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("the signature's timestamp is outside the tolerance"));
    return Ok{};
}

QByteArray sign(const QByteArray &secret, const QByteArray &payload, qint64 timestamp)
{
    const QByteArray t = QByteArray::number(timestamp);
    return "t=" + t + ",v1=" + hmacHex(secret, t, payload);
}

} // namespace StripeSignature
} // namespace Mercato
