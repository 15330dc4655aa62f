#include "secretstore.h"

#include <QAbstractEventDispatcher>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

Q_LOGGING_CATEGORY(lcSecrets, "mercato.secrets")

namespace Mercato {

namespace {
bool isValidName(const QString &name)
{
    if (name.isEmpty() || name.size() > 100 || name.startsWith(QLatin1Char('.')))
        return false;
    for (const QChar c : name) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('.')
            && c != QLatin1Char('-') && c != QLatin1Char('_'))
            return false;
    }
    return true;
}

constexpr int kJobTimeoutMs = 30000;

// On Linux QtKeychain talks to the Secret Service through libsecret, whose answers arrive as
// GLib callbacks: without Qt's GLib event dispatcher (QT_NO_GLIB set) a job never finishes.
bool canRunJobs()
{
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD)
    const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    return dispatcher && dispatcher->inherits("QEventDispatcherGlib");
#else
    return true;
#endif
}

// Runs a QtKeychain job to its end in a local event loop. False when it did not end in time
// (the job then counts as failed, never as an empty success).
bool runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    bool finished = false;
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, [&finished, &loop] {
        finished = true;
        loop.quit();
    });
    QTimer::singleShot(kJobTimeoutMs, &loop, &QEventLoop::quit);
    job.start();
    if (!finished)
        loop.exec();
    return finished;
}

Error unreachable(const char *what)
{
    return makeError(
            ErrorCode::Unavailable,
            canRunJobs()
                    ? QStringLiteral("keychain %1 did not answer in time").arg(QLatin1String(what))
                    : QStringLiteral("keychain %1 impossible: the Secret Service needs Qt's "
                                     "GLib event loop (is QT_NO_GLIB set?)")
                              .arg(QLatin1String(what)));
}

Error keychainError(const QKeychain::Job &job, const char *what)
{
    // The error text names the backend's problem, never the secret.
    return makeError(ErrorCode::Unavailable, QStringLiteral("keychain %1 failed (error %2): %3")
                                                     .arg(QLatin1String(what))
                                                     .arg(int(job.error()))
                                                     .arg(job.errorString()));
}
} // namespace

void SecretStore::readLater(const QString &name, QObject *context, ReadDone done)
{
    auto result = read(name);
    QTimer::singleShot(0, context, [done = std::move(done), result] { done(result); });
}

void SecretStore::writeLater(const QString &name, const QByteArray &secret, QObject *context,
                             StatusDone done)
{
    auto result = write(name, secret);
    QTimer::singleShot(0, context, [done = std::move(done), result] { done(result); });
}

void SecretStore::removeLater(const QString &name, QObject *context, StatusDone done)
{
    auto result = remove(name);
    QTimer::singleShot(0, context, [done = std::move(done), result] { done(result); });
}

FileSecretStore::FileSecretStore(QString directory)
    : m_directory(std::move(directory))
{}

QString FileSecretStore::pathFor(const QString &name) const
{
    return m_directory + QLatin1Char('/') + name;
}

QString FileSecretStore::describe() const
{
    return QStringLiteral("owner-only files in ") + m_directory;
}

Result<std::optional<QByteArray>> FileSecretStore::read(const QString &name)
{
    if (!isValidName(name))
        return makeError(ErrorCode::BadRequest, QStringLiteral("not a secret name"));
    QFile f(pathFor(name));
    if (!f.exists())
        return std::optional<QByteArray>{};
    if (!f.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot read ") + f.fileName());
    if (f.permissions()
        & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
           | QFileDevice::WriteOther))
        qCWarning(lcSecrets).noquote()
                << f.fileName() << "can be read by others; make it mode 0600";
    const auto decoded = QByteArray::fromBase64Encoding(f.readAll().trimmed());
    if (!decoded)
        return makeError(ErrorCode::Unavailable, f.fileName() + QStringLiteral(" is not base64"));
    return std::optional<QByteArray>(*decoded);
}

Status FileSecretStore::write(const QString &name, const QByteArray &secret)
{
    if (!isValidName(name))
        return makeError(ErrorCode::BadRequest, QStringLiteral("not a secret name"));
    const bool existed = QFileInfo::exists(m_directory);
    if (!QDir().mkpath(m_directory))
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot create ") + m_directory);
    // A folder made for secrets is the owner's alone too.
    if (!existed)
        QFile::setPermissions(m_directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                   | QFileDevice::ExeOwner);
    QSaveFile f(pathFor(name));
    // Owner-only before a byte of the secret is written (QSaveFile's temporary file too).
    if (!f.open(QIODevice::WriteOnly)
        || !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || f.write(secret.toBase64() + '\n') < 0 || !f.commit())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write ") + pathFor(name));
    return Ok{};
}

