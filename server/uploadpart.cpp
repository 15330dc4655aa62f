#include "uploadpart.h"

namespace Mercato::Http {

namespace {

constexpr int kMaxParts = 16;
constexpr int kMaxPartHeaderBytes = 8 * 1024;

QByteArray parameter(const QByteArray &headerValue, const QByteArray &name)
{
    const QList<QByteArray> parts = headerValue.split(';');
    for (const QByteArray &raw : parts) {
        const QByteArray p = raw.trimmed();
        const int eq = p.indexOf('=');
        if (eq <= 0 || p.left(eq).trimmed().toLower() != name)
            continue;
        QByteArray v = p.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
            v = v.mid(1, v.size() - 2);
        return v;
    }
    return {};
}

Error malformed(const QString &why)
{
    return makeError(ErrorCode::BadRequest, QStringLiteral("malformed multipart body: ") + why);
}

Result<UploadedFile> fromMultipart(const QByteArray &body, const QByteArray &contentType)
{
    const QByteArray boundary = parameter(contentType, "boundary");
    if (boundary.isEmpty() || boundary.size() > 200)
        return malformed(QStringLiteral("no boundary"));
    const QByteArray delimiter = QByteArray("--") + boundary;
    const QByteArray partEnd = QByteArray("\r\n") + delimiter;
    qsizetype pos = body.indexOf(delimiter);
    if (pos < 0)
        return malformed(QStringLiteral("boundary not found"));
    for (int count = 0; count < kMaxParts; ++count) {
        pos += delimiter.size();
        if (body.mid(pos, 2) == "--")
            break; // closing delimiter
        if (body.mid(pos, 2) != "\r\n")
            return malformed(QStringLiteral("bad delimiter line"));
        pos += 2;
        const qsizetype headerEnd = body.indexOf("\r\n\r\n", pos);
        if (headerEnd < 0 || headerEnd - pos > kMaxPartHeaderBytes)
            return malformed(QStringLiteral("bad part headers"));
        const QList<QByteArray> lines = body.mid(pos, headerEnd - pos).split('\n');
        QByteArray disposition, type;
        for (const QByteArray &line : lines) {
            const int colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-disposition")
                disposition = value;
            else if (name == "content-type")
                type = value.split(';').first().trimmed().toLower();
        }
        const qsizetype dataStart = headerEnd + 4;
        const qsizetype next = body.indexOf(partEnd, dataStart);
        if (next < 0)
            return malformed(QStringLiteral("unterminated part"));
        if (parameter(disposition, "name") == "file")
            return UploadedFile{body.mid(dataStart, next - dataStart), QString::fromLatin1(type)};
        pos = next + 2;
    }
    return Error::validation(QStringLiteral("file"),
                             QStringLiteral("send the image in a part named `file`"));
}

} // namespace

Result<UploadedFile> imageUpload(const Request &request)
{
    const QByteArray header = request.header("content-type");
    const QByteArray type = header.split(';').first().trimmed().toLower();
    if (type == "image/png" || type == "image/jpeg" || type == "image/webp")
        return UploadedFile{request.body, QString::fromLatin1(type)};
    if (type == "multipart/form-data")
        return fromMultipart(request.body, header);
    return makeError(
            ErrorCode::UnsupportedMediaType,
            QStringLiteral(
                    "send an image/png, image/jpeg or image/webp body, or multipart/form-data "
                    "with a `file` part"));
}

} // namespace Mercato::Http
