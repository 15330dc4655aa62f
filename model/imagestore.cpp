#include "imagestore.h"

#include "ids.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStorageInfo>

#include <algorithm>
#include <optional>

namespace Mercato {

namespace {
quint32 be32(const QByteArray &b, qsizetype at)
{
    return (quint32(quint8(b.at(at))) << 24) | (quint32(quint8(b.at(at + 1))) << 16)
           | (quint32(quint8(b.at(at + 2))) << 8) | quint32(quint8(b.at(at + 3)));
}

quint32 be16(const QByteArray &b, qsizetype at)
{
    return (quint32(quint8(b.at(at))) << 8) | quint32(quint8(b.at(at + 1)));
}

quint32 le16(const QByteArray &b, qsizetype at)
{
    return quint32(quint8(b.at(at))) | (quint32(quint8(b.at(at + 1))) << 8);
}

quint32 le24(const QByteArray &b, qsizetype at)
{
    return le16(b, at) | (quint32(quint8(b.at(at + 2))) << 16);
}

constexpr quint32 kMaxSide = 20000;
// What an upload may decode to: a small file declaring a huge picture (a decompression bomb)
// would take width × height × 4 bytes of memory to decode.
constexpr quint64 kMaxPixels = 40'000'000;

struct Size
{
    quint32 width = 0;
    quint32 height = 0;
};

// The frame size a JPEG declares in its first SOFn segment; nothing when there is none
// before the scan (or the segments are unreadable).
std::optional<Size> jpegSize(const QByteArray &b)
{
    qsizetype at = 2;
    while (at + 4 <= b.size()) {
        if (quint8(b.at(at)) != 0xff)
            return std::nullopt;
        const quint8 marker = quint8(b.at(at + 1));
        if (marker == 0xff) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { // no length
            at += 2;
            continue;
        }
        if (marker == 0xda || marker == 0xd9) // start of scan, end of image
            return std::nullopt;
        const quint32 length = be16(b, at + 2);
        if (length < 2)
            return std::nullopt;
        const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8
                         && marker != 0xcc;
        if (sof) {
            if (length < 7 || at + 9 > b.size())
                return std::nullopt;
            return Size{be16(b, at + 7), be16(b, at + 5)};
        }
        at += 2 + qsizetype(length);
    }
    return std::nullopt;
}

// The canvas size of a WebP's first chunk (VP8, VP8L or VP8X); nothing when unreadable.
std::optional<Size> webpSize(const QByteArray &b)
{
    if (b.size() < 30)
        return std::nullopt;
    const QByteArray chunk = b.mid(12, 4);
    if (chunk == "VP8 " && quint8(b.at(23)) == 0x9d && quint8(b.at(24)) == 0x01
        && quint8(b.at(25)) == 0x2a)
        return Size{le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff};
    if (chunk == "VP8L" && quint8(b.at(20)) == 0x2f) {
        const quint32 bits = le16(b, 21) | (le16(b, 23) << 16);
        return Size{(bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1};
    }
    if (chunk == "VP8X")
        return Size{le24(b, 24) + 1, le24(b, 27) + 1};
    return std::nullopt;
}

std::optional<Error> sizeProblem(const std::optional<Size> &size, const char *format)
{
    if (!size)
        return std::nullopt;
    if (size->width == 0 || size->height == 0 || size->width > kMaxSide || size->height > kMaxSide)
        return Error::validation(QStringLiteral("file"),
                                 QStringLiteral("%1 size out of range").arg(QLatin1String(format)));
    if (quint64(size->width) * size->height > kMaxPixels)
        return Error::validation(QStringLiteral("file"),
                                 QStringLiteral("the image is %1 x %2 pixels, over 40 megapixels")
                                         .arg(size->width)
                                         .arg(size->height));
    return std::nullopt;
}

// The bytes decoded with Qt's own reader for `format`: a file whose header is sound but whose
// pixel data is not is refused here, not by the first browser that shows it. The header
// checks above have already refused what declares over 40 megapixels; the allocation limit
// is the reader's own guard against anything that slips past them.
std::optional<Error> decodeProblem(const QByteArray &bytes, const char *format)
{
    const QString name = QString::fromLatin1(format).toUpper();
    static const bool limited = [] {
        QImageReader::setAllocationLimit(int(kMaxPixels * 4 / (1024 * 1024)) + 1);
        return true;
    }();
    Q_UNUSED(limited);
    if (!QImageReader::supportedImageFormats().contains(format))
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("this server has no %1 reader (install "
                                        "qt6-image-formats-plugins)")
                                 .arg(name));
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer, format);
    reader.setDecideFormatFromContent(false);
    if (reader.read().isNull())
        return Error::validation(
                QStringLiteral("file"),
                QStringLiteral("a corrupt %1 image (%2)").arg(name, reader.errorString()));
    return std::nullopt;
}
} // namespace

