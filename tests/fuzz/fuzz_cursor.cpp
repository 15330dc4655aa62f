// The keyset cursor decoder (model/cursor.*). Two modes chosen by the first byte: the cursor
// text as a client sends it, or a JSON payload this harness signs with the cursor key so the
// decoding behind the MAC gets fuzzed too.

#include "fuzzcommon.h"

#include "model/cursor.h"

#include <QMessageAuthenticationCode>

using namespace Mercato;

namespace {
const QByteArray kSecret(32, 's');
const QString kScope = QStringLiteral("products:newest");
constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    Cursor::setKey(kSecret);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray rest = Fuzz::bytes(data + 1, size - 1);
    QString cursor;
    if (data[0] & 1) {
        const QByteArray key = QMessageAuthenticationCode::hash("mercato-cursor", kSecret,
                                                                QCryptographicHash::Sha256);
        const QByteArray mac = QMessageAuthenticationCode::hash(kScope.toUtf8() + '\n' + rest, key,
                                                                QCryptographicHash::Sha256)
                                       .left(12);
        cursor = QString::fromLatin1(rest.toBase64(kB64) + '.' + mac.toBase64(kB64));
    } else {
        cursor = QString::fromUtf8(rest);
    }
    const auto values = Cursor::decode(kScope, cursor);
    if (values) {
        for (const QVariant &v : *values)
            (void)Cursor::isNumber(v);
        // What decodes re-encodes to a cursor that decodes again, unless the new one is over
        // the length limit (control characters in strings come back escaped, six bytes each).
        const QString reencoded = Cursor::encode(kScope, *values);
        const auto again = Cursor::decode(kScope, reencoded);
        FUZZ_CHECK(again.has_value() || reencoded.size() > 2048);
        // Another list's scope never accepts it.
        FUZZ_CHECK(!Cursor::decode(QStringLiteral("orders:newest"), cursor));
    }
    return 0;
}
