#include "config.h"

#include "model/csvexport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTimeZone>

#include <map>

namespace Mercato {

namespace {

// Every setting by its environment name; the config file uses the same name without the
// MERCATO_ prefix, in lower case (MERCATO_DATA_DIR -> data_dir).
const QStringList kSettings{QStringLiteral("MERCATO_LISTEN"),
                            QStringLiteral("MERCATO_DATA_DIR"),
                            QStringLiteral("MERCATO_DATABASE"),
                            QStringLiteral("MERCATO_PUBLIC_URL"),
                            QStringLiteral("MERCATO_TLS_CERT"),
                            QStringLiteral("MERCATO_TLS_KEY"),
                            QStringLiteral("MERCATO_CORS_ORIGINS"),
                            QStringLiteral("MERCATO_JWT_SECRET"),
                            QStringLiteral("MERCATO_STRIPE_SECRET_KEY"),
                            QStringLiteral("MERCATO_STRIPE_PUBLISHABLE_KEY"),
                            QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET"),
                            QStringLiteral("MERCATO_STRIPE_API_BASE"),
                            QStringLiteral("MERCATO_CLOUDINARY_URL"),
                            QStringLiteral("MERCATO_CLOUDINARY_API_BASE"),
                            QStringLiteral("MERCATO_SMTP_URL"),
                            QStringLiteral("MERCATO_MAIL_FROM"),
                            QStringLiteral("MERCATO_MAIL_LEASE_SECONDS"),
                            QStringLiteral("MERCATO_JOB_INTERVAL_SECONDS"),
                            QStringLiteral("MERCATO_CURRENCY"),
                            QStringLiteral("MERCATO_TIMEZONE"),
                            QStringLiteral("MERCATO_DAILY_COINS"),
                            QStringLiteral("MERCATO_COIN_VALUE_CENTS"),
                            QStringLiteral("MERCATO_MAX_COIN_DISCOUNT_PERCENT"),
                            QStringLiteral("MERCATO_AUTH_RATE_LIMIT"),
                            QStringLiteral("MERCATO_METRICS_TOKEN"),
                            QStringLiteral("MERCATO_CATALOG_CACHE_MIB"),
                            QStringLiteral("MERCATO_PASSWORD_CHECKS"),
                            QStringLiteral("MERCATO_LOW_STOCK_DEFAULT"),
                            QStringLiteral("MERCATO_SELLER_APPROVAL"),
                            QStringLiteral("MERCATO_EMAIL_VERIFICATION"),
                            QStringLiteral("MERCATO_PENDING_ORDER_TTL_MINUTES"),
                            QStringLiteral("MERCATO_MAX_UNPAID_ORDERS"),
                            QStringLiteral("MERCATO_MAX_HELD_UNITS"),
                            QStringLiteral("MERCATO_MAX_OPEN_COMPLAINTS"),
                            QStringLiteral("MERCATO_EVIDENCE_MIB_PER_DAY"),
                            QStringLiteral("MERCATO_MIN_FREE_DISK_MIB"),
                            QStringLiteral("MERCATO_WORKERS"),
                            QStringLiteral("MERCATO_MAX_CONNECTIONS_PER_CLIENT"),
                            QStringLiteral("MERCATO_MAX_CONNECTIONS"),
                            QStringLiteral("MERCATO_DEBUG_ROUTES"),
                            QStringLiteral("MERCATO_DEMO"),
                            QStringLiteral("MERCATO_STOREFRONT")};

QString fileKey(const QString &envName)
{
    return envName.mid(8).toLower();
}

struct Builder
{
    std::map<QString, QString> values; // by environment name
    QStringList errors;

    std::optional<QString> get(const QString &name) const
    {
        const auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional<QString>(it->second);
    }

    int integer(const QString &name, int fallback, int min, int max)
    {
        const auto v = get(name);
        if (!v)
            return fallback;
        bool ok = false;
        const int n = v->trimmed().toInt(&ok);
        if (!ok || n < min || n > max) {
            errors.append(QStringLiteral("%1: '%2' is not a whole number from %3 to %4")
                                  .arg(name, *v)
                                  .arg(min)
                                  .arg(max));
            return fallback;
        }
        return n;
    }

