// Secrets: KeychainSecretStore against a real Secret Service (gnome-keyring in a private
// D-Bus session: run under tests/with-keyring.sh), written in one process and read back in
// another; FileSecretStore's owner-only files; and the JWT key resolution of the app
// (MERCATO_JWT_SECRET, the keychain on a desktop, a 0600 file headless or as a fallback).

#include "app/config.h"
#include "app/runtime.h"
#include "model/ids.h"
#include "model/secretstore.h"
#include "support/testsupport.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace Mercato;

namespace {

const QString kService = QStringLiteral("Mercato-test");

// The child half of the cross-process checks: `--child read|write|delete NAME [BASE64]`.
int runChild(const QStringList &args)
{
    KeychainSecretStore store(kService);
    const QString op = args.value(2);
    const QString name = args.value(3);
    if (op == QLatin1String("write"))
        return store.write(name, QByteArray::fromBase64(args.value(4).toLatin1())).ok() ? 0 : 1;
    if (op == QLatin1String("delete"))
        return store.remove(name).ok() ? 0 : 1;
    auto r = store.read(name);
    if (!r)
        return 1;
    if (!r->has_value())
        return 3;
    std::fputs(r->value().toBase64().constData(), stdout);
    return 0;
}

QProcess *runSelf(const QStringList &args,
                  const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    auto *p = new QProcess;
    p->setProcessEnvironment(env);
    p->start(QCoreApplication::applicationFilePath(),
             QStringList{QStringLiteral("--child")} + args);
    p->waitForFinished(60000);
    return p;
}

bool keychainAvailable()
{
    static const bool available = KeychainSecretStore(kService).isAvailable();
    // Under tests/with-keyring.sh a missing keychain is a failure, not a skip.
    if (!available && qEnvironmentVariableIsSet("MERCATO_TEST_REQUIRE_KEYCHAIN"))
        qFatal("MERCATO_TEST_REQUIRE_KEYCHAIN is set but no keychain job succeeds");
    return available;
}

bool ownerOnly(const QString &path)
{
    return QFile::permissions(path)
           == (QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser
               | QFileDevice::WriteUser);
}

} // namespace

