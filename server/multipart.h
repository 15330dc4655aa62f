#pragma once
// A small, bounded multipart/form-data reader: enough to take one file field from an upload.

#include "model/result.h"

#include <QByteArray>
#include <QString>

namespace Mercato::Http {

struct FormFile
{
    QByteArray content;
    QString contentType;   // as the part declared it (may be empty)
    QString fileName;
};

// The part named `field` of a multipart/form-data body whose Content-Type header is
// `contentTypeHeader`. BadRequest when the body is not well-formed multipart (no boundary,
// no closing delimiter, too many parts, oversized part headers); Validation naming `field`
// when no such part exists.
Result<FormFile> multipartFile(const QByteArray &contentTypeHeader, const QByteArray &body,
                               const QString &field);

} // namespace Mercato::Http
