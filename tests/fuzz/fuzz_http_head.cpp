// The transport guard's request-head check (server/transport.cpp checkRequestHead): request
// line, headers, Content-Length, Transfer-Encoding (chunked is refused), Expect, body caps.
// The input is what a client sends; the head is cut at the first blank line like the guard does.

#include "fuzzcommon.h"

#include "server/transport.h"

using namespace Mercato;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray head = Fuzz::bytes(data, size);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end >= 0)
        head.truncate(end);
    if (head.size() > TransportLimits{}.headerBytes)
        return 0; // the guard answers 431 before looking at such a head
    const auto limit = [](const QByteArray &method, const QString &path) -> qint64 {
        if (method == "GET" || method == "HEAD")
            return 0;
        return path.startsWith(QLatin1String("/api/v1/media")) ? 8 * 1024 * 1024 : 1024 * 1024;
    };
    const HeadCheck c = checkRequestHead(head, limit);
    static const QList<int> statuses{0, 400, 411, 413, 417, 501, 505};
    FUZZ_CHECK(statuses.contains(c.status));
    FUZZ_CHECK((c.status == 0) == c.detail.isEmpty());
    FUZZ_CHECK(c.method.size() <= 16);
    if (c.status == 0) {
        static const QList<QByteArray> known{"GET",   "HEAD",   "POST",   "PUT",
                                             "PATCH", "DELETE", "OPTIONS"};
        FUZZ_CHECK(known.contains(c.method));
        FUZZ_CHECK(c.contentLength >= 0);
        FUZZ_CHECK(c.contentLength <= limit(c.method, c.path));
        FUZZ_CHECK(c.path.startsWith(QLatin1Char('/')) || c.path == QLatin1String("*"));
        FUZZ_CHECK(!c.sendContinue || c.contentLength > 0);
        const QByteArray lower = head.toLower();
        FUZZ_CHECK(!lower.contains("\ntransfer-encoding:"));
    }
    return 0;
}