    bool flag(const QString &name, bool fallback)
    {
        const auto v = get(name);
        if (!v)
            return fallback;
        const QString s = v->trimmed().toLower();
        if (s == QLatin1String("on") || s == QLatin1String("true") || s == QLatin1String("1")
            || s == QLatin1String("yes"))
            return true;
        if (s == QLatin1String("off") || s == QLatin1String("false") || s == QLatin1String("0")
            || s == QLatin1String("no"))
            return false;
        errors.append(QStringLiteral("%1: '%2' must be on or off").arg(name, *v));
        return fallback;
    }
};

bool parseListen(const QString &text, QHostAddress *address, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const int p = text.mid(colon + 1).toInt(&ok);
    if (!ok || p < 0 || p > 65535)
        return false;
    if (host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    QHostAddress a;
    if (!a.setAddress(host))
        return false;
    *address = a;
    *port = quint16(p);
    return true;
}

} // namespace

ConfigOutcome loadConfig(const QStringList &args, const QProcessEnvironment &env,
                         bool headlessBinary)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Mercato: a merchant suite (shop database, REST API, seller console).\n"
                           "Settings come from --config FILE, then MERCATO_* environment "
                           "variables, then these options."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOpt(
            QStringLiteral("config"),
            QStringLiteral("INI file with settings (keys like data_dir)."), QStringLiteral("file"));
    const QCommandLineOption listenOpt(QStringLiteral("listen"),
                                       QStringLiteral("Address:port of the API."),
                                       QStringLiteral("addr:port"));
    const QCommandLineOption dataOpt(QStringLiteral("data-dir"),
                                     QStringLiteral("Database, media and mail outbox folder."),
                                     QStringLiteral("dir"));
    const QCommandLineOption dbOpt(
            QStringLiteral("database"),
            QStringLiteral("sqlite:PATH or postgresql://user:pass@host:port/db"),
            QStringLiteral("url"));
    const QCommandLineOption workersOpt(QStringLiteral("workers"),
                                        QStringLiteral("API worker threads (default: cores)."),
                                        QStringLiteral("n"));
    const QCommandLineOption demoOpt(QStringLiteral("demo"),
                                     QStringLiteral("Fill an empty store with sample data."));
    const QCommandLineOption headlessOpt(QStringLiteral("headless"),
                                         QStringLiteral("Serve the API only, no console."));
    const QCommandLineOption openApiOpt(QStringLiteral("print-openapi"),
                                        QStringLiteral("Print the OpenAPI document and exit."));
    const QCommandLineOption emailOpt(QStringLiteral("email"),
                                      QStringLiteral("The account of a user command."),
                                      QStringLiteral("email"));
    const QCommandLineOption roleOpt(QStringLiteral("role"),
                                     QStringLiteral("user create: seller (default) or customer."),
                                     QStringLiteral("role"));
    const QCommandLineOption nameOpt(QStringLiteral("display-name"),
                                     QStringLiteral("user create: the display name (default: the "
                                                    "email's local part)."),
                                     QStringLiteral("name"));
    const QCommandLineOption ownerOpt(
            QStringLiteral("owner"),
            QStringLiteral("user create: the new seller owns the store (implies --role seller)."));
    const QCommandLineOption forceOpt(
            QStringLiteral("force"),
            QStringLiteral("backup, restore: replace an existing file or shop."));
    const QCommandLineOption bomOpt(
            QStringLiteral("bom"),
            QStringLiteral("export: start the CSV with a UTF-8 byte order mark "
                           "(for spreadsheet programs)."));
    parser.addOptions({configOpt, listenOpt, dataOpt, dbOpt, workersOpt, demoOpt, headlessOpt,
                       openApiOpt, emailOpt, roleOpt, nameOpt, ownerOpt, forceOpt, bomOpt});
    parser.addPositionalArgument(
            QStringLiteral("command"),
            QStringLiteral(
                    "Optional:\n"
                    "  check                      every product's stock equals its ledger and\n"
                    "                             every category's count its live products\n"
                    "  user create --email E [--role seller|customer] [--display-name N]\n"
                    "                             a new account; the password is read from stdin\n"
                    "  user create ... --owner     the store's owner (a seller)\n"
                    "  user set-owner --email E   make an existing seller the owner\n"
                    "  user reset-password --email E\n"
                    "                             a new password read from stdin; ends every "
                    "session\n"
                    "  secret set NAME            keep a secret setting "
                    "(MERCATO_STRIPE_SECRET_KEY,\n"
                    "                             ..._WEBHOOK_SECRET, MERCATO_CLOUDINARY_URL,\n"
                    "                             MERCATO_SMTP_URL) read from stdin: in the OS "
                    "keychain\n"
                    "                             (mercato), in <data dir>/secrets "
                    "(mercato-server)\n"
                    "  secret delete NAME         forget it\n"
                    "  backup FILE [--force]      a consistent copy of the SQLite shop, taken "
                    "while\n"
                    "                             the server runs (PostgreSQL: use pg_dump)\n"
                    "  restore FILE [--force]     put a backup in place of the SQLite shop (stop "
                    "the\n"
                    "                             server first; --force replaces an existing "
                    "shop)\n"
                    "  export KIND [--bom] [FILE] CSV of orders, lines, products, stock-ledger or\n"
                    "                             refunds to FILE or stdout\n"
                    "  migrate-to URL             copy this SQLite shop into the empty PostgreSQL\n"
                    "                             database at URL and check counts and sums"),
            QStringLiteral("[command]"));

