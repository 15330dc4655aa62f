#pragma once
// Pictures kept by Cloudinary: signed uploads and destroys over its REST API
// (`MERCATO_CLOUDINARY_URL=cloudinary://KEY:SECRET@CLOUD`, `MERCATO_CLOUDINARY_API_BASE`).
// Blocking, with timeouts and retries with backoff; called on API worker threads.

#include "httpcaller.h"
#include "imagestore.h"

#include <QMap>

namespace Mercato {

class CloudinaryImageStore : public ImageStore
{
public:
    struct Settings
    {
        QString apiKey;
        QString apiSecret;
        QString cloudName;
        QString apiBase = QStringLiteral("https://api.cloudinary.com");
        int timeoutMs = 20000;
        int maxAttempts = 3;
        int initialBackoffMs = 500; // doubled after each failed attempt
    };
    static Result<Settings> parseUrl(const QString &url, const QString &apiBase);

    explicit CloudinaryImageStore(Settings settings);
    // A cancel aborts the upload in flight (no retry follows).
    Result<StoredImage> store(const QByteArray &bytes, const QString &mimeType,
                              const CancelToken &cancel = {}) override;
    Status remove(const QString &key) override;

    // Cloudinary's request signature: the parameters (without file, api_key, resource_type,
    // cloud_name), sorted by name, joined `k=v&...` (an `&` inside a pair as %26), the secret
    // appended, SHA-1 in lower-case hex.
    static QString signature(const QMap<QString, QString> &params, const QString &apiSecret);

private:
    // POSTs with retries on transport failures, 429 and 5xx; returns the JSON answer.
    Result<QJsonObject> call(const QString &action, const QByteArray &body,
                             const QByteArray &contentType, const CancelToken &cancel = {});
    QMap<QString, QString> signedParams(QMap<QString, QString> params) const;

    Settings m_settings;
    HttpCaller m_http;
};

} // namespace Mercato
