#include "runtime.h"

#include "server/api.h"
#include "server/opsroutes.h"

#include "model/backup.h"
#include "model/catalog.h"
#include "model/categories.h"
#include "model/cloudinaryimagestore.h"
#include "model/csvexport.h"
#include "model/demo.h"
#include "model/ids.h"
#include "model/inventory.h"
#include "model/migrateto.h"
#include "model/secretstore.h"
#include "model/smtpmailer.h"
#include "model/storeowner.h"
#include "model/tlsfiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QSocketNotifier>
#include <QSslCertificate>
#include <QSslKey>
#include <QThread>

#include <csignal>
#include <cstdio>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcApp, "mercato.app")

namespace Mercato {

Runtime::Runtime(Config config)
    : m_config(std::move(config))
{}

Runtime::~Runtime()
{
    stop();
}

namespace {
// The API workers' nice value when the console is open (Runtime::start).
constexpr int kConsoleWorkerNice = 5;
const QString kJwtKeyName = QStringLiteral("jwt.key");

Result<QByteArray> usable(const QByteArray &key, const QString &where)
{
    if (key.size() >= 32)
        return key;
    return makeError(ErrorCode::Unavailable,
                     where + QStringLiteral(" does not hold a 256-bit key"));
}
} // namespace

Result<QByteArray> resolveJwtKey(const Config &config)
{
    if (!config.jwtSecret.isEmpty())
        return config.jwtSecret;
    // Generated once; kept in the OS keychain on a desktop, else in a file only its owner
    // can read (headless, or a desktop without a usable keychain).
    FileSecretStore file(config.dataDir);
    if (!config.headless) {
        KeychainSecretStore keychain(config.keychainService);
        auto stored = keychain.read(kJwtKeyName);
        if (stored && stored->has_value())
            return usable(stored->value(), keychain.describe());
        if (stored) {
            // A key an earlier headless run kept in the file stays in use (its sessions too).
            auto fromFile = file.read(kJwtKeyName);
            if (fromFile && fromFile->has_value())
                return usable(fromFile->value(), file.pathFor(kJwtKeyName));
            const QByteArray key = Ids::randomBytes(32);
            if (keychain.write(kJwtKeyName, key)) {
                qCInfo(lcApp).noquote()
                        << "generated a new JWT signing key in" << keychain.describe();
                return key;
            }
        }
        qCInfo(lcApp) << "no usable OS keychain: keeping the JWT signing key in an owner-only file";
    }
    auto fromFile = file.read(kJwtKeyName);
    if (!fromFile)
        return fromFile.error();
    if (fromFile->has_value())
        return usable(fromFile->value(), file.pathFor(kJwtKeyName));
    const QByteArray key = Ids::randomBytes(32);
    if (auto s = file.write(kJwtKeyName, key); !s)
        return s.error();
    qCInfo(lcApp).noquote() << "generated a new JWT signing key in" << file.pathFor(kJwtKeyName);
    return key;
}

namespace {
struct SecretSetting
{
    QString name;
    QString Config::*field;
};

const QList<SecretSetting> &secretSettings()
{
    static const QList<SecretSetting> settings{
            {QStringLiteral("MERCATO_STRIPE_SECRET_KEY"), &Config::stripeSecretKey},
            {QStringLiteral("MERCATO_STRIPE_PUBLISHABLE_KEY"), &Config::stripePublishableKey},
            {QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET"), &Config::stripeWebhookSecret},
            {QStringLiteral("MERCATO_CLOUDINARY_URL"), &Config::cloudinaryUrl},
            {QStringLiteral("MERCATO_SMTP_URL"), &Config::smtpUrl},
            {QStringLiteral("MERCATO_METRICS_TOKEN"), &Config::metricsToken}};
    return settings;
}
} // namespace

QStringList secretSettingNames()
{
    QStringList names;
    for (const SecretSetting &s : secretSettings())
        names.append(s.name);
    return names;
}

std::unique_ptr<SecretStore> openSecretStore(const Config &config)
{
    if (!config.headless) {
        auto keychain = std::make_unique<KeychainSecretStore>(config.keychainService);
        if (keychain->isAvailable())
            return keychain;
        qCInfo(lcApp) << "no usable OS keychain: secrets are kept in owner-only files instead";
    }
    return std::make_unique<FileSecretStore>(config.dataDir + QStringLiteral("/secrets"));
}

Status resolveSecrets(Config &config)
{
    QList<SecretSetting> missing;
    for (const SecretSetting &s : secretSettings()) {
        if ((config.*s.field).isEmpty())
            missing.append(s);
    }
    if (missing.isEmpty())
        return Ok{};
    const std::unique_ptr<SecretStore> store = openSecretStore(config);
    for (const SecretSetting &s : std::as_const(missing)) {
        auto value = store->read(s.name);
        if (!value)
            return value.error();
        if (!value->has_value() || value->value().isEmpty())
            continue;
        config.*s.field = QString::fromUtf8(value->value()).trimmed();
        qCInfo(lcApp).noquote() << s.name << "from" << store->describe();
    }
    return Ok{};
}

namespace {
// Read through the owner's pointer: the gauges outlive the listener, which stops with the shop.
void addClusterGauges(Metrics &metrics, const std::unique_ptr<ClusterEvents> &cluster)
{
    metrics.addGauge(QStringLiteral("mercato_cluster_events_received_total"),
                     QStringLiteral("Changes made by other processes on the shared PostgreSQL "
                                    "database, received through LISTEN/NOTIFY, by event."),
                     [&cluster] {
                         std::vector<std::pair<QString, double>> out;
                         const auto counts
                                 = cluster ? cluster->receivedCounts() : QHash<QString, quint64>();
                         for (auto it = counts.cbegin(); it != counts.cend(); ++it)
                             out.emplace_back(QStringLiteral("event=\"%1\"").arg(it.key()),
                                              double(it.value()));
                         return out;
                     });
    metrics.addGauge(QStringLiteral("mercato_cluster_events_sent_total"),
                     QStringLiteral("Changes of this process announced to the others (NOTIFY)."),
                     [&cluster] {
                         return std::vector<std::pair<QString, double>>{
                                 {QString(), cluster ? double(cluster->sentCount()) : 0.0}};
                     });
    metrics.addGauge(QStringLiteral("mercato_cluster_listening"),
                     QStringLiteral("1 while this process LISTENs for the others' changes "
                                    "(PostgreSQL), else 0."),
                     [&cluster] {
                         return std::vector<std::pair<QString, double>>{
                                 {QString(), cluster && cluster->isListening() ? 1.0 : 0.0}};
                     });
}
} // namespace

Status Runtime::start()
{
    if (!QDir().mkpath(m_config.dataDir))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot create the data folder ") + m_config.dataDir);
    if (auto s = resolveSecrets(m_config); !s)
        return s;
    auto key = resolveJwtKey(m_config);
    if (!key)
        return key.error();

    ShopOptions options;
    options.database = m_config.database;
    options.settings = m_config.store;
    options.settings.publicUrl
            = m_config.listenPort == 0 && m_config.publicUrl.isEmpty()
                      ? QString() // not known before binding: media URLs stay relative
                      : apiUrl();
    options.jwtKey = key.value();
    options.dataDir = m_config.dataDir;
    options.mailFrom = m_config.mailFrom;
    options.payments.stripeSecretKey = m_config.stripeSecretKey;
    options.payments.stripePublishableKey = m_config.stripePublishableKey;
    options.payments.stripeWebhookSecret = m_config.stripeWebhookSecret;
    options.payments.stripeApiBase = m_config.stripeApiBase;
    m_shop = std::make_unique<Shop>(options);
    RetryPolicy mailPolicy;
    mailPolicy.claimLeaseMs = m_config.mailLeaseSeconds * 1000;
    if (!m_config.smtpUrl.isEmpty()) {
        auto smtp = SmtpMailer::parseUrl(m_config.smtpUrl, m_shop->mailFrom());
        if (!smtp)
            return smtp.error();
        m_shop->setMailer(std::make_unique<SmtpMailer>(smtp.value()), mailPolicy);
    } else if (mailPolicy.claimLeaseMs != RetryPolicy{}.claimLeaseMs) {
        m_shop->setMailer(std::make_unique<OutboxMailer>(
                                  m_config.dataDir + QStringLiteral("/outbox"), m_shop->mailFrom()),
                          mailPolicy);
    }
    qCInfo(lcApp).noquote() << "mail goes to" << m_shop->mail().mailer().describe();
    if (!m_config.cloudinaryUrl.isEmpty()) {
        auto cloudinary = CloudinaryImageStore::parseUrl(m_config.cloudinaryUrl,
                                                         m_config.cloudinaryApiBase);
        if (!cloudinary)
            return cloudinary.error();
        qCInfo(lcApp).noquote() << "images kept by Cloudinary cloud" << cloudinary->cloudName
                                << "at" << cloudinary->apiBase;
        m_shop->setImageStore(std::make_unique<CloudinaryImageStore>(cloudinary.value()));
    }
    if (auto s = m_shop->open(); !s)
        return s;
    if (m_config.demo) {
        if (auto seeded = Demo::seed(*m_shop); !seeded)
            return seeded.error();
    }
    if (options.payments.stripeEnabled())
        qCInfo(lcApp) << "payments: Stripe at" << options.payments.stripeApiBase;
    m_sweeper = std::make_unique<OrderSweeper>(m_shop->orders(), m_shop->database(),
                                               m_config.jobIntervalSeconds * 1000);
    m_sweeper->start();
    m_cluster = std::make_unique<ClusterEvents>(m_shop->database(), m_shop->events());
    m_cluster->start();
    if (m_shop->database().engine() == Engine::Sqlite)
        m_checkpointer = std::make_unique<WalCheckpointer>(m_shop->database());
    addClusterGauges(m_metrics, m_cluster);

    ServerOptions server;
    server.address = m_config.listenAddress;
    server.port = m_config.listenPort;
    server.workers = m_config.workers;
    // With a window, the seller's clicks come before customers' requests for the CPU.
    server.workerNice = m_config.headless ? 0 : kConsoleWorkerNice;
    server.limits.maxConnectionsPerAddress = m_config.maxConnectionsPerClient;
    server.limits.maxConnections = m_config.maxConnections;
    if (!m_config.tlsCert.isEmpty()) {
        auto files = loadTlsFiles(m_config.tlsCert, m_config.tlsKey);
        if (!files)
            return makeError(ErrorCode::Unavailable,
                             QStringLiteral("TLS: ") + files.error().detail);
        const QList<QSslCertificate> chain = files->chain;
        const QSslKey tlsKey = files->key;
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificateChain(chain);
        tls.setPrivateKey(tlsKey);
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        server.tls = tls;
    }

    ApiOptions api;
    api.corsOrigins = m_config.corsOrigins;
    api.debugRoutes = m_config.debugRoutes;
    api.authRateLimit = m_config.authRateLimit;
    api.metricsToken = m_config.metricsToken.toUtf8();
    api.passwordChecks = m_config.passwordChecks >= 0
                                 ? m_config.passwordChecks
                                 : std::max(1, (server.workers > 0 ? server.workers
                                                                   : QThread::idealThreadCount())
                                                       - 1);
    api.storefront.enabled = m_config.storefront;
    api.storefront.stripePublishableKey
            = m_config.stripeSecretKey.isEmpty() ? QString() : m_config.stripePublishableKey;
    registerApi(m_router, *m_shop, m_metrics, api);

    Shop *shop = m_shop.get();
    m_server = std::make_unique<ApiServer>(&m_router, &m_metrics, server);
    if (auto s = m_server->start(); !s)
        return s;

    m_sweepPool.setMaxThreadCount(1);
    m_refundSweep.setInterval(m_config.jobIntervalSeconds * 1000);
    QObject::connect(&m_refundSweep, &QTimer::timeout, &m_refundSweep, [this, shop] {
        m_sweepPool.tryStart([shop] {
            shop->refunds().retryDue();
            shop->catalog().retryMediaDeletions(); // remote image deletes that failed earlier
            shop->database().releaseThreadConnection();
        });
    });
    m_refundSweep.start();
    return Ok{};
}

void Runtime::stop()
{
    m_refundSweep.stop();
    m_sweepPool.waitForDone();
    if (m_server) {
        m_server->stop();
        m_server.reset();
    }
    m_sweeper.reset();
    m_cluster.reset();
    m_checkpointer.reset();
    m_shop.reset();
}

QString Runtime::apiUrl() const
{
    if (!m_config.publicUrl.isEmpty())
        return m_config.publicUrl;
    QString host = m_config.listenAddress.toString();
    if (m_config.listenAddress == QHostAddress::AnyIPv4
        || m_config.listenAddress == QHostAddress::Any)
        host = QStringLiteral("127.0.0.1");
    const quint16 port = m_server ? m_server->port() : m_config.listenPort;
    return QStringLiteral("%1://%2:%3")
            .arg(m_config.tlsCert.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"),
                 host)
            .arg(port);
}

namespace {
int s_signalFds[2] = {-1, -1};

void signalHandler(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(s_signalFds[0], &c, 1);
}
} // namespace

void onTerminationSignal(QObject *context, std::function<void()> handler)
{
    if (s_signalFds[0] < 0
        && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s_signalFds) != 0)
        return;
    auto *notifier = new QSocketNotifier(qintptr(s_signalFds[1]), QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [handler] {
        char c;
        [[maybe_unused]] const auto n = ::read(s_signalFds[1], &c, 1);
        handler();
    });
    struct sigaction sa
    {
    };
    sa.sa_handler = signalHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

namespace {
// Many open connections need descriptors: take the hard limit.
void raiseDescriptorLimit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}
} // namespace

namespace {
// One line from stdin without its line end; with no echo when stdin is a terminal.
QString readSecretLine(const char *prompt)
{
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (tty) {
        std::fprintf(stderr, "%s", prompt);
        std::fflush(stderr);
        if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
            termios quiet = saved;
            quiet.c_lflag &= ~tcflag_t(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
    }
    QFile in;
    QByteArray line;
    if (in.open(stdin, QIODevice::ReadOnly))
        line = in.readLine(64 * 1024);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fprintf(stderr, "\n");
    }
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    return QString::fromUtf8(line);
}

void printError(const char *command, const Error &error)
{
    std::fprintf(stderr, "mercato %s: %s\n", command, qPrintable(error.detail));
    for (const FieldError &f : error.fields)
        std::fprintf(stderr, "  %s: %s\n", qPrintable(f.field), qPrintable(f.message));
}

// `user create` and `user reset-password`: the owner's way in on a headless server.
int runUserCommand(const Config &config)
{
    const QString sub = config.commandArgs.value(0);
    const QString password
            = sub == QLatin1String("set-owner")
                      ? QString()
                      : readSecretLine(sub == QLatin1String("create") ? "Password: "
                                                                      : "New password: ");
    if (!QDir().mkpath(config.dataDir)) {
        std::fprintf(stderr, "mercato user: cannot create the data folder %s\n",
                     qPrintable(config.dataDir));
        return 2;
    }
    auto key = resolveJwtKey(config);
    if (!key) {
        printError("user", key.error());
        return 2;
    }
    ShopOptions options;
    options.database = config.database;
    options.settings = config.store;
    options.jwtKey = key.value();
    options.dataDir = config.dataDir;
    options.mailFrom = config.mailFrom;
    Shop shop(options);
    if (auto s = shop.open(); !s) {
        printError("user", s.error());
        return 2;
    }
    Accounts &accounts = shop.accounts();
    if (sub == QLatin1String("create")) {
        Registration r;
        r.email = config.userEmail;
        r.password = password;
        r.role = config.userRole;
        r.displayName = config.userDisplayName.isEmpty()
                                ? config.userEmail.section(QLatin1Char('@'), 0, 0)
                                : config.userDisplayName;
        auto session = accounts.registerAccount(r);
        if (!session) {
            printError("user create", session.error());
            return 1;
        }
        // The owner made it: a seller needs no further approval.
        if (session->user.status == QLatin1String("pending")) {
            if (auto s = accounts.approveSeller(session->user.id); !s) {
                printError("user create", s.error());
                return 1;
            }
        }
        if (config.userOwner) {
            if (auto s = StoreOwner::setOwner(shop.database(), session->user.id); !s) {
                printError("user create", s.error());
                return 1;
            }
        }
        std::fprintf(stdout, "created %s%s %s (id %s)\n", config.userOwner ? "owner " : "",
                     qPrintable(session->user.role), qPrintable(session->user.email),
                     qPrintable(session->user.id));
        return 0;
    }
    auto account = accounts.accountByEmail(config.userEmail);
    if (!account) {
        printError(sub == QLatin1String("set-owner") ? "user set-owner" : "user reset-password",
                   account.error());
        return 1;
    }
    if (sub == QLatin1String("set-owner")) {
        if (auto s = StoreOwner::setOwner(shop.database(), account->id); !s) {
            printError("user set-owner", s.error());
            return 1;
        }
        std::fprintf(stdout, "%s owns the store\n", qPrintable(account->email));
        return 0;
    }
    if (auto s = accounts.setPassword(account->id, password); !s) {
        printError("user reset-password", s.error());
        return 1;
    }
    std::fprintf(stdout, "new password set for %s; every session of the account ended\n",
                 qPrintable(account->email));
    return 0;
}

// `secret set NAME` / `secret delete NAME`.
int runSecretCommand(const Config &config)
{
    const QString sub = config.commandArgs.value(0);
    const QString name = config.commandArgs.value(1);
    if (!secretSettingNames().contains(name)) {
        std::fprintf(stderr, "mercato secret: '%s' is not a secret setting (%s)\n",
                     qPrintable(name), qPrintable(secretSettingNames().join(QStringLiteral(", "))));
        return 2;
    }
    const std::unique_ptr<SecretStore> store = openSecretStore(config);
    if (sub == QLatin1String("delete")) {
        if (auto s = store->remove(name); !s) {
            printError("secret delete", s.error());
            return 1;
        }
        std::fprintf(stdout, "%s removed from %s\n", qPrintable(name),
                     qPrintable(store->describe()));
        return 0;
    }
    const QString value = readSecretLine("Value: ").trimmed();
    if (value.isEmpty()) {
        std::fprintf(stderr, "mercato secret set: no value on stdin\n");
        return 2;
    }
    if (auto s = store->write(name, value.toUtf8()); !s) {
        printError("secret set", s.error());
        return 1;
    }
    std::fprintf(stdout, "%s kept in %s\n", qPrintable(name), qPrintable(store->describe()));
    return 0;
}
void printFigures(const QList<ShopFigure> &figures)
{
    for (const ShopFigure &f : figures)
        std::fprintf(stdout, "  %-30s %lld\n", qPrintable(f.name), static_cast<long long>(f.value));
}

// `backup FILE`: a consistent copy taken while the server keeps serving.
int runBackupCommand(const Config &config)
{
    const QString file = config.commandArgs.value(0);
    if (config.database.engine != Engine::Sqlite) {
        std::fprintf(
                stderr,
                "mercato backup: this shop is on PostgreSQL; back it up with pg_dump, e.g.\n"
                "  pg_dump --format=custom --file=%s 'postgresql://USER@HOST/DBNAME'\n"
                "and restore with\n"
                "  pg_restore --clean --if-exists --dbname='postgresql://USER@HOST/DBNAME' %s\n",
                qPrintable(file), qPrintable(file));
        return 2;
    }
    int rc = 0;
    {
        Database database(config.database);
        if (auto s = database.open(); !s) {
            printError("backup", s.error());
            rc = 2;
        } else if (auto b = Backup::backup(database, file, config.force); !b) {
            printError("backup", b.error());
            rc = b.error().code == ErrorCode::Conflict || b.error().code == ErrorCode::BadRequest
                         ? 2
                         : 1;
        }
    }
    if (rc != 0)
        return rc;
    auto info = Backup::inspect(file);
    if (!info) {
        printError("backup", info.error());
        return 1;
    }
    std::fprintf(stdout, "backed up %s to %s (schema version %d):\n",
                 qPrintable(config.database.redacted()), qPrintable(file), info->schemaVersion);
    printFigures(info->figures);
    return 0;
}

// `restore FILE`: the server must be stopped; an existing shop is replaced only with --force.
int runRestoreCommand(const Config &config)
{
    const QString file = config.commandArgs.value(0);
    if (auto s = Backup::restore(file, config.database, config.force); !s) {
        printError("restore", s.error());
        return s.error().code == ErrorCode::Unavailable || s.error().code == ErrorCode::Internal
                       ? 1
                       : 2;
    }
    auto info = Backup::inspect(config.database.path);
    if (!info) {
        printError("restore", info.error());
        return 1;
    }
    std::fprintf(stdout, "restored %s into %s (schema version %d):\n", qPrintable(file),
                 qPrintable(config.database.redacted()), info->schemaVersion);
    printFigures(info->figures);
    return 0;
}

// `export KIND [FILE]`: CSV to FILE (written whole or not at all) or stdout.
int runExportCommand(const Config &config)
{
    const QString kind = config.commandArgs.value(0);
    const QString file = config.commandArgs.value(1);
    int rc = 0;
    Database database(config.database);
    if (auto s = database.open(); !s) {
        printError("export", s.error());
        rc = 2;
    } else if (file.isEmpty() || file == QLatin1String("-")) {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly)) {
            std::fprintf(stderr, "mercato export: cannot write to stdout\n");
            rc = 1;
        } else if (auto n = Export::write(database.connection(), kind, &out, config.bom); !n) {
            printError("export", n.error());
            rc = 1;
        }
    } else {
        QSaveFile out(file);
        if (!out.open(QIODevice::WriteOnly)) {
            std::fprintf(stderr, "mercato export: cannot write %s: %s\n", qPrintable(file),
                         qPrintable(out.errorString()));
            rc = 1;
        } else if (auto n = Export::write(database.connection(), kind, &out, config.bom); !n) {
            printError("export", n.error());
            out.cancelWriting();
            rc = 1;
        } else if (!out.commit()) {
            std::fprintf(stderr, "mercato export: cannot write %s: %s\n", qPrintable(file),
                         qPrintable(out.errorString()));
            rc = 1;
        } else {
            std::fprintf(stderr, "exported %lld %s row(s) to %s\n",
                         static_cast<long long>(n.value()), qPrintable(kind), qPrintable(file));
        }
    }
    return rc;
}
// `migrate-to URL`: this SQLite shop copied into an empty PostgreSQL database, then checked.
int runMigrateToCommand(const Config &config)
{
    auto url = DatabaseUrl::parse(config.commandArgs.value(0));
    if (!url) {
        printError("migrate-to", url.error());
        return 2;
    }
    if (config.database.engine != Engine::Sqlite || url->engine != Engine::Postgres) {
        std::fprintf(stderr, "mercato migrate-to: copies a SQLite shop (MERCATO_DATABASE or the "
                             "data folder's) into a postgresql:// URL\n");
        return 2;
    }
    int rc = 0;
    Database source(config.database);
    Database target(url.value());
    if (auto s = source.open(); !s) {
        printError("migrate-to", s.error());
        rc = 2;
    } else if (auto t = target.open(); !t) {
        printError("migrate-to", t.error());
        rc = 2;
    } else if (auto report = MigrateTo::copy(source, target); !report) {
        printError("migrate-to", report.error());
        rc = report.error().code == ErrorCode::Internal ? 1 : 2;
    } else {
        std::fprintf(stdout, "copied %s into %s:\n", qPrintable(config.database.redacted()),
                     qPrintable(url->redacted()));
        for (const MigrateTo::TableCopy &t : report->tables)
            std::fprintf(stdout, "  %-30s %lld row(s)\n", qPrintable(t.table),
                         static_cast<long long>(t.rows));
        std::fprintf(stdout, "checked, the same on both sides:\n");
        printFigures(report->figures);
        std::fprintf(stdout, "point MERCATO_DATABASE at the new URL to serve from PostgreSQL\n");
    }
    return rc;
}
} // namespace