Result<QString> checkImage(const QByteArray &bytes, const QString &declaredType)
{
    if (bytes.isEmpty())
        return Error::validation(QStringLiteral("file"), QStringLiteral("the image is empty"));
    QString type;
    const char *format = nullptr; // Qt's reader
    if (bytes.startsWith("\x89PNG\r\n\x1a\n")) {
        // IHDR must come first, with a sane size.
        if (bytes.size() < 33 || bytes.mid(12, 4) != "IHDR")
            return Error::validation(QStringLiteral("file"), QStringLiteral("a broken PNG image"));
        if (auto problem = sizeProblem(Size{be32(bytes, 16), be32(bytes, 20)}, "PNG"))
            return *problem;
        if (!bytes.contains("IEND"))
            return Error::validation(QStringLiteral("file"),
                                     QStringLiteral("a truncated PNG image"));
        type = QStringLiteral("image/png");
        format = "png";
    } else if (bytes.startsWith("\xff\xd8\xff")) {
        if (bytes.size() < 4 || !bytes.endsWith("\xff\xd9"))
            return Error::validation(QStringLiteral("file"),
                                     QStringLiteral("a truncated JPEG image"));
        if (auto problem = sizeProblem(jpegSize(bytes), "JPEG"))
            return *problem;
        type = QStringLiteral("image/jpeg");
        format = "jpeg";
    } else if (bytes.size() >= 16 && bytes.startsWith("RIFF") && bytes.mid(8, 4) == "WEBP") {
        const quint32 riffSize = quint32(quint8(bytes.at(4))) | (quint32(quint8(bytes.at(5))) << 8)
                                 | (quint32(quint8(bytes.at(6))) << 16)
                                 | (quint32(quint8(bytes.at(7))) << 24);
        if (qint64(riffSize) + 8 != bytes.size())
            return Error::validation(QStringLiteral("file"), QStringLiteral("a broken WebP image"));
        if (auto problem = sizeProblem(webpSize(bytes), "WebP"))
            return *problem;
        type = QStringLiteral("image/webp");
        format = "webp";
    } else {
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("images must be PNG, JPEG or WebP"));
    }
    if (!declaredType.isEmpty() && declaredType != type
        && declaredType != QLatin1String("application/octet-stream"))
        return makeError(ErrorCode::UnsupportedMediaType,
                         QStringLiteral("the content is %1, not %2").arg(type, declaredType));
    if (auto problem = decodeProblem(bytes, format))
        return *problem;
    return type;
}

