#include "jsonbody.h"

#include <QJsonDocument>

#include <cmath>

namespace Mercato::Http {

Result<QJsonObject> jsonObjectBody(const Request &request)
{
    const QByteArray type = request.header("content-type").split(';').first().trimmed().toLower();
    if (type != "application/json" && !(type.startsWith("application/") && type.endsWith("+json")))
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("send the body as application/json"));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &err);
    if (err.error != QJsonParseError::NoError) {
        // Qt only parses objects and arrays at the top: a bare scalar (`null`, `42`, `"x"`) is
        // still valid JSON, just not an object (422, below), so tell it from malformed text.
        QJsonParseError wrapped;
        const QJsonDocument scalar = QJsonDocument::fromJson("[" + request.body + "]", &wrapped);
        if (wrapped.error == QJsonParseError::NoError && scalar.array().size() == 1)
            return Error::validation(QStringLiteral("body"),
                                     QStringLiteral("the body must be a JSON object"));
        return makeError(ErrorCode::BadRequest, QStringLiteral("malformed JSON at offset %1: %2")
                                                        .arg(err.offset)
                                                        .arg(err.errorString()));
    }
    if (!doc.isObject())
        return Error::validation(QStringLiteral("body"),
                                 QStringLiteral("the body must be a JSON object"));
    return doc.object();
}

std::optional<QString> FieldReader::string(const QString &name, Need need, int minLen, int maxLen,
                                           bool trim)
{
    const QJsonValue v = m_object.value(name);
    if (v.isUndefined() || v.isNull()) {
        if (need == Need::Required)
            fail(name, QStringLiteral("is required"));
        return std::nullopt;
    }
    if (!v.isString()) {
        fail(name, QStringLiteral("must be a string"));
        return std::nullopt;
    }
    const QString s = trim ? v.toString().trimmed() : v.toString();
    if (s.size() < minLen || s.size() > maxLen) {
        fail(name, minLen > 0 && s.isEmpty()
                           ? QStringLiteral("must not be empty")
                           : QStringLiteral("must be %1 to %2 characters").arg(minLen).arg(maxLen));
        return std::nullopt;
    }
    return s;
}

std::optional<qint64> FieldReader::integer(const QString &name, Need need, qint64 min, qint64 max)
{
    const QJsonValue v = m_object.value(name);
    if (v.isUndefined() || v.isNull()) {
        if (need == Need::Required)
            fail(name, QStringLiteral("is required"));
        return std::nullopt;
    }
    const double d = v.toDouble();
    if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d)) {
        fail(name, QStringLiteral("must be an integer"));
        return std::nullopt;
    }
    // Compared as integers: double(max) may round up (to 2^63 for the widest bound), and a
    // double outside qint64 must not be converted at all (found by tests/fuzz).
    constexpr double kTwo63 = 9223372036854775808.0;
    const bool fits = d >= -kTwo63 && d < kTwo63;
    const qint64 n = fits ? qint64(d) : 0;
    if (!fits || n < min || n > max) {
        fail(name, QStringLiteral("must be between %1 and %2").arg(min).arg(max));
        return std::nullopt;
    }
    return n;
}

std::optional<bool> FieldReader::boolean(const QString &name, Need need)
{
    const QJsonValue v = m_object.value(name);
    if (v.isUndefined() || v.isNull()) {
        if (need == Need::Required)
            fail(name, QStringLiteral("is required"));
        return std::nullopt;
    }
    if (!v.isBool()) {
        fail(name, QStringLiteral("must be true or false"));
        return std::nullopt;
    }
    return v.toBool();
}

void FieldReader::fail(const QString &field, const QString &message)
{
    m_errors.append({field, field + QLatin1Char(' ') + message});
}

Error FieldReader::error() const
{
    QStringList parts;
    for (const FieldError &e : m_errors)
        parts.append(e.message);
    return Error{ErrorCode::Validation, parts.join(QStringLiteral("; ")), m_errors};
}

Error badParam(const QString &name, const QString &message)
{
    return Error{ErrorCode::BadRequest,
                 name + QLatin1Char(' ') + message,
                 {{name, name + QLatin1Char(' ') + message}}};
}

Result<PageParams> pageParams(const Request &request)
{
    PageParams p;
    if (request.query.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        const qint64 limit = request.query.queryItemValue(QStringLiteral("limit")).toLongLong(&ok);
        if (!ok || limit < 1)
            return badParam(QStringLiteral("limit"),
                            QStringLiteral("must be an integer from 1 to 100"));
        p.limit = int(std::min<qint64>(limit, 100));
    }
    p.cursor = request.query.queryItemValue(QStringLiteral("cursor"), QUrl::FullyDecoded);
    return p;
}

Result<std::optional<bool>> boolParam(const Request &request, const QString &name)
{
    if (!request.query.hasQueryItem(name))
        return std::optional<bool>{};
    const QString v = request.query.queryItemValue(name);
    if (v == QLatin1String("true"))
        return std::optional<bool>{true};
    if (v == QLatin1String("false"))
        return std::optional<bool>{false};
    return badParam(name, QStringLiteral("must be true or false"));
}

Result<std::optional<qint64>> intParam(const Request &request, const QString &name, qint64 min,
                                       qint64 max)
{
    if (!request.query.hasQueryItem(name))
        return std::optional<qint64>{};
    bool ok = false;
    const qint64 v = request.query.queryItemValue(name).toLongLong(&ok);
    if (!ok || v < min || v > max)
        return badParam(name, QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
    return std::optional<qint64>{v};
}

} // namespace Mercato::Http