int runCommand(const Config &config)
{
    if (config.command == QLatin1String("backup"))
        return runBackupCommand(config);
    if (config.command == QLatin1String("restore"))
        return runRestoreCommand(config);
    if (config.command == QLatin1String("export"))
        return runExportCommand(config);
    if (config.command == QLatin1String("migrate-to"))
        return runMigrateToCommand(config);
    if (config.command == QLatin1String("user"))
        return runUserCommand(config);
    if (config.command == QLatin1String("secret"))
        return runSecretCommand(config);
    if (config.printOpenApi) {
        const QByteArray doc = openApiDocument();
        std::fwrite(doc.constData(), 1, size_t(doc.size()), stdout);
        return doc.isEmpty() ? 1 : 0;
    }
    if (config.command == QLatin1String("check")) {
        // The stock ledger: every product's stock equals the sum of its ledger rows. Then the
        // category counts kept by product and seller changes.
        int rc = 0;
        {
            Database database(config.database);
            if (auto s = database.open(); !s) {
                std::fprintf(stderr, "mercato check: %s\n", qPrintable(s.error().detail));
                rc = 2;
            } else if (auto mismatches = Inventory::verifyLedger(database.connection());
                       !mismatches) {
                std::fprintf(stderr, "mercato check: %s\n", qPrintable(mismatches.error().detail));
                rc = 2;
            } else if (mismatches->isEmpty()) {
                std::fprintf(stdout,
                             "stock ledger: ok (every product's stock equals its ledger sum)\n");
            } else {
                for (const LedgerMismatch &m : mismatches.value())
                    std::fprintf(
                            stdout,
                            "stock ledger mismatch: product %s has stock %lld, ledger sum %lld\n",
                            qPrintable(m.productId), static_cast<long long>(m.stock),
                            static_cast<long long>(m.ledgerSum));
                std::fprintf(stdout, "stock ledger: %lld product(s) differ\n",
                             static_cast<long long>(mismatches->size()));
                rc = 1;
            }
            // The categories' product counts: each equals its live products.
            if (rc != 2) {
                if (auto counts = Categories::verifyCounts(database.connection()); !counts) {
                    std::fprintf(stderr, "mercato check: %s\n", qPrintable(counts.error().detail));
                    rc = 2;
                } else if (counts->isEmpty()) {
                    std::fprintf(stdout, "category counts: ok (every category's product count "
                                         "equals its live products)\n");
                } else {
                    for (const Categories::CountMismatch &m : counts.value())
                        std::fprintf(stdout,
                                     "category count mismatch: category %s has product count "
                                     "%lld, live products %lld\n",
                                     qPrintable(m.categoryId), static_cast<long long>(m.stored),
                                     static_cast<long long>(m.actual));
                    std::fprintf(stdout, "category counts: %lld categor%s differ\n",
                                 static_cast<long long>(counts->size()),
                                 counts->size() == 1 ? "y" : "ies");
                    rc = 1;
                }
            }
        }
        return rc;
    }
    return -1;
}

int runHeadless(const Config &config)
{
    if (const int rc = runCommand(config); rc >= 0)
        return rc;
    raiseDescriptorLimit();
    Runtime runtime(config);
    onTerminationSignal(QCoreApplication::instance(), [] {
        qCInfo(lcApp) << "stopping: finishing requests in flight";
        QCoreApplication::quit();
    });
    if (auto s = runtime.start(); !s) {
        std::fprintf(stderr, "mercato: %s\n", qPrintable(s.error().detail));
        return 1;
    }
    qCInfo(lcApp).noquote() << "Mercato API at" << runtime.apiUrl() << "- data in" << config.dataDir
                            << "- database" << config.database.redacted();
    const int rc = QCoreApplication::exec();
    runtime.stop();
    qCInfo(lcApp) << "stopped cleanly";
    return rc;
}

} // namespace Mercato
