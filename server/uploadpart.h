#pragma once
// An uploaded image from a request: the raw body (`Content-Type: image/png|jpeg|webp`) or the
// `file` part of a multipart/form-data body. Bounded: the transport already capped the body.

#include "http.h"

namespace Mercato::Http {

struct UploadedFile
{
    QByteArray bytes;
    QString declaredType; // the part's or the body's content type, lower case
};

// 415 for another content type, 400 for a malformed multipart body, 422 without a `file` part.
Result<UploadedFile> imageUpload(const Request &request);

} // namespace Mercato::Http
