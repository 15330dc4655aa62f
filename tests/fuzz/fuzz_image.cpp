// Image validation of uploads (model/imagestore.cpp checkImage): PNG, JPEG and WebP headers.
// The first byte picks the declared type; the rest is the file.

#include "fuzzcommon.h"

#include "model/imagestore.h"

using namespace Mercato;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const QStringList declared{QString(),
                                      QStringLiteral("image/png"),
                                      QStringLiteral("image/jpeg"),
                                      QStringLiteral("image/webp"),
                                      QStringLiteral("application/octet-stream"),
                                      QStringLiteral("text/html")};
    const QString type = declared.at(data[0] % declared.size());
    const QByteArray file = Fuzz::bytes(data + 1, size - 1);
    const auto checked = checkImage(file, type);
    if (checked) {
        const QString mime = checked.value();
        FUZZ_CHECK(mime == QLatin1String("image/png") || mime == QLatin1String("image/jpeg")
                   || mime == QLatin1String("image/webp"));
        FUZZ_CHECK(type.isEmpty() || type == mime
                   || type == QLatin1String("application/octet-stream"));
    } else {
        const ErrorCode code = checked.error().code;
        FUZZ_CHECK(code == ErrorCode::UnsupportedMediaType || code == ErrorCode::Validation);
    }
    return 0;
}
