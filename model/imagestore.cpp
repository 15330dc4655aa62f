#include "imagestore.h"

#include "ids.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSaveFile>

namespace Mercato {

namespace {
quint32 be32(const QByteArray &b, qsizetype at)
{
    return (quint32(quint8(b.at(at))) << 24) | (quint32(quint8(b.at(at + 1))) << 16)
           | (quint32(quint8(b.at(at + 2))) << 8) | quint32(quint8(b.at(at + 3)));
}

constexpr quint32 kMaxSide = 20000;
} // namespace

Result<QString> checkImage(const QByteArray &bytes, const QString &declaredType)
{
    if (bytes.isEmpty())
        return Error::validation(QStringLiteral("file"), QStringLiteral("the image is empty"));
    QString type;
    if (bytes.startsWith("\x89PNG\r\n\x1a\n")) {
        // IHDR must come first, with a sane size.
        if (bytes.size() < 33 || bytes.mid(12, 4) != "IHDR")
            return Error::validation(QStringLiteral("file"), QStringLiteral("a broken PNG image"));
        const quint32 w = be32(bytes, 16), h = be32(bytes, 20);
        if (w == 0 || h == 0 || w > kMaxSide || h > kMaxSide)
            return Error::validation(QStringLiteral("file"),
                                     QStringLiteral("PNG size out of range"));
        if (!bytes.contains("IEND"))
            return Error::validation(QStringLiteral("file"),
                                     QStringLiteral("a truncated PNG image"));
        type = QStringLiteral("image/png");
    } else if (bytes.startsWith("\xff\xd8\xff")) {
        if (bytes.size() < 4 || !bytes.endsWith("\xff\xd9"))
            return Error::validation(QStringLiteral("file"),
                                     QStringLiteral("a truncated JPEG image"));
        type = QStringLiteral("image/jpeg");
    } else if (bytes.size() >= 16 && bytes.startsWith("RIFF") && bytes.mid(8, 4) == "WEBP") {
        const quint32 riffSize = quint32(quint8(bytes.at(4))) | (quint32(quint8(bytes.at(5))) << 8)
                                 | (quint32(quint8(bytes.at(6))) << 16)
                                 | (quint32(quint8(bytes.at(7))) << 24);
        if (qint64(riffSize) + 8 != bytes.size())
            return Error::validation(QStringLiteral("file"), QStringLiteral("a broken WebP image"));
        type = QStringLiteral("image/webp");
    } else {
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("images must be PNG, JPEG or WebP"));
    }
    if (!declaredType.isEmpty() && declaredType != type
        && declaredType != QLatin1String("application/octet-stream"))
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("the content is %1, not %2").arg(type, declaredType));
    return type;
}

LocalImageStore::LocalImageStore(QString directory, QString publicBaseUrl)
    : m_directory(std::move(directory))
    , m_publicBaseUrl(std::move(publicBaseUrl))
{
    QDir().mkpath(m_directory);
}

bool LocalImageStore::isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-]{32,64}\\.(png|jpg|webp)$"));
    return re.match(name).hasMatch();
}

QString LocalImageStore::pathFor(const QString &name) const
{
    return isValidName(name) ? m_directory + QLatin1Char('/') + name : QString();
}

Result<StoredImage> LocalImageStore::store(const QByteArray &bytes, const QString &mimeType)
{
    const QString ext = mimeType == QLatin1String("image/png")    ? QStringLiteral("png")
                        : mimeType == QLatin1String("image/jpeg") ? QStringLiteral("jpg")
                                                                  : QStringLiteral("webp");
    const QString name = Ids::newToken(24) + QLatin1Char('.') + ext; // 32 unguessable chars
    QSaveFile f(m_directory + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot store the image"));
    return StoredImage{name, m_publicBaseUrl + QStringLiteral("/media/") + name};
}

Status LocalImageStore::remove(const QString &key)
{
    const QString path = pathFor(key);
    if (path.isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such image"));
    QFile::remove(path);
    return Ok{};
}

} // namespace Mercato