    ConfigOutcome out;
    if (!parser.parse(args)) {
        out.exitCode = 2;
        out.message = parser.errorText() + QStringLiteral("\nTry --help.");
        return out;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out.message = parser.helpText();
        return out;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        out.message = QCoreApplication::applicationName() + QLatin1Char(' ')
                      + QCoreApplication::applicationVersion();
        return out;
    }

    Builder b;
    // 1. the file
    if (parser.isSet(configOpt)) {
        const QString path = parser.value(configOpt);
        if (!QFileInfo(path).isReadable()) {
            out.exitCode = 2;
            out.message = QStringLiteral("--config: cannot read %1").arg(path);
            return out;
        }
        QSettings file(path, QSettings::IniFormat);
        const QStringList keys = file.allKeys();
        for (const QString &key : keys) {
            QString envName;
            for (const QString &name : kSettings) {
                if (fileKey(name) == key.toLower()
                    || (QStringLiteral("mercato/") + fileKey(name)) == key.toLower())
                    envName = name;
            }
            if (envName.isEmpty()) {
                b.errors.append(QStringLiteral("%1: unknown setting '%2'").arg(path, key));
                continue;
            }
            const QVariant v = file.value(key);
            b.values[envName] = v.userType() == QMetaType::QStringList
                                        ? v.toStringList().join(QLatin1Char(','))
                                        : v.toString();
        }
    }
    // 2. the environment
    for (const QString &name : kSettings) {
        if (env.contains(name))
            b.values[name] = env.value(name);
    }
    // 3. the command line
    if (parser.isSet(listenOpt))
        b.values[QStringLiteral("MERCATO_LISTEN")] = parser.value(listenOpt);
    if (parser.isSet(dataOpt))
        b.values[QStringLiteral("MERCATO_DATA_DIR")] = parser.value(dataOpt);
    if (parser.isSet(dbOpt))
        b.values[QStringLiteral("MERCATO_DATABASE")] = parser.value(dbOpt);
    if (parser.isSet(workersOpt))
        b.values[QStringLiteral("MERCATO_WORKERS")] = parser.value(workersOpt);

    Config c;
    c.headless = headlessBinary || parser.isSet(headlessOpt);
    c.printOpenApi = parser.isSet(openApiOpt);
    const QStringList positional = parser.positionalArguments();
    const QString command = positional.value(0);
    const QString sub = positional.value(1);
    const bool known
            = positional.isEmpty() || (command == QLatin1String("check") && positional.size() == 1)
              || (command == QLatin1String("user") && positional.size() == 2
                  && (sub == QLatin1String("create") || sub == QLatin1String("reset-password")
                      || sub == QLatin1String("set-owner")))
              || (command == QLatin1String("secret") && positional.size() == 3
                  && (sub == QLatin1String("set") || sub == QLatin1String("delete")))
              || ((command == QLatin1String("backup") || command == QLatin1String("restore")
                   || command == QLatin1String("migrate-to"))
                  && positional.size() == 2)
              || (command == QLatin1String("export")
                  && (positional.size() == 2 || positional.size() == 3)
                  && Export::kinds().contains(sub));
    if (!known) {
        out.exitCode = 2;
        out.message = command == QLatin1String("export")
                              ? QStringLiteral("export KIND [FILE]: KIND is one of %1")
                                        .arg(Export::kinds().join(QStringLiteral(", ")))
                              : QStringLiteral("unknown command '%1'; try --help")
                                        .arg(positional.join(QLatin1Char(' ')));
        return out;
    }
    c.command = command;
    c.commandArgs = positional.mid(1);
    if (command == QLatin1String("user")) {
        c.userEmail = parser.value(emailOpt);
        if (c.userEmail.isEmpty())
            b.errors.append(QStringLiteral("user %1: --email is required").arg(sub));
        if (parser.isSet(roleOpt))
            c.userRole = parser.value(roleOpt);
        c.userOwner = parser.isSet(ownerOpt);
        if (c.userOwner && c.userRole != QLatin1String("seller"))
            b.errors.append(QStringLiteral("user create: --owner is a seller (--role seller)"));
        c.userDisplayName = parser.value(nameOpt);
    }
    c.force = parser.isSet(forceOpt);
    c.bom = parser.isSet(bomOpt);

