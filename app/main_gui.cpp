// mercato: the seller's console with the API on worker threads; `--headless` serves only,
// on a QCoreApplication, without creating a single widget.

#include "config.h"
#include "console/metricsmonitor.h"
#include "journallog.h"
#include "runtime.h"

#include "model/secretstore.h"
#include "ui/datalocationdialog.h"
#include "ui/mainwindow.h"
#include "ui/screenshottour.h"

#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QProcessEnvironment>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {
bool wantsNoGui(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag :
             {"--headless", "--help", "-h", "--help-all", "--version", "-v", "--print-openapi",
              "check", "user", "secret", "backup", "restore", "export", "migrate-to"}) {
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        }
    }
    return false;
}

bool namesOption(const QStringList &args, const QString &option)
{
    for (const QString &a : args) {
        if (a == option || a.startsWith(option + QLatin1Char('=')))
            return true;
    }
    return false;
}

bool namesConfigFile(const QStringList &args)
{
    return namesOption(args, QStringLiteral("--config"));
}
} // namespace

int main(int argc, char *argv[])
{
    Mercato::JournalLog::install(); // batched lines; priorities under systemd (--headless service)
    const bool noGui = wantsNoGui(argc, argv);
    std::unique_ptr<QCoreApplication> app = noGui ? std::make_unique<QCoreApplication>(argc, argv)
                                                  : std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mercato"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MERCATO_VERSION));
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QStringList args = QCoreApplication::arguments();
    Mercato::ConfigOutcome outcome = Mercato::loadConfig(args, env, false);
    if (!outcome.config) {
        std::fprintf(outcome.exitCode ? stderr : stdout, "%s\n", qPrintable(outcome.message));
        return outcome.exitCode;
    }
    if (outcome.config->headless || noGui)
        return Mercato::runHeadless(*outcome.config);

    // The console keeps its settings in <data dir>/mercato.conf; read it unless --config names one.
    const QString consoleConfig = Mercato::MetricsMonitor::configFileIn(outcome.config->dataDir);
    // The very first start asks where the shop's data lives (written into that file), unless
    // the database is named already or a demo store was asked for (it goes to the default).
    const bool databaseNamed = env.contains(QStringLiteral("MERCATO_DATABASE"))
                               || namesOption(args, QStringLiteral("--database"))
                               || namesConfigFile(args) || outcome.config->demo;
    if (Mercato::DataLocationDialog::needed(outcome.config->dataDir, consoleConfig,
                                            databaseNamed)) {
        QApplication::setApplicationDisplayName(QStringLiteral("Mercato"));
        Mercato::DataLocationDialog where(outcome.config->dataDir, consoleConfig);
        if (where.exec() != QDialog::Accepted)
            return 0;
    }
    if (!namesConfigFile(args) && QFileInfo::exists(consoleConfig)) {
        args.insert(1, QStringLiteral("--config=") + consoleConfig);
        Mercato::ConfigOutcome withFile = Mercato::loadConfig(args, env, false);
        if (!withFile.config) {
            QMessageBox::critical(nullptr, QObject::tr("Mercato cannot start"), withFile.message);
            return 2;
        }
        outcome = withFile;
    }
    const Mercato::Config &config = *outcome.config;

    QApplication::setApplicationDisplayName(QStringLiteral("Mercato"));
    Mercato::Runtime runtime(config);
    if (auto s = runtime.start(); !s) {
        QMessageBox::critical(nullptr, QObject::tr("Mercato cannot start"), s.error().detail);
        return 1;
    }
    Mercato::onTerminationSignal(app.get(), [] { QCoreApplication::quit(); });

    Mercato::ServerSettings initial;
    initial.listen = config.listenAddress.toString() + QLatin1Char(':')
                     + QString::number(config.listenPort);
    initial.publicUrl = config.publicUrl;
    initial.corsOrigins = config.corsOrigins;
    initial.currency = config.store.currency;
    initial.timeZone = QString::fromUtf8(config.store.timeZone.id());
    initial.tlsCert = config.tlsCert;
    initial.tlsKey = config.tlsKey;
    Mercato::ApiServer *server = &runtime.server();
    Mercato::MetricsMonitor monitor(
            runtime.metrics(), runtime.apiUrl(), [server] { return server->isRunning(); },
            [server] { return server->workerCount(); }, consoleConfig, initial);
    monitor.setSwitch(Mercato::MetricsMonitor::switchFor(*server));
    // The Settings page keeps Stripe, Cloudinary and SMTP secrets in the OS keychain only;
    // the next start reads them from there (resolveSecrets).
    Mercato::KeychainSecretStore keychain(config.keychainService);
    monitor.setSecretStore(&keychain, config.stripeApiBase, config.cloudinaryApiBase);

    int rc = 0;
    {
        Mercato::MainWindow window(runtime.shop(), &monitor);
        window.show();
        window.begin();
        const QString shots = env.value(QStringLiteral("MERCATO_SCREENSHOT_DIR"));
        if (!shots.isEmpty())
            Mercato::runScreenshotTour(window, shots,
                                       env.value(QStringLiteral("MERCATO_SCREENSHOT_EMAIL")),
                                       env.value(QStringLiteral("MERCATO_SCREENSHOT_PASSWORD")));
        rc = QApplication::exec();
    }
    monitor.waitForSwitch(); // a stop the Server page started
    runtime.stop();
    return rc;
}
