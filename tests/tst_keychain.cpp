// Secrets: KeychainSecretStore against a real Secret Service (gnome-keyring in a private
// D-Bus session: run under tests/with-keyring.sh), written in one process and read back in
// another; FileSecretStore's owner-only files; and the JWT key resolution of the app
// (MERCATO_JWT_SECRET, the keychain on a desktop, a 0600 file headless or as a fallback).

#include "app/config.h"
#include "app/runtime.h"
#include "model/ids.h"
#include "model/secretstore.h"

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

QProcess *runSelf(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    auto *p = new QProcess;
    p->setProcessEnvironment(env);
    p->start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--child")} + args);
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
    return QFile::permissions(path) == (QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                        | QFileDevice::ReadUser | QFileDevice::WriteUser);
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
        std::unique_ptr<QProcess> writer(runSelf({QStringLiteral("write"), name,
                                                  QString::fromLatin1(secret.toBase64())}));
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
        std::unique_ptr<QProcess> reader(runSelf({QStringLiteral("read"), QStringLiteral("anything")}, env));
        QCOMPARE(reader->exitStatus(), QProcess::NormalExit);
        QCOMPARE(reader->exitCode(), 1);
        std::unique_ptr<QProcess> writer(runSelf({QStringLiteral("write"), QStringLiteral("anything"),
                                                  QStringLiteral("eHl6")}, env));
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
