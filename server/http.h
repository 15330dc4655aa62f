#pragma once
// The request and response values that routes see; independent of the socket layer.

#include "model/result.h"
#include "model/tokens.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

#include <optional>

namespace Mercato::Http {

struct Request
{
    QByteArray method; // upper case: GET, POST, ...
    QString path;      // decoded path, without the query
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; // names in lower case
    QByteArray body;
    QHostAddress remoteAddress;
    QHash<QString, QString> params;     // path parameters by name, from the route pattern
    std::optional<Principal> principal; // set by the auth wrapper for routes that need it
    QString routePattern;               // the matched route, for metrics and logs
    QByteArray requestId;               // X-Request-Id: the client's when sane, else generated

    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    QString param(const QString &name) const { return params.value(name); }
    const Principal &user() const { return *principal; }
};

struct Response
{
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray contentType;

    Response &setHeader(const QByteArray &name, const QByteArray &value);
    QByteArray header(const QByteArray &name) const;

    static Response json(int status, const QJsonObject &object);
    static Response json(int status, const QJsonArray &array);
    static Response noContent(int status = 204);
    static Response text(int status, const QByteArray &body, const QByteArray &contentType);
    // RFC 9457 problem+json.
    static Response problem(int status, const QString &title, const QString &detail = {},
                            const QList<FieldError> &fields = {});
    static Response fromError(const Error &error);
    // 201 with Location and the created resource.
    static Response created(const QString &location, const QJsonObject &object);
};

// The one table from domain error codes to HTTP statuses.
int statusFor(ErrorCode code);
QString titleFor(int status);

} // namespace Mercato::Http
