#pragma once
// Access tokens: JWT HS256 with `alg` pinned and every claim checked.

#include "result.h"

#include <QByteArray>
#include <QString>

namespace Mercato {

struct Principal
{
    QString userId;
    QString role;   // "customer" or "seller"
    qint64 issuedAt = 0; // seconds
    QString jti;
};

class TokenService
{
public:
    static constexpr qint64 kAccessLifetimeSeconds = 15 * 60;

    // `key` must hold at least 32 bytes.
    TokenService(QByteArray key, QString issuer = QStringLiteral("mercato"));

    struct Issued
    {
        QString token;
        qint64 expiresIn = 0;
    };
    Issued issueAccess(const QString &userId, const QString &role) const;
    // Signature, `alg`, `typ`, `iss`, `exp`, `iat`, `sub`, `role`, `jti`: any doubt is a refusal.
    Result<Principal> verify(const QString &token) const;

    const QByteArray &key() const { return m_key; }

private:
    QByteArray m_key;
    QString m_issuer;
};

} // namespace Mercato
