#include "ids.h"

#include <QCryptographicHash>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace Mercato::Ids {

QByteArray randomBytes(int bytes)
{
    QByteArray out(bytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), bytes) != 1)
        std::abort(); // no entropy: continuing would hand out guessable secrets
    return out;
}

QString newId()
{
    return QString::fromLatin1(randomBytes(16).toHex());
}

QString newToken(int bytes)
{
    return QString::fromLatin1(randomBytes(bytes).toBase64(QByteArray::Base64UrlEncoding
                                                           | QByteArray::OmitTrailingEquals));
}

QString tokenHash(const QString &token)
{
    return QString::fromLatin1(
            QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.constData(), b.constData(), size_t(a.size())) == 0;
}

} // namespace Mercato::Ids
