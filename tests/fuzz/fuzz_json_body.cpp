// JSON request bodies into typed values (server/jsonbody.*): jsonObjectBody, then FieldReader
// with the bounds routes use, and the list query parameters (pageParams, boolParam, intParam).
// Input: line 1 the Content-Type, line 2 the query string, the rest the body.

#include "fuzzcommon.h"

#include "server/jsonbody.h"

#include <limits>

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
    request.path = QStringLiteral("/api/v1/products");
    request.headers.insert("content-type", Fuzz::takeLine(rest));
    request.query = QUrlQuery(QString::fromUtf8(Fuzz::takeLine(rest)));
    request.body = rest;

    if (const auto page = pageParams(request)) {
        FUZZ_CHECK(page.value().limit >= 1 && page.value().limit <= 100);
    } else {
        FUZZ_CHECK(page.error().code == ErrorCode::BadRequest);
    }
    (void)boolParam(request, QStringLiteral("active"));
    if (const auto v = intParam(request, QStringLiteral("minPrice"), 0, 100'000'000);
        v && v.value())
        FUZZ_CHECK(*v.value() >= 0 && *v.value() <= 100'000'000);

    const auto body = jsonObjectBody(request);
    if (!body) {
        const ErrorCode code = body.error().code;
        FUZZ_CHECK(code == ErrorCode::UnsupportedMediaType || code == ErrorCode::BadRequest
                   || code == ErrorCode::Validation);
        return 0;
    }
    const QJsonObject object = body.value();
    FieldReader f(object);
    (void)f.string(QStringLiteral("name"), Need::Required, 1, 200);
    (void)f.string(QStringLiteral("description"), Need::Optional, 0, 5000);
    (void)f.string(QStringLiteral("password"), Need::Optional, 8, 128, false);
    const auto price = f.integer(QStringLiteral("priceCents"), Need::Required, 1, 100'000'000);
    const auto delta = f.integer(QStringLiteral("delta"), Need::Optional, -1'000'000, 1'000'000);
    const auto rating = f.integer(QStringLiteral("rating"), Need::Optional, 1, 5);
    // The widest bounds a caller could pass: the reader must stay defined behaviour.
    constexpr qint64 lo = std::numeric_limits<qint64>::min();
    constexpr qint64 hi = std::numeric_limits<qint64>::max();
    const auto wide = f.integer(QStringLiteral("quantity"), Need::Optional, lo, hi);
    (void)f.boolean(QStringLiteral("active"), Need::Optional);
    if (price)
        FUZZ_CHECK(*price >= 1 && *price <= 100'000'000);
    if (delta)
        FUZZ_CHECK(*delta >= -1'000'000 && *delta <= 1'000'000);
    if (rating)
        FUZZ_CHECK(*rating >= 1 && *rating <= 5);
    (void)wide;
    if (!f.ok()) {
        const Error e = f.error();
        FUZZ_CHECK(e.code == ErrorCode::Validation && !e.fields.isEmpty());
    }
    return 0;
}
