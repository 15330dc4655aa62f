#include "cloudinaryimagestore.h"

#include "clock.h"
#include "ids.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcCloudinary, "mercato.images.cloudinary")

namespace Mercato {

Result<CloudinaryImageStore::Settings> CloudinaryImageStore::parseUrl(const QString &text,
                                                                      const QString &apiBase)
{
    const QUrl url(text, QUrl::StrictMode);
    Settings s;
    s.apiKey = url.userName(QUrl::FullyDecoded);
    s.apiSecret = url.password(QUrl::FullyDecoded);
    s.cloudName = url.host(QUrl::FullyDecoded);
    if (!url.isValid() || url.scheme() != QLatin1String("cloudinary") || s.apiKey.isEmpty()
        || s.apiSecret.isEmpty() || s.cloudName.isEmpty())
        return Error::validation(QStringLiteral("MERCATO_CLOUDINARY_URL"),
                                 QStringLiteral("expected cloudinary://KEY:SECRET@CLOUD"));
    if (!apiBase.isEmpty()) {
        const QUrl base(apiBase, QUrl::StrictMode);
        if (!base.isValid()
            || (base.scheme() != QLatin1String("https") && base.scheme() != QLatin1String("http"))
            || base.host().isEmpty())
            return Error::validation(QStringLiteral("MERCATO_CLOUDINARY_API_BASE"),
                                     QStringLiteral("expected an http(s) URL"));
        s.apiBase = apiBase;
        while (s.apiBase.endsWith(QLatin1Char('/')))
            s.apiBase.chop(1);
    }
    return s;
}

CloudinaryImageStore::CloudinaryImageStore(Settings settings)
    : m_settings(std::move(settings))
{}

QString CloudinaryImageStore::signature(const QMap<QString, QString> &params,
                                        const QString &apiSecret)
{
    QStringList pairs; // QMap iterates sorted by name
    for (auto it = params.cbegin(); it != params.cend(); ++it) {
        if (it.value().isEmpty() || it.key() == QLatin1String("file")
            || it.key() == QLatin1String("api_key") || it.key() == QLatin1String("resource_type")
            || it.key() == QLatin1String("cloud_name") || it.key() == QLatin1String("signature"))
            continue;
        QString pair = it.key() + QLatin1Char('=') + it.value();
        pairs.append(pair.replace(QLatin1Char('&'), QLatin1String("%26")));
    }
    const QByteArray toSign = (pairs.join(QLatin1Char('&')) + apiSecret).toUtf8();
    return QString::fromLatin1(QCryptographicHash::hash(toSign, QCryptographicHash::Sha1).toHex());
}

QMap<QString, QString> CloudinaryImageStore::signedParams(QMap<QString, QString> params) const
{
    params.insert(QStringLiteral("timestamp"), QString::number(Clock::nowMs() / 1000));
    params.insert(QStringLiteral("signature"), signature(params, m_settings.apiSecret));
    params.insert(QStringLiteral("api_key"), m_settings.apiKey);
    return params;
}

Result<QJsonObject> CloudinaryImageStore::call(const QString &action, const QByteArray &body,
                                               const QByteArray &contentType,
                                               const CancelToken &cancel)
{
    const QUrl url(m_settings.apiBase + QStringLiteral("/v1_1/") + m_settings.cloudName
                   + QStringLiteral("/image/") + action);
    QString last;
    for (int attempt = 1;; ++attempt) {
        const HttpCaller::Reply reply
                = m_http.post(url, body, contentType, m_settings.timeoutMs, {}, cancel);
        if (reply.cancelled) {
            qCInfo(lcCloudinary).noquote() << "Cloudinary" << action << "cancelled";
            return cancelledUpload();
        }
        const QJsonObject json = QJsonDocument::fromJson(reply.body).object();
        if (reply.status >= 200 && reply.status < 300)
            return json;
        const QString message = json.value(QStringLiteral("error"))
                                        .toObject()
                                        .value(QStringLiteral("message"))
                                        .toString()
                                        .left(200);
        last = reply.status == 0 ? reply.error
                                 : QStringLiteral("HTTP %1 %2").arg(reply.status).arg(message);
        const bool transient = reply.status == 0 || reply.status == 429 || reply.status >= 500;
        if (!transient || attempt >= m_settings.maxAttempts)
            break;
        if (cancel.isCancelled())
            return cancelledUpload();
        const int backoff = m_settings.initialBackoffMs << (attempt - 1);
        qCInfo(lcCloudinary).noquote() << "Cloudinary" << action << "failed (" << last
                                       << "), retrying in" << backoff << "ms";
        QThread::msleep(ulong(backoff));
    }
    qCWarning(lcCloudinary).noquote() << "Cloudinary" << action << "failed:" << last;
    return makeError(ErrorCode::Unavailable, QStringLiteral("the image service is unavailable"));
}

Result<StoredImage> CloudinaryImageStore::store(const QByteArray &bytes, const QString &mimeType,
                                                const CancelToken &cancel)
{
    // A random public id: media names must not be guessable.
    const QString publicId = Ids::newToken(24);
    const QMap<QString, QString> params = signedParams({{QStringLiteral("public_id"), publicId}});

    const QByteArray boundary = "mercato-" + Ids::newId().toLatin1();
    QByteArray body;
    for (auto it = params.cbegin(); it != params.cend(); ++it) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\""
                + it.key().toLatin1() + "\"\r\n\r\n" + it.value().toUtf8() + "\r\n";
    }
    const QByteArray ext = mimeType == QLatin1String("image/png")    ? "png"
                           : mimeType == QLatin1String("image/jpeg") ? "jpg"
                                                                     : "webp";
    body += "--" + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload." + ext
            + "\"\r\nContent-Type: " + mimeType.toLatin1() + "\r\n\r\n" + bytes + "\r\n--"
            + boundary + "--\r\n";
    auto json = call(QStringLiteral("upload"), body, "multipart/form-data; boundary=" + boundary,
                     cancel);
    if (!json)
        return json.error();
    const QString url = json->value(QStringLiteral("secure_url")).toString();
    const QString id = json->value(QStringLiteral("public_id")).toString();
    if (url.isEmpty() || id.isEmpty())
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("the image service answered without a URL"));
    // The URL is handed to every client as is: it must be the asset just sent, over HTTPS.
    const QUrl parsed(url, QUrl::StrictMode);
    const QString lastSegment = parsed.path().section(QLatin1Char('/'), -1);
    if (id != publicId || !parsed.isValid() || parsed.scheme() != QLatin1String("https")
        || parsed.host().isEmpty() || !parsed.userInfo().isEmpty() || parsed.hasQuery()
        || parsed.hasFragment() || !lastSegment.startsWith(publicId + QLatin1Char('.'))) {
        qCWarning(lcCloudinary).noquote()
                << "Cloudinary answered an upload with another asset:" << id << url;
        (void)remove(publicId); // what was sent may be stored all the same: best effort
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("the image service answered with another asset"));
    }
    return StoredImage{id, url};
}

Status CloudinaryImageStore::remove(const QString &key)
{
    QUrlQuery form;
    const QMap<QString, QString> params = signedParams({{QStringLiteral("public_id"), key}});
    for (auto it = params.cbegin(); it != params.cend(); ++it)
        form.addQueryItem(QString::fromLatin1(QUrl::toPercentEncoding(it.key())),
                          QString::fromLatin1(QUrl::toPercentEncoding(it.value())));
    auto json = call(QStringLiteral("destroy"), form.query(QUrl::FullyEncoded).toLatin1(),
                     "application/x-www-form-urlencoded");
    if (!json)
        return json.error();
    const QString result = json->value(QStringLiteral("result")).toString();
    if (result != QLatin1String("ok") && result != QLatin1String("not found"))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("the image service did not remove the image"));
    return Ok{};
}

} // namespace Mercato
