#pragma once
// Access tokens: JWT HS256 with `alg` pinned and every claim checked.

#include "result.h"

#include <QByteArray>
#include <QString>

namespace Mercato {

struct Principal
{
    QString userId;
    QString role;        // "customer" or "seller"
    qint64 issuedAt = 0; // seconds
    QString jti;
    QString status; // the account's state (active, pending), filled by the account check
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
    // `issuedAt` (seconds, 0: now) may be up to a second ahead so that a token issued in the
    // same second as a password change is not taken for an older one.
    Issued issueAccess(const QString &userId, const QString &role, qint64 issuedAt = 0) const;
    // Signature, `alg`, `typ`, `iss`, `exp`, `iat`, `sub`, `role`, `jti`: any doubt is a refusal.
    Result<Principal> verify(const QString &token) const;

    const QByteArray &key() const { return m_key; }

private:
    QByteArray m_key;
    QString m_issuer;
};

} // namespace Mercato