namespace {
Error unreadable()
{
    return Error::validation(QStringLiteral("file"),
                             QStringLiteral("the image's structure cannot be read"));
}

// JPEG: APP1 (Exif, XMP), APP3..APP13 (IPTC, Photoshop), APP15 and comments go; APP0 (JFIF),
// APP2 (ICC colour profile) and APP14 (Adobe colour transform) stay, as does everything from
// the start of the scan on.
Result<QByteArray> stripJpeg(const QByteArray &in)
{
    QByteArray out = in.left(2); // SOI
    qsizetype at = 2;
    while (at < in.size()) {
        if (quint8(in.at(at)) != 0xff)
            return unreadable();
        qsizetype m = at;
        while (m < in.size() && quint8(in.at(m)) == 0xff) // fill bytes
            ++m;
        if (m >= in.size())
            return unreadable();
        const quint8 marker = quint8(in.at(m));
        if (marker == 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
            out += in.mid(at, m + 1 - at);
            at = m + 1;
            if (marker == 0xd9)
                break;
            continue;
        }
        if (m + 2 >= in.size())
            return unreadable();
        const qsizetype length = be16(in, m + 1);
        const qsizetype end = m + 1 + length;
        if (length < 2 || end > in.size())
            return unreadable();
        if (marker == 0xda) { // start of scan: the rest is image data
            out += in.mid(at);
            return out;
        }
        const bool metadata = marker == 0xe1 || (marker >= 0xe3 && marker <= 0xed) || marker == 0xef
                              || marker == 0xfe;
        if (!metadata)
            out += in.mid(at, end - at);
        at = end;
    }
    return out;
}

// PNG: text chunks, eXIf and tIME go.
Result<QByteArray> stripPng(const QByteArray &in)
{
    static const QList<QByteArray> drop{"tEXt", "zTXt", "iTXt", "eXIf", "tIME"};
    QByteArray out = in.left(8);
    qsizetype at = 8;
    while (at + 12 <= in.size()) {
        const qsizetype length = be32(in, at);
        const qsizetype end = at + 12 + length;
        if (length < 0 || end > in.size())
            return unreadable();
        const QByteArray type = in.mid(at + 4, 4);
        if (!drop.contains(type))
            out += in.mid(at, end - at);
        at = end;
        if (type == "IEND")
            return out;
    }
    return unreadable();
}

// WebP: the EXIF and XMP chunks go, and VP8X stops announcing them.
Result<QByteArray> stripWebp(const QByteArray &in)
{
    QByteArray out = in.left(12);
    qsizetype at = 12;
    while (at + 8 <= in.size()) {
        const QByteArray fourcc = in.mid(at, 4);
        const qsizetype length = qsizetype(le16(in, at + 4)) | (qsizetype(le16(in, at + 6)) << 16);
        const qsizetype end = at + 8 + length + (length & 1);
        if (end > in.size())
            return unreadable();
        if (fourcc == "VP8X" && length >= 1) {
            QByteArray chunk = in.mid(at, end - at);
            chunk[8] = char(quint8(chunk.at(8)) & ~0x0c); // the EXIF and XMP flags
            out += chunk;
        } else if (fourcc != "EXIF" && fourcc != "XMP ") {
            out += in.mid(at, end - at);
        }
        at = end;
    }
    const quint32 riff = quint32(out.size() - 8);
    for (int i = 0; i < 4; ++i)
        out[4 + i] = char((riff >> (8 * i)) & 0xff);
    return out;
}
} // namespace

Result<QByteArray> stripMetadata(const QByteArray &bytes, const QString &mimeType)
{
    if (mimeType == QLatin1String("image/jpeg"))
        return stripJpeg(bytes);
    if (mimeType == QLatin1String("image/png"))
        return stripPng(bytes);
    if (mimeType == QLatin1String("image/webp"))
        return stripWebp(bytes);
    return makeError(ErrorCode::UnsupportedMediaType,
                     QStringLiteral("images must be PNG, JPEG or WebP"));
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

Error cancelledUpload()
{
    return makeError(ErrorCode::Unavailable, QStringLiteral("the upload was cancelled"));
}

Result<StoredImage> LocalImageStore::store(const QByteArray &bytes, const QString &mimeType,
                                           const CancelToken &cancel)
{
    const QString ext = mimeType == QLatin1String("image/png")    ? QStringLiteral("png")
                        : mimeType == QLatin1String("image/jpeg") ? QStringLiteral("jpg")
                                                                  : QStringLiteral("webp");
    if (m_minFreeBytes > 0) {
        QStorageInfo disk(m_directory);
        disk.refresh();
        if (disk.isValid() && disk.bytesAvailable() - bytes.size() < m_minFreeBytes) {
            if (!m_lowSpaceTold.exchange(true) && m_lowSpace)
                m_lowSpace(disk.bytesAvailable());
            return makeError(ErrorCode::InsufficientStorage,
                             QStringLiteral("the shop's disk is nearly full; uploads are "
                                            "refused until space is freed"));
        }
        m_lowSpaceTold = false; // above the floor again: the next shortage is told again
    }
    const QString name = Ids::newToken(24) + QLatin1Char('.') + ext; // 32 unguessable chars
    // Written in pieces so a cancel stops it; QSaveFile drops its temporary file unless
    // committed, so a cancelled or failed write leaves no file behind.
    QSaveFile f(m_directory + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot store the image"));
    constexpr qsizetype kPiece = 256 * 1024;
    for (qsizetype at = 0; at < bytes.size(); at += kPiece) {
        if (cancel.isCancelled()) {
            f.cancelWriting();
            return cancelledUpload();
        }
        const qsizetype n = std::min(kPiece, bytes.size() - at);
        if (f.write(bytes.constData() + at, n) != n)
            return makeError(ErrorCode::Unavailable, QStringLiteral("cannot store the image"));
    }
    if (cancel.isCancelled()) {
        f.cancelWriting();
        return cancelledUpload();
    }
    if (!f.commit())
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
