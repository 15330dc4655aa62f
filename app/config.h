#pragma once
// Settings from the config file, then the environment (MERCATO_*), then the command line;
// later wins. Bad values are refused with a message naming the setting.

#include "model/database.h"
#include "model/storesettings.h"

#include <QHostAddress>
#include <QProcessEnvironment>
#include <QStringList>

#include <optional>

namespace Mercato {

struct Config
{
    bool headless = false;
    bool demo = false;
    bool printOpenApi = false;
    QString command; // empty: serve; "check"; "user create|reset-password"; "secret set|delete";
                     // "backup FILE"; "restore FILE"; "export KIND [FILE]"
    QStringList commandArgs; // what follows the command: `user create` → {"create"}
    QString userEmail;       // --email (user commands)
    QString userRole = QStringLiteral("seller"); // --role (user create)
    bool userOwner = false;                      // --owner (user create)
    QString userDisplayName; // --display-name (user create); empty: the email's local part
    bool force = false;      // --force (backup, restore): replace what is there
    bool bom = false;        // --bom (export): start the CSV with a UTF-8 byte order mark

    QHostAddress listenAddress;
    quint16 listenPort = 8080;
    QString dataDir;
    DatabaseUrl database;
    QString publicUrl; // empty: derived from the listen address once bound
    QString tlsCert;
    QString tlsKey;
    QStringList corsOrigins;
    QByteArray jwtSecret; // decoded key; empty: generated once and kept
    QString keychainService = QStringLiteral("Mercato"); // the OS keychain entry's service
    QString stripeSecretKey;
    QString stripePublishableKey;
    QString stripeWebhookSecret;
    QString stripeApiBase = QStringLiteral("https://api.stripe.com");
    QString cloudinaryUrl;
    QString cloudinaryApiBase = QStringLiteral("https://api.cloudinary.com");
    QString smtpUrl;
    QString mailFrom;
    // How long a sender's claim on outbox mail lasts: mail a killed process was sending goes
    // out again after this.
    int mailLeaseSeconds = 60;
    // MERCATO_JOB_INTERVAL_SECONDS: how often order expiry and the remote retries run.
    int jobIntervalSeconds = 30;
    int authRateLimit = 20;
    QString metricsToken; // MERCATO_METRICS_TOKEN: /metrics for non-loopback clients with it
    // MERCATO_PASSWORD_CHECKS: password checks at once; -1 (unset): one fewer than the workers,
    // at least 1; 0: no bound.
    int passwordChecks = -1;
    int workers = 0;
    int maxConnectionsPerClient = 64;
    int maxConnections = 1024;
    bool debugRoutes = false;
    bool storefront = true; // MERCATO_STOREFRONT: the web shop at / and /shop
    StoreSettings store;
};

struct ConfigOutcome
{
    std::optional<Config> config;
    int exitCode = 0; // when config is empty: 0 after --help/--version, 2 on errors
    QString message;  // printed to stdout (help, version) or stderr (errors)
};

// `args` includes the program name. `headlessBinary`: mercato-server (always headless).
ConfigOutcome loadConfig(const QStringList &args, const QProcessEnvironment &env,
                         bool headlessBinary);

} // namespace Mercato
