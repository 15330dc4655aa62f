// The configuration loader (app/config.cpp loadConfig): the input is the --config INI file;
// its lines of the form MERCATO_NAME=value also go into the environment, so every setting's
// value parser sees fuzzed text from both sources.

#include "fuzzcommon.h"

#include "app/config.h"

#include <QFile>
#include <QTemporaryDir>

using namespace Mercato;

namespace {
QTemporaryDir *s_dir = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Fuzz::init(argc, argv);
    s_dir = new QTemporaryDir;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int round = 0;
    const QByteArray text = Fuzz::bytes(data, size);
    // A new name each time: QSettings caches files by name and modification time.
    const QString path = s_dir->filePath(QStringLiteral("mercato-%1.conf").arg(++round % 64));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return 0;
        file.write(text);
    }
    QProcessEnvironment env;
    for (const QByteArray &line : text.split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 8 && line.startsWith("MERCATO_"))
            env.insert(QString::fromLatin1(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    env.insert(QStringLiteral("MERCATO_DATA_DIR"), s_dir->path());
    const ConfigOutcome out = loadConfig(
            {QStringLiteral("mercato-server"), QStringLiteral("--config"), path}, env, true);
    if (out.config) {
        const Config &c = *out.config;
        FUZZ_CHECK(out.exitCode == 0);
        FUZZ_CHECK(c.store.currency.size() == 3);
        FUZZ_CHECK(c.workers >= 0 && c.workers <= 256);
        FUZZ_CHECK(c.jwtSecret.isEmpty() || c.jwtSecret.size() >= 32);
        FUZZ_CHECK(c.store.maxCoinDiscountPercent >= 0 && c.store.maxCoinDiscountPercent <= 100);
        FUZZ_CHECK(!c.publicUrl.endsWith(QLatin1Char('/')));
    } else {
        FUZZ_CHECK(out.exitCode == 2 && !out.message.isEmpty());
    }
    return 0;
}
