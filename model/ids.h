#pragma once
// Opaque identifiers and secrets from a CSPRNG.

#include <QByteArray>
#include <QString>

namespace Mercato::Ids {

// 128 random bits as 32 lowercase hex characters: ids of rows exposed in the API.
QString newId();
// `bytes` random bytes from OpenSSL's CSPRNG.
QByteArray randomBytes(int bytes);
// A URL-safe base64 token of `bytes` random bytes (refresh tokens, reset tokens, media names).
QString newToken(int bytes = 32);
// Hex SHA-256 of a token: what the database keeps instead of the token.
QString tokenHash(const QString &token);
// Constant-time comparison of two byte strings.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace Mercato::Ids
