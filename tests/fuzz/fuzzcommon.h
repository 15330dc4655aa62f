#pragma once
// What every fuzzer shares: a QCoreApplication, quiet Qt logging, and a check that turns a
// broken invariant into a crash libFuzzer reports.

#include <QByteArray>
#include <QCoreApplication>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace Mercato::Fuzz {

inline void quietMessages(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    if (type == QtFatalMsg) {
        std::fprintf(stderr, "qFatal: %s\n", qPrintable(message));
        std::abort();
    }
}

// Call from LLVMFuzzerInitialize.
inline void init(int *argc, char ***argv)
{
    static QCoreApplication *app = nullptr;
    if (!app) {
        qInstallMessageHandler(quietMessages);
        app = new QCoreApplication(*argc, *argv);
    }
}

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Splits off the text before the first '\n' (the line) and returns the rest.
inline QByteArray takeLine(QByteArray &rest)
{
    const qsizetype nl = rest.indexOf('\n');
    if (nl < 0) {
        QByteArray line = rest;
        rest.clear();
        return line;
    }
    QByteArray line = rest.left(nl);
    rest = rest.mid(nl + 1);
    return line;
}

} // namespace Mercato::Fuzz

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
