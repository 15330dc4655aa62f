#include "multipart.h"

namespace Mercato::Http {

namespace {
constexpr int kMaxParts = 32;
constexpr qsizetype kMaxPartHeaders = 16 * 1024;
constexpr qsizetype kMaxBoundary = 200; // RFC 2046: at most 70; be generous, but bounded

Error malformed(const QString &why)
{
    return makeError(ErrorCode::BadRequest, QStringLiteral("malformed multipart body: ") + why);
}

// The value of `name` in a header's `; name=value` parameters (quotes removed).
QByteArray headerParam(const QByteArray &header, const QByteArray &name)
{
    const QList<QByteArray> parts = header.split(';');
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QByteArray p = parts.at(i).trimmed();
        const qsizetype eq = p.indexOf('=');
        if (eq <= 0 || p.left(eq).trimmed().toLower() != name)
            continue;
        QByteArray v = p.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
            v = v.mid(1, v.size() - 2);
        return v;
    }
    return {};
}
} // namespace

Result<FormFile> multipartFile(const QByteArray &contentTypeHeader, const QByteArray &body,
                               const QString &field)
{
    const QByteArray boundary = headerParam(contentTypeHeader, "boundary");
    if (boundary.isEmpty() || boundary.size() > kMaxBoundary)
        return malformed(QStringLiteral("no usable boundary"));
    const QByteArray delimiter = QByteArray("--" + boundary);
    // The first delimiter starts the body or follows a preamble ending with CRLF.
    qsizetype pos = body.startsWith(delimiter) ? 0 : body.indexOf(QByteArray("\r\n" + delimiter));
    if (pos < 0)
        return malformed(QStringLiteral("no opening boundary"));
    if (pos > 0)
        pos += 2;
    const QByteArray nextDelimiter = QByteArray("\r\n" + delimiter);
    for (int parts = 0; parts < kMaxParts; ++parts) {
        pos += delimiter.size();
        if (body.mid(pos, 2) == "--")
            break; // closing delimiter
        // Rest of the delimiter line (optional whitespace), then CRLF.
        const qsizetype lineEnd = body.indexOf("\r\n", pos);
        if (lineEnd < 0 || lineEnd - pos > 64)
            return malformed(QStringLiteral("a boundary line does not end"));
        const qsizetype headersStart = lineEnd + 2;
        const qsizetype headersEnd = body.indexOf("\r\n\r\n", headersStart);
        if (headersEnd < 0 || headersEnd - headersStart > kMaxPartHeaders)
            return malformed(QStringLiteral("part headers missing or too large"));
        const qsizetype contentStart = headersEnd + 4;
        const qsizetype contentEnd = body.indexOf(nextDelimiter, headersStart);
        if (contentEnd < 0 || contentEnd < headersEnd)
            return malformed(QStringLiteral("a part is not closed by the boundary"));
        QByteArray disposition, type;
        const QList<QByteArray> lines = body.mid(headersStart, headersEnd - headersStart).split('\n');
        for (QByteArray line : lines) {
            line = line.trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            if (name == "content-disposition")
                disposition = line.mid(colon + 1).trimmed();
            else if (name == "content-type")
                type = line.mid(colon + 1).trimmed();
        }
        if (disposition.toLower().startsWith("form-data")
            && QString::fromUtf8(headerParam(disposition, "name")) == field) {
            FormFile file;
            file.content = body.mid(contentStart, contentEnd - contentStart);
            file.contentType = QString::fromLatin1(type.split(';').first().trimmed().toLower());
            file.fileName = QString::fromUtf8(headerParam(disposition, "filename"));
            return file;
        }
        pos = contentEnd + 2;
    }
    return Error::validation(field, QStringLiteral("%1 is required: send the image as the form "
                                                   "field '%1'").arg(field));
}

} // namespace Mercato::Http
