// Image uploads (server/uploadpart.*): a raw image body or the `file` part of a
// multipart/form-data body. Input: line 1 the Content-Type header, the rest the body.
// Whatever is extracted then goes through checkImage like the upload routes do.

#include "fuzzcommon.h"

#include "model/imagestore.h"
#include "server/uploadpart.h"

using namespace Mercato;
using namespace Mercato::Http;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray rest = Fuzz::bytes(data, size);
    Request request;
    request.method = "POST";
    request.headers.insert("content-type", Fuzz::takeLine(rest));
    request.body = rest;
    const auto upload = imageUpload(request);
    if (!upload) {
        const ErrorCode code = upload.error().code;
        FUZZ_CHECK(code == ErrorCode::UnsupportedMediaType || code == ErrorCode::BadRequest
                   || code == ErrorCode::Validation);
        return 0;
    }
    FUZZ_CHECK(upload.value().bytes.size() <= request.body.size());
    FUZZ_CHECK(request.body.contains(upload.value().bytes));
    (void)checkImage(upload.value().bytes, upload.value().declaredType);
    return 0;
}