class TestKeychain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void fileStoreRoundTripOwnerOnly()
    {
        QTemporaryDir dir;
        FileSecretStore store(dir.path() + QStringLiteral("/secrets"));
        const QByteArray secret = Ids::randomBytes(32);
        auto missing = store.read(QStringLiteral("jwt.key"));
        QVERIFY(missing.ok());
        QVERIFY(!missing->has_value());
        QVERIFY(store.write(QStringLiteral("jwt.key"), secret).ok());
        QVERIFY(ownerOnly(store.pathFor(QStringLiteral("jwt.key"))));
        auto back = store.read(QStringLiteral("jwt.key"));
        QVERIFY(back.ok() && back->has_value());
        QCOMPARE(back->value(), secret);
        QVERIFY(store.remove(QStringLiteral("jwt.key")).ok());
        QVERIFY(!QFile::exists(store.pathFor(QStringLiteral("jwt.key"))));
        QVERIFY(store.remove(QStringLiteral("jwt.key")).ok());
    }

    void fileStoreRefusesPathNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("parent") << QStringLiteral("../escape");
        QTest::newRow("slash") << QStringLiteral("a/b");
        QTest::newRow("hidden") << QStringLiteral(".key");
        QTest::newRow("empty") << QString();
    }
    void fileStoreRefusesPathNames()
    {
        QFETCH(QString, name);
        QTemporaryDir dir;
        FileSecretStore store(dir.path());
        QVERIFY(!store.write(name, "x").ok());
        QVERIFY(!store.read(name).ok());
    }

    void keychainAcrossProcesses()
    {
        if (!keychainAvailable())
            QSKIP("no Secret Service here: run under tests/with-keyring.sh");
        const QString name = QStringLiteral("cross-process-") + Ids::newId();
        const QByteArray secret = Ids::randomBytes(32);
        std::unique_ptr<QProcess> writer(
                runSelf({QStringLiteral("write"), name, QString::fromLatin1(secret.toBase64())}));
        QCOMPARE(writer->exitCode(), 0);
        // Read back here, and in yet another process.
        KeychainSecretStore store(kService);
        auto here = store.read(name);
        QVERIFY2(here.ok(), qPrintable(here.error().detail));
        QVERIFY(here->has_value());
        QCOMPARE(here->value(), secret);
        std::unique_ptr<QProcess> reader(runSelf({QStringLiteral("read"), name}));
        QCOMPARE(reader->exitCode(), 0);
        QCOMPARE(QByteArray::fromBase64(reader->readAllStandardOutput()), secret);
        std::unique_ptr<QProcess> deleter(runSelf({QStringLiteral("delete"), name}));
        QCOMPARE(deleter->exitCode(), 0);
        auto gone = store.read(name);
        QVERIFY(gone.ok());
        QVERIFY(!gone->has_value());
        std::unique_ptr<QProcess> again(runSelf({QStringLiteral("read"), name}));
        QCOMPARE(again->exitCode(), 3);
    }

    // libsecret answers through GLib callbacks: without Qt's GLib dispatcher a job would never
    // end. It must fail at once (and count as a failure, never as an empty secret).
    void keychainWithoutGlibLoopFailsFast()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_NO_GLIB"), QStringLiteral("1"));
        std::unique_ptr<QProcess> reader(
                runSelf({QStringLiteral("read"), QStringLiteral("anything")}, env));
        QCOMPARE(reader->exitStatus(), QProcess::NormalExit);
        QCOMPARE(reader->exitCode(), 1);
        std::unique_ptr<QProcess> writer(runSelf(
                {QStringLiteral("write"), QStringLiteral("anything"), QStringLiteral("eHl6")},
                env));
        QCOMPARE(writer->exitCode(), 1);
    }

    void jwtKeyFromEnvironmentWins()
    {
        QTemporaryDir dir;
        Config config;
        config.dataDir = dir.path();
        config.jwtSecret = Ids::randomBytes(32);
        auto key = resolveJwtKey(config);
        QVERIFY(key.ok());
        QCOMPARE(key.value(), config.jwtSecret);
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("jwt.key"))));
    }

    void jwtKeyHeadlessIsAnOwnerOnlyFile()
    {
        QTemporaryDir dir;
        Config config;
        config.dataDir = dir.path();
        config.headless = true;
        auto key = resolveJwtKey(config);
        QVERIFY(key.ok());
        QCOMPARE(key->size(), 32);
        const QString path = dir.filePath(QStringLiteral("jwt.key"));
        QVERIFY(QFile::exists(path));
        QVERIFY(ownerOnly(path));
        // The same key on the next start.
        auto again = resolveJwtKey(config);
        QVERIFY(again.ok());
        QCOMPARE(again.value(), key.value());
    }

    void jwtKeyOnDesktopGoesToTheKeychain()
    {
        QTemporaryDir dir;
        Config config;
        config.dataDir = dir.path();
        config.headless = false;
        config.keychainService = kService + QStringLiteral("-") + Ids::newId();
        auto key = resolveJwtKey(config);
        QVERIFY(key.ok());
        QCOMPARE(key->size(), 32);
        if (!keychainAvailable()) {
            // No keychain: the desktop falls back to the owner-only file.
            QVERIFY(ownerOnly(dir.filePath(QStringLiteral("jwt.key"))));
            QSKIP("no Secret Service here: checked the file fallback only");
        }
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("jwt.key"))));
        KeychainSecretStore store(config.keychainService);
        auto stored = store.read(QStringLiteral("jwt.key"));
        QVERIFY(stored.ok() && stored->has_value());
        QCOMPARE(stored->value(), key.value());
        auto again = resolveJwtKey(config);
        QVERIFY(again.ok());
        QCOMPARE(again.value(), key.value());
        QVERIFY(store.remove(QStringLiteral("jwt.key")).ok());
    }

    // Secret settings left empty by file, environment and command line come from the store;
    // a given value always wins.
    void secretsHeadlessComeFromOwnerOnlyFiles()
    {
        QTemporaryDir dir;
        FileSecretStore files(dir.filePath(QStringLiteral("secrets")));
        QVERIFY(files.write(QStringLiteral("MERCATO_SMTP_URL"), "smtp://mailer:pw@127.0.0.1:2525\n")
                        .ok());
        QVERIFY(files.write(QStringLiteral("MERCATO_STRIPE_SECRET_KEY"), "sk_test_stored").ok());
        QVERIFY(ownerOnly(files.pathFor(QStringLiteral("MERCATO_SMTP_URL"))));
        QCOMPARE(
                QFile::permissions(dir.filePath(QStringLiteral("secrets")))
                        & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::ExeOther),
                QFileDevice::Permissions{});
        Config config;
        config.dataDir = dir.path();
        config.headless = true;
        config.stripeSecretKey = QStringLiteral("sk_test_given");
        QVERIFY(resolveSecrets(config).ok());
        QCOMPARE(config.smtpUrl, QStringLiteral("smtp://mailer:pw@127.0.0.1:2525"));
        QCOMPARE(config.stripeSecretKey, QStringLiteral("sk_test_given"));
        QVERIFY(config.cloudinaryUrl.isEmpty());
        QVERIFY(config.stripeWebhookSecret.isEmpty());
    }

    void secretsOnDesktopComeFromTheKeychain()
    {
        QTemporaryDir dir;
        Config config;
        config.dataDir = dir.path();
        config.headless = false;
        config.keychainService = kService + QStringLiteral("-") + Ids::newId();
        // What an owner-only file holds only counts when no keychain answers.
        FileSecretStore files(dir.filePath(QStringLiteral("secrets")));
        QVERIFY(files.write(QStringLiteral("MERCATO_CLOUDINARY_URL"),
                            "cloudinary://1:from-file@demo")
                        .ok());
        if (!keychainAvailable()) {
            QVERIFY(resolveSecrets(config).ok());
            QCOMPARE(config.cloudinaryUrl, QStringLiteral("cloudinary://1:from-file@demo"));
            QSKIP("no Secret Service here: checked the file fallback only");
        }
        KeychainSecretStore keychain(config.keychainService);
        QVERIFY(keychain.write(QStringLiteral("MERCATO_CLOUDINARY_URL"),
                               "cloudinary://1:from-keychain@demo")
                        .ok());
        QVERIFY(keychain.write(QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET"), "whsec_keychain")
                        .ok());
        QVERIFY(keychain.write(QStringLiteral("MERCATO_SMTP_URL"), "smtp://not:used@example.test")
                        .ok());
        config.smtpUrl = QStringLiteral("smtp://given@127.0.0.1:25");
        QVERIFY(resolveSecrets(config).ok());
        QCOMPARE(config.cloudinaryUrl, QStringLiteral("cloudinary://1:from-keychain@demo"));
        QCOMPARE(config.stripeWebhookSecret, QStringLiteral("whsec_keychain"));
        QCOMPARE(config.smtpUrl, QStringLiteral("smtp://given@127.0.0.1:25"));
        QVERIFY(config.stripeSecretKey.isEmpty());
        for (const QString &name : secretSettingNames())
            QVERIFY(keychain.remove(name).ok());
    }

    // `mercato-server secret set NAME` reads the value from stdin into an owner-only file that
    // the next start reads; `secret delete` forgets it. The value never reaches the output.
    void secretCommandKeepsValuesOwnerOnly()
    {
        QTemporaryDir dir;
        const QByteArray value = "whsec_" + Ids::newToken(16).toLatin1();
        auto run = [&](const QStringList &args, const QByteArray &input) {
            auto p = std::make_unique<QProcess>();
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET"));
            p->setProcessEnvironment(env);
            p->setProcessChannelMode(QProcess::MergedChannels);
            p->start(Test::serverBinary(),
                     args + QStringList{QStringLiteral("--data-dir"), dir.path()});
            p->waitForStarted(10000);
            p->write(input);
            p->closeWriteChannel();
            p->waitForFinished(60000);
            return p;
        };
        auto set = run({QStringLiteral("secret"), QStringLiteral("set"),
                        QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET")},
                       value + '\n');
        const QByteArray output = set->readAll();
        QCOMPARE(set->exitCode(), 0);
        QVERIFY(!output.contains(value));
        const QString path = dir.filePath(QStringLiteral("secrets/MERCATO_STRIPE_WEBHOOK_SECRET"));
        QVERIFY(ownerOnly(path));
        Config config;
        config.dataDir = dir.path();
        config.headless = true;
        QVERIFY(resolveSecrets(config).ok());
        QCOMPARE(config.stripeWebhookSecret, QString::fromLatin1(value));

        auto unknown = run({QStringLiteral("secret"), QStringLiteral("set"),
                            QStringLiteral("MERCATO_DATA_DIR")},
                           "x\n");
        QCOMPARE(unknown->exitCode(), 2);
        auto empty = run({QStringLiteral("secret"), QStringLiteral("set"),
                          QStringLiteral("MERCATO_SMTP_URL")},
                         "");
        QCOMPARE(empty->exitCode(), 2);
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("secrets/MERCATO_SMTP_URL"))));

        auto del = run({QStringLiteral("secret"), QStringLiteral("delete"),
                        QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET")},
                       {});
        QCOMPARE(del->exitCode(), 0);
        QVERIFY(!QFile::exists(path));
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.value(1) == QLatin1String("--child"))
        return runChild(args);
    TestKeychain test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_keychain.moc"
