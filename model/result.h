#pragma once
// Result<T>: a value or an Error, returned across module edges instead of exceptions.

#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace Mercato {

// What went wrong, in domain terms. The server maps each code to one HTTP status
// (server/http.cpp holds that table); the console shows the detail in a dialog.
enum class ErrorCode {
    BadRequest,         // malformed input
    Unauthenticated,    // no or bad credentials
    Forbidden,          // wrong role, or not the owner where existence may show
    NotFound,           // unknown, or another user's private resource
    Validation,         // well-formed but invalid values
    Conflict,           // state conflict: out of stock, already reviewed, ...
    PreconditionFailed, // If-Match did not match
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,         // a dependency (database, provider) is down
    InsufficientStorage, // the disk is too full to keep an upload
    Internal,
};

struct FieldError
{
    QString field;
    QString message;
};

struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString detail;
    QList<FieldError> fields;

    static Error validation(const QString &field, const QString &message)
    {
        return {ErrorCode::Validation, message, {{field, message}}};
    }
};

template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {}
    Result(Error error)
        : m_error(std::move(error))
    {}

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }
    const Error &error() const { return m_error; }

private:
    std::optional<T> m_value;
    Error m_error;
};

// For operations that return nothing but may fail.
struct Ok
{
};
using Status = Result<Ok>;

inline Error makeError(ErrorCode code, const QString &detail)
{
    return Error{code, detail, {}};
}

} // namespace Mercato