    const QString listen = b.get(QStringLiteral("MERCATO_LISTEN"))
                                   .value_or(c.headless ? QStringLiteral("0.0.0.0:8080")
                                                        : QStringLiteral("127.0.0.1:8080"));
    if (!parseListen(listen, &c.listenAddress, &c.listenPort))
        b.errors.append(QStringLiteral("MERCATO_LISTEN / --listen: '%1' is not address:port with a "
                                       "port from 0 to 65535")
                                .arg(listen));

    c.dataDir
            = b.get(QStringLiteral("MERCATO_DATA_DIR"))
                      .value_or(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation));
    c.dataDir = QDir(c.dataDir).absolutePath();
    const QString dbUrl = b.get(QStringLiteral("MERCATO_DATABASE"))
                                  .value_or(QStringLiteral("sqlite:") + c.dataDir
                                            + QStringLiteral("/mercato.db"));
    if (auto parsed = DatabaseUrl::parse(dbUrl))
        c.database = parsed.value();
    else
        b.errors.append(QStringLiteral("MERCATO_DATABASE / --database: ") + parsed.error().detail);

    c.publicUrl = b.get(QStringLiteral("MERCATO_PUBLIC_URL")).value_or(QString());
    while (c.publicUrl.endsWith(QLatin1Char('/')))
        c.publicUrl.chop(1);
    c.tlsCert = b.get(QStringLiteral("MERCATO_TLS_CERT")).value_or(QString());
    c.tlsKey = b.get(QStringLiteral("MERCATO_TLS_KEY")).value_or(QString());
    if (c.tlsCert.isEmpty() != c.tlsKey.isEmpty())
        b.errors.append(QStringLiteral("MERCATO_TLS_CERT and MERCATO_TLS_KEY go together"));
    const QStringList origins = b.get(QStringLiteral("MERCATO_CORS_ORIGINS"))
                                        .value_or(QString())
                                        .split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &o : origins)
        c.corsOrigins.append(o.trimmed());

    if (const auto secret = b.get(QStringLiteral("MERCATO_JWT_SECRET"));
        secret && !secret->isEmpty()) {
        const auto decoded = QByteArray::fromBase64Encoding(
                secret->trimmed().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || (*decoded).size() < 32)
            b.errors.append(QStringLiteral("MERCATO_JWT_SECRET must be standard base64 of at least "
                                           "32 bytes"));
        else
            c.jwtSecret = *decoded;
    }
    c.stripeSecretKey = b.get(QStringLiteral("MERCATO_STRIPE_SECRET_KEY")).value_or(QString());
    c.stripePublishableKey
            = b.get(QStringLiteral("MERCATO_STRIPE_PUBLISHABLE_KEY")).value_or(QString());
    c.stripeWebhookSecret
            = b.get(QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET")).value_or(QString());
    c.stripeApiBase = b.get(QStringLiteral("MERCATO_STRIPE_API_BASE")).value_or(c.stripeApiBase);
    c.cloudinaryUrl = b.get(QStringLiteral("MERCATO_CLOUDINARY_URL")).value_or(QString());
    c.cloudinaryApiBase
            = b.get(QStringLiteral("MERCATO_CLOUDINARY_API_BASE")).value_or(c.cloudinaryApiBase);
    c.smtpUrl = b.get(QStringLiteral("MERCATO_SMTP_URL")).value_or(QString());
    c.mailFrom
            = b.get(QStringLiteral("MERCATO_MAIL_FROM")).value_or(QStringLiteral("shop@localhost"));

    c.store.currency = b.get(QStringLiteral("MERCATO_CURRENCY"))
                               .value_or(QStringLiteral("USD"))
                               .trimmed()
                               .toUpper();
    static const QRegularExpression currencyRe(QStringLiteral("^[A-Z]{3}$"));
    if (!currencyRe.match(c.store.currency).hasMatch())
        b.errors.append(QStringLiteral("MERCATO_CURRENCY: '%1' is not an ISO 4217 code")
                                .arg(c.store.currency));
    if (const auto tz = b.get(QStringLiteral("MERCATO_TIMEZONE")); tz && !tz->isEmpty()) {
        const QTimeZone zone(tz->trimmed().toUtf8());
        if (!zone.isValid())
            b.errors.append(QStringLiteral("MERCATO_TIMEZONE: unknown time zone '%1'").arg(*tz));
        else
            c.store.timeZone = zone;
    }
    c.store.dailyCoins = b.integer(QStringLiteral("MERCATO_DAILY_COINS"), 10, 0, 1'000'000);
    c.store.coinValueCents = b.integer(QStringLiteral("MERCATO_COIN_VALUE_CENTS"), 1, 0, 1'000'000);
    c.store.maxCoinDiscountPercent
            = b.integer(QStringLiteral("MERCATO_MAX_COIN_DISCOUNT_PERCENT"), 50, 0, 100);
    c.authRateLimit = b.integer(QStringLiteral("MERCATO_AUTH_RATE_LIMIT"), 20, 0, 1'000'000);
    c.metricsToken = b.get(QStringLiteral("MERCATO_METRICS_TOKEN")).value_or(QString()).trimmed();
    static const QRegularExpression bearerToken(QStringLiteral("^[A-Za-z0-9._~+/-]{16,256}=*$"));
    if (!c.metricsToken.isEmpty() && !bearerToken.match(c.metricsToken).hasMatch())
        b.errors.append(QStringLiteral("MERCATO_METRICS_TOKEN must be 16 to 256 characters of "
                                       "A-Z a-z 0-9 . _ ~ + / - (a bearer token)"));
    c.store.catalogCacheBytesPerWorker
            = qint64(b.integer(QStringLiteral("MERCATO_CATALOG_CACHE_MIB"), 4, 0, 4096)) * 1024
              * 1024;
    c.passwordChecks = b.integer(QStringLiteral("MERCATO_PASSWORD_CHECKS"), -1, 0, 256);
    c.mailLeaseSeconds = b.integer(QStringLiteral("MERCATO_MAIL_LEASE_SECONDS"), 60, 1, 3600);
    c.jobIntervalSeconds = b.integer(QStringLiteral("MERCATO_JOB_INTERVAL_SECONDS"), 30, 1, 3600);
    c.store.lowStockDefault
            = b.integer(QStringLiteral("MERCATO_LOW_STOCK_DEFAULT"), 5, 0, 1'000'000);
    c.store.sellerApproval = b.flag(QStringLiteral("MERCATO_SELLER_APPROVAL"), true);
    c.store.verifyNewAccounts = b.flag(QStringLiteral("MERCATO_EMAIL_VERIFICATION"), true);
    c.store.pendingOrderTtlMinutes
            = b.integer(QStringLiteral("MERCATO_PENDING_ORDER_TTL_MINUTES"), 60, 1, 60 * 24 * 30);
    c.store.maxUnpaidOrders
            = b.integer(QStringLiteral("MERCATO_MAX_UNPAID_ORDERS"), 3, 0, 1'000'000);
    c.store.maxHeldUnits = b.integer(QStringLiteral("MERCATO_MAX_HELD_UNITS"), 99, 0, 1'000'000);
    c.store.maxOpenComplaintsPerOrder
            = b.integer(QStringLiteral("MERCATO_MAX_OPEN_COMPLAINTS"), 3, 0, 1000);
    c.store.evidenceMiBPerDay
            = b.integer(QStringLiteral("MERCATO_EVIDENCE_MIB_PER_DAY"), 100, 0, 1'000'000);
    c.store.minFreeDiskMiB
            = b.integer(QStringLiteral("MERCATO_MIN_FREE_DISK_MIB"), 512, 0, 1'000'000'000);
    c.workers = b.integer(QStringLiteral("MERCATO_WORKERS"), 0, 0, 256);
    c.maxConnectionsPerClient
            = b.integer(QStringLiteral("MERCATO_MAX_CONNECTIONS_PER_CLIENT"), 64, 1, 100'000);
    c.maxConnections = b.integer(QStringLiteral("MERCATO_MAX_CONNECTIONS"), 1024, 1, 1'000'000);
    c.debugRoutes = b.flag(QStringLiteral("MERCATO_DEBUG_ROUTES"), false);
    c.storefront = b.flag(QStringLiteral("MERCATO_STOREFRONT"), true);
    c.demo = parser.isSet(demoOpt) || b.flag(QStringLiteral("MERCATO_DEMO"), false);

    if (!b.errors.isEmpty()) {
        out.exitCode = 2;
        out.message = b.errors.join(QLatin1Char('\n'));
        return out;
    }
    out.config = c;
    return out;
}

} // namespace Mercato
