// The Stripe-Signature header check (model/stripe.cpp StripeSignature::verify). Input: line 1
// the header, the rest the payload. "v1=SIGN" in the header is replaced by the true signature
// of its `t` so the checks behind the HMAC get fuzzed too.

#include "fuzzcommon.h"

#include "model/stripe.h"

#include <QMessageAuthenticationCode>

using namespace Mercato;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QByteArray secret("whsec_fuzz");
    constexpr qint64 now = 1'750'000'000;
    QByteArray payload = Fuzz::bytes(data, size);
    QByteArray header = Fuzz::takeLine(payload);
    if (header.contains("v1=SIGN")) {
        QByteArray t;
        for (const QByteArray &part : header.split(',')) {
            const qsizetype eq = part.indexOf('=');
            if (eq > 0 && part.left(eq).trimmed() == "t") {
                t = part.mid(eq + 1).trimmed();
                break;
            }
        }
        const QByteArray hex = QMessageAuthenticationCode::hash(t + '.' + payload, secret,
                                                                QCryptographicHash::Sha256)
                                       .toHex();
        header.replace(QByteArray("v1=SIGN"), QByteArray("v1=" + hex));
    }
    const Status s = StripeSignature::verify(secret, payload, header, now);
    if (!s)
        FUZZ_CHECK(s.error().code == ErrorCode::BadRequest);
    // What sign() makes verifies.
    FUZZ_CHECK(StripeSignature::verify(secret, payload, StripeSignature::sign(secret, payload, now),
                                       now)
                       .ok());
    return 0;
}
