#include "tokens.h"

#include "clock.h"
#include "ids.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include <algorithm>
#include <cmath>

namespace Mercato {

namespace {
constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray b64(const QByteArray &data)
{
    return data.toBase64(kB64);
}

std::optional<QJsonObject> decodePart(const QByteArray &part)
{
    const auto raw
            = QByteArray::fromBase64Encoding(part, kB64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!raw)
        return std::nullopt;
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(*raw, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

bool isIntegerSeconds(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    // Only then is the conversion to qint64 defined (1e300 seconds was not; found by tests/fuzz).
    const double d = v.toDouble();
    return d > 0 && d < 9223372036854775808.0 && d == std::floor(d);
}

Error invalid(const QString &why)
{
    return makeError(ErrorCode::Unauthenticated, why);
}
} // namespace

TokenService::TokenService(QByteArray key, QString issuer)
    : m_key(std::move(key))
    , m_issuer(std::move(issuer))
{}

TokenService::Issued TokenService::issueAccess(const QString &userId, const QString &role,
                                               qint64 issuedAt) const
{
    const qint64 now = std::max(Clock::nowMs() / 1000, issuedAt);
    const QJsonObject header{{QStringLiteral("alg"), QStringLiteral("HS256")},
                             {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QJsonObject claims{{QStringLiteral("iss"), m_issuer},
                             {QStringLiteral("sub"), userId},
                             {QStringLiteral("role"), role},
                             {QStringLiteral("typ"), QStringLiteral("access")},
                             {QStringLiteral("iat"), now},
                             {QStringLiteral("exp"), now + kAccessLifetimeSeconds},
                             {QStringLiteral("jti"), Ids::newId()}};
    const QByteArray input = b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                             + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray sig
            = QMessageAuthenticationCode::hash(input, m_key, QCryptographicHash::Sha256);
    return {QString::fromLatin1(input + '.' + b64(sig)), kAccessLifetimeSeconds};
}

Result<Principal> TokenService::verify(const QString &token) const
{
    if (token.size() > 4096)
        return invalid(QStringLiteral("token too long"));
    const QByteArray text = token.toLatin1();
    const QList<QByteArray> parts = text.split('.');
    if (parts.size() != 3)
        return invalid(QStringLiteral("malformed token"));
    const auto header = decodePart(parts[0]);
    if (!header || header->value(QStringLiteral("alg")).toString() != QLatin1String("HS256"))
        return invalid(QStringLiteral("unsupported token algorithm"));
    const auto sig = QByteArray::fromBase64Encoding(parts[2],
                                                    kB64 | QByteArray::AbortOnBase64DecodingErrors);
    const QByteArray expected = QMessageAuthenticationCode::hash(parts[0] + '.' + parts[1], m_key,
                                                                 QCryptographicHash::Sha256);
    if (!sig || !Ids::constantTimeEquals(*sig, expected))
        return invalid(QStringLiteral("bad token signature"));
    const auto claims = decodePart(parts[1]);
    if (!claims)
        return invalid(QStringLiteral("malformed token claims"));
    const QJsonValue iat = claims->value(QStringLiteral("iat"));
    const QJsonValue exp = claims->value(QStringLiteral("exp"));
    if (!isIntegerSeconds(iat) || !isIntegerSeconds(exp))
        return invalid(QStringLiteral("token times missing"));
    const qint64 now = Clock::nowMs() / 1000;
    if (qint64(exp.toDouble()) <= now)
        return invalid(QStringLiteral("token expired"));
    if (qint64(iat.toDouble()) > now + 60)
        return invalid(QStringLiteral("token issued in the future"));
    Principal p;
    p.userId = claims->value(QStringLiteral("sub")).toString();
    p.role = claims->value(QStringLiteral("role")).toString();
    p.jti = claims->value(QStringLiteral("jti")).toString();
    p.issuedAt = qint64(iat.toDouble());
    if (p.userId.isEmpty() || p.jti.isEmpty()
        || (p.role != QLatin1String("customer") && p.role != QLatin1String("seller"))
        || claims->value(QStringLiteral("iss")).toString() != m_issuer
        || claims->value(QStringLiteral("typ")).toString() != QLatin1String("access"))
        return invalid(QStringLiteral("token claims rejected"));
    return p;
}

} // namespace Mercato
