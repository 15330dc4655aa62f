// Access-token parsing and verification (model/tokens.*). Two modes chosen by the first byte:
// the raw token as sent, or "header.claims" that this harness signs with the service's key so
// the claim checks behind the signature get fuzzed too.

#include "fuzzcommon.h"

#include "model/tokens.h"

#include <QMessageAuthenticationCode>

using namespace Mercato;

namespace {
const QByteArray kKey(32, 'k');
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const TokenService service(kKey);
    QByteArray token = Fuzz::bytes(data + 1, size - 1);
    if (data[0] & 1) {
        const auto sig = QMessageAuthenticationCode::hash(token, kKey, QCryptographicHash::Sha256);
        token += '.' + sig.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    }
    const auto principal = service.verify(QString::fromLatin1(token));
    if (principal) {
        const Principal &p = principal.value();
        FUZZ_CHECK(!p.userId.isEmpty() && !p.jti.isEmpty());
        FUZZ_CHECK(p.role == QLatin1String("customer") || p.role == QLatin1String("seller"));
        FUZZ_CHECK(p.issuedAt > 0);
    } else {
        FUZZ_CHECK(principal.error().code == ErrorCode::Unauthenticated);
    }
    // A token this service issued always verifies.
    static const auto issued = service.issueAccess(QStringLiteral("u1"), QStringLiteral("seller"));
    FUZZ_CHECK(service.verify(issued.token).ok());
    return 0;
}
