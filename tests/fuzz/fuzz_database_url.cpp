// The database URL parser (model/database.cpp DatabaseUrl::parse) and its redacted form.

#include "fuzzcommon.h"

#include "model/database.h"

using namespace Mercato;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(Fuzz::bytes(data, size));
    const auto parsed = DatabaseUrl::parse(text);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == ErrorCode::Validation);
        return 0;
    }
    const DatabaseUrl &url = parsed.value();
    const QString redacted = url.redacted();
    if (url.engine == Engine::Sqlite) {
        FUZZ_CHECK(!url.path.isEmpty());
        FUZZ_CHECK(redacted == QLatin1String("sqlite:") + url.path);
    } else {
        FUZZ_CHECK(url.port > 0 && url.port <= 65535);
        FUZZ_CHECK(!url.name.isEmpty() && !url.host.isEmpty());
        // The redacted form is exactly the parts without the password.
        FUZZ_CHECK(redacted
                   == QLatin1String("postgresql://") + url.user + QLatin1Char('@') + url.host
                              + QLatin1Char(':') + QString::number(url.port) + QLatin1Char('/')
                              + url.name);
    }
    return 0;
}
