// mercato: the seller's console with the API on worker threads; `--headless` serves only,
// on a QCoreApplication, without creating a single widget.

#include "config.h"
#include "runtime.h"

#include "ui/mainwindow.h"

#include <QApplication>
#include <QMessageBox>
#include <QProcessEnvironment>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {
bool wantsNoGui(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"--headless", "--help", "-h", "--help-all", "--version", "-v",
                                 "--print-openapi", "check"}) {
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        }
    }
    return false;
}
} // namespace

int main(int argc, char *argv[])
{
    const bool noGui = wantsNoGui(argc, argv);
    std::unique_ptr<QCoreApplication> app = noGui ? std::make_unique<QCoreApplication>(argc, argv)
                                                  : std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mercato"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MERCATO_VERSION));
    const Mercato::ConfigOutcome outcome = Mercato::loadConfig(
            QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment(), false);
    if (!outcome.config) {
        std::fprintf(outcome.exitCode ? stderr : stdout, "%s\n", qPrintable(outcome.message));
        return outcome.exitCode;
    }
    const Mercato::Config &config = *outcome.config;
    if (config.headless || noGui)
        return Mercato::runHeadless(config);

    QApplication::setApplicationDisplayName(QStringLiteral("Mercato"));
    Mercato::Runtime runtime(config);
    if (auto s = runtime.start(); !s) {
        QMessageBox::critical(nullptr, QStringLiteral("Mercato cannot start"), s.error().detail);
        return 1;
    }
    Mercato::onTerminationSignal(app.get(), [] { QCoreApplication::quit(); });
    Mercato::Metrics *metrics = &runtime.metrics();
    Mercato::MainWindow window(runtime.shop(), runtime.apiUrl(),
                               [metrics] { return metrics->requestCount(); });
    window.show();
    const int rc = QApplication::exec();
    runtime.stop();
    return rc;
}
