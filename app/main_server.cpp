// mercato-server: the headless API server (links no widgets).

#include "config.h"
#include "journallog.h"
#include "runtime.h"

#include <QCoreApplication>
#include <QProcessEnvironment>

#include <cstdio>

int main(int argc, char *argv[])
{
    Mercato::JournalLog::install(); // batched lines; under systemd with their priority
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mercato"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MERCATO_VERSION));
    const Mercato::ConfigOutcome outcome = Mercato::loadConfig(
            QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment(), true);
    if (!outcome.config) {
        std::fprintf(outcome.exitCode ? stderr : stdout, "%s\n", qPrintable(outcome.message));
        return outcome.exitCode;
    }
    return Mercato::runHeadless(*outcome.config);
}
