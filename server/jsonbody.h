#pragma once
// Input parsing at the edge: a JSON body into typed values with field errors, and the
// query parameters every list shares.

#include "http.h"

#include <QJsonObject>

#include <optional>

namespace Mercato::Http {

// The body as one JSON object: 415 for another content type, 400 when malformed,
// 422 when it is valid JSON but not an object.
Result<QJsonObject> jsonObjectBody(const Request &request);

enum class Need { Required, Optional };

// Reads typed fields from a JSON object, collecting every problem; past it, code trusts types.
class FieldReader
{
public:
    explicit FieldReader(const QJsonObject &object)
        : m_object(object)
    {}

    bool has(const QString &name) const { return m_object.contains(name); }
    // Trimmed string of minLen..maxLen characters.
    std::optional<QString> string(const QString &name, Need need, int minLen, int maxLen,
                                  bool trim = true);
    // An integer (a JSON number with no fraction) within min..max.
    std::optional<qint64> integer(const QString &name, Need need, qint64 min, qint64 max);
    std::optional<bool> boolean(const QString &name, Need need);
    void fail(const QString &field, const QString &message);

    bool ok() const { return m_errors.isEmpty(); }
    Error error() const;

private:
    const QJsonObject &m_object;
    QList<FieldError> m_errors;
};

struct PageParams
{
    int limit = 20;
    QString cursor;
};
// `limit` (default 20, 1..100, above 100 clamped) and `cursor`; junk → 400 naming the parameter.
Result<PageParams> pageParams(const Request &request);
// An optional boolean query value: `true`/`false`, anything else 400.
Result<std::optional<bool>> boolParam(const Request &request, const QString &name);
// An optional integer query value within min..max, anything else 400.
Result<std::optional<qint64>> intParam(const Request &request, const QString &name, qint64 min,
                                       qint64 max);
Error badParam(const QString &name, const QString &message);

} // namespace Mercato::Http
