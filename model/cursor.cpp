#include "cursor.h"

#include "ids.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <mutex>

namespace Mercato::Cursor {

namespace {
std::mutex s_mutex;
QByteArray s_key = Ids::randomBytes(32);

QByteArray key()
{
    std::lock_guard lock(s_mutex);
    return s_key;
}

QByteArray mac(const QString &scope, const QByteArray &payload)
{
    return QMessageAuthenticationCode::hash(scope.toUtf8() + '\n' + payload, key(),
                                            QCryptographicHash::Sha256)
            .left(12);
}

constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
} // namespace

void setKey(const QByteArray &newKey)
{
    std::lock_guard lock(s_mutex);
    s_key = QMessageAuthenticationCode::hash("mercato-cursor", newKey, QCryptographicHash::Sha256);
}

QString encode(const QString &scope, const QVariantList &values)
{
    const QByteArray payload
            = QJsonDocument(QJsonArray::fromVariantList(values)).toJson(QJsonDocument::Compact);
    return QString::fromLatin1(payload.toBase64(kB64) + '.' + mac(scope, payload).toBase64(kB64));
}

std::optional<QVariantList> decode(const QString &scope, const QString &cursor)
{
    if (cursor.size() > 2048)
        return std::nullopt;
    const QByteArray text = cursor.toLatin1();
    const qsizetype dot = text.indexOf('.');
    if (dot <= 0)
        return std::nullopt;
    const auto payload = QByteArray::fromBase64Encoding(
            text.left(dot), kB64 | QByteArray::AbortOnBase64DecodingErrors);
    const auto sig = QByteArray::fromBase64Encoding(text.mid(dot + 1),
                                                    kB64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!payload || !sig || !Ids::constantTimeEquals(*sig, mac(scope, *payload)))
        return std::nullopt;
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(*payload, &err);
    if (err.error != QJsonParseError::NoError || !doc.isArray())
        return std::nullopt;
    return doc.array().toVariantList();
}

bool isNumber(const QVariant &value)
{
    const int type = value.typeId();
    return type == QMetaType::Double || type == QMetaType::LongLong || type == QMetaType::Int
           || type == QMetaType::ULongLong || type == QMetaType::UInt;
}

} // namespace Mercato::Cursor
