#include "http.h"

namespace Mercato::Http {

Response &Response::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value;
            return *this;
        }
    }
    headers.append({name, value});
    return *this;
}

QByteArray Response::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

Response Response::json(int status, const QJsonObject &object)
{
    return text(status, QJsonDocument(object).toJson(QJsonDocument::Compact), "application/json");
}

Response Response::json(int status, const QJsonArray &array)
{
    return text(status, QJsonDocument(array).toJson(QJsonDocument::Compact), "application/json");
}

Response Response::noContent(int status)
{
    Response r;
    r.status = status;
    return r;
}

Response Response::text(int status, const QByteArray &body, const QByteArray &contentType)
{
    Response r;
    r.status = status;
    r.body = body;
    r.contentType = contentType;
    return r;
}

Response Response::problem(int status, const QString &title, const QString &detail,
                           const QList<FieldError> &fields)
{
    QJsonObject o{{QStringLiteral("type"), QStringLiteral("about:blank")},
                  {QStringLiteral("title"), title.isEmpty() ? titleFor(status) : title},
                  {QStringLiteral("status"), status}};
    if (!detail.isEmpty())
        o.insert(QStringLiteral("detail"), detail);
    if (!fields.isEmpty()) {
        QJsonArray errors;
        for (const FieldError &f : fields)
            errors.append(QJsonObject{{QStringLiteral("field"), f.field},
                                      {QStringLiteral("message"), f.message}});
        o.insert(QStringLiteral("errors"), errors);
    }
    return text(status, QJsonDocument(o).toJson(QJsonDocument::Compact),
                "application/problem+json");
}

Response Response::fromError(const Error &error)
{
    const int status = statusFor(error.code);
    return problem(status, titleFor(status), error.detail, error.fields);
}

Response Response::created(const QString &location, const QJsonObject &object)
{
    Response r = json(201, object);
    r.setHeader("Location", location.toUtf8());
    return r;
}

int statusFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BadRequest:
        return 400;
    case ErrorCode::Unauthenticated:
        return 401;
    case ErrorCode::Forbidden:
        return 403;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::Conflict:
        return 409;
    case ErrorCode::PreconditionFailed:
        return 412;
    case ErrorCode::PayloadTooLarge:
        return 413;
    case ErrorCode::UnsupportedMediaType:
        return 415;
    case ErrorCode::Validation:
        return 422;
    case ErrorCode::RateLimited:
        return 429;
    case ErrorCode::Unavailable:
        return 503;
    case ErrorCode::InsufficientStorage:
        return 507;
    case ErrorCode::Internal:
        return 500;
    }
    return 500;
}

QString titleFor(int status)
{
    switch (status) {
    case 200:
        return QStringLiteral("OK");
    case 201:
        return QStringLiteral("Created");
    case 202:
        return QStringLiteral("Accepted");
    case 204:
        return QStringLiteral("No Content");
    case 304:
        return QStringLiteral("Not Modified");
    case 400:
        return QStringLiteral("Bad Request");
    case 401:
        return QStringLiteral("Unauthorized");
    case 403:
        return QStringLiteral("Forbidden");
    case 404:
        return QStringLiteral("Not Found");
    case 405:
        return QStringLiteral("Method Not Allowed");
    case 408:
        return QStringLiteral("Request Timeout");
    case 409:
        return QStringLiteral("Conflict");
    case 411:
        return QStringLiteral("Length Required");
    case 412:
        return QStringLiteral("Precondition Failed");
    case 413:
        return QStringLiteral("Content Too Large");
    case 415:
        return QStringLiteral("Unsupported Media Type");
    case 422:
        return QStringLiteral("Unprocessable Content");
    case 429:
        return QStringLiteral("Too Many Requests");
    case 431:
        return QStringLiteral("Request Header Fields Too Large");
    case 500:
        return QStringLiteral("Internal Server Error");
    case 501:
        return QStringLiteral("Not Implemented");
    case 503:
        return QStringLiteral("Service Unavailable");
    case 505:
        return QStringLiteral("HTTP Version Not Supported");
    case 507:
        return QStringLiteral("Insufficient Storage");
    }
    return QStringLiteral("Status ") + QString::number(status);
}

} // namespace Mercato::Http