Status FileSecretStore::remove(const QString &name)
{
    if (!isValidName(name))
        return makeError(ErrorCode::BadRequest, QStringLiteral("not a secret name"));
    QFile f(pathFor(name));
    if (f.exists() && !f.remove())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot remove ") + f.fileName());
    return Ok{};
}

KeychainSecretStore::KeychainSecretStore(QString service)
    : m_service(std::move(service))
{}

QString KeychainSecretStore::describe() const
{
    return QStringLiteral("the OS keychain (service %1)").arg(m_service);
}

Result<std::optional<QByteArray>> KeychainSecretStore::read(const QString &name)
{
    QKeychain::ReadPasswordJob job(m_service);
    job.setKey(name);
    if (!canRunJobs() || !runJob(job))
        return unreachable("read");
    if (job.error() == QKeychain::EntryNotFound)
        return std::optional<QByteArray>{};
    if (job.error() != QKeychain::NoError)
        return keychainError(job, "read");
    return std::optional<QByteArray>(job.binaryData());
}

Status KeychainSecretStore::write(const QString &name, const QByteArray &secret)
{
    QKeychain::WritePasswordJob job(m_service);
    job.setKey(name);
    job.setBinaryData(secret);
    if (!canRunJobs() || !runJob(job))
        return unreachable("write");
    if (job.error() != QKeychain::NoError)
        return keychainError(job, "write");
    return Ok{};
}

Status KeychainSecretStore::remove(const QString &name)
{
    QKeychain::DeletePasswordJob job(m_service);
    job.setKey(name);
    if (!canRunJobs() || !runJob(job))
        return unreachable("delete");
    if (job.error() != QKeychain::NoError && job.error() != QKeychain::EntryNotFound)
        return keychainError(job, "delete");
    return Ok{};
}

void KeychainSecretStore::readLater(const QString &name, QObject *context, ReadDone done)
{
    if (!canRunJobs()) {
        QTimer::singleShot(0, context, [done = std::move(done)] { done(unreachable("read")); });
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service); // deletes itself once finished
    job->setKey(name);
    QObject::connect(job, &QKeychain::Job::finished, context, [job, done = std::move(done)] {
        if (job->error() == QKeychain::EntryNotFound)
            done(std::optional<QByteArray>{});
        else if (job->error() != QKeychain::NoError)
            done(keychainError(*job, "read"));
        else
            done(std::optional<QByteArray>(job->binaryData()));
    });
    job->start();
}

void KeychainSecretStore::writeLater(const QString &name, const QByteArray &secret,
                                     QObject *context, StatusDone done)
{
    if (!canRunJobs()) {
        QTimer::singleShot(0, context, [done = std::move(done)] { done(unreachable("write")); });
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setKey(name);
    job->setBinaryData(secret);
    QObject::connect(job, &QKeychain::Job::finished, context, [job, done = std::move(done)] {
        if (job->error() != QKeychain::NoError)
            done(keychainError(*job, "write"));
        else
            done(Ok{});
    });
    job->start();
}

void KeychainSecretStore::removeLater(const QString &name, QObject *context, StatusDone done)
{
    if (!canRunJobs()) {
        QTimer::singleShot(0, context, [done = std::move(done)] { done(unreachable("delete")); });
        return;
    }
    auto *job = new QKeychain::DeletePasswordJob(m_service);
    job->setKey(name);
    QObject::connect(job, &QKeychain::Job::finished, context, [job, done = std::move(done)] {
        if (job->error() != QKeychain::NoError && job->error() != QKeychain::EntryNotFound)
            done(keychainError(*job, "delete"));
        else
            done(Ok{});
    });
    job->start();
}

bool KeychainSecretStore::isAvailable()
{
    // Any answer but "not found" or success means no usable keychain (error 7, OtherError,
    // without D-Bus or a Secret Service; or a locked keyring that wants a prompt).
    return read(QStringLiteral("availability-probe")).ok();
}

} // namespace Mercato
