#pragma once
// Where secrets live (the JWT key; later Stripe, Cloudinary and SMTP credentials): the OS
// keychain through QtKeychain on a desktop, or a file only its owner can read. Secrets never
// go to logs, settings files or the database.

#include "result.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

class QObject;

namespace Mercato {

class SecretStore
{
public:
    virtual ~SecretStore() = default;
    // The secret stored under `name`, nothing when there is none; Unavailable when the store
    // cannot be reached.
    virtual Result<std::optional<QByteArray>> read(const QString &name) = 0;
    virtual Status write(const QString &name, const QByteArray &secret) = 0;
    // Removing a secret that does not exist succeeds.
    virtual Status remove(const QString &name) = 0;
    virtual QString describe() const = 0;

    // The same without blocking the caller's event loop: the work starts now on the calling
    // thread and `done` runs on it later, unless `context` is gone by then. This default runs
    // the blocking call and answers on the next turn of the loop.
    using ReadDone = std::function<void(const Result<std::optional<QByteArray>> &)>;
    using StatusDone = std::function<void(const Status &)>;
    virtual void readLater(const QString &name, QObject *context, ReadDone done);
    virtual void writeLater(const QString &name, const QByteArray &secret, QObject *context,
                            StatusDone done);
    virtual void removeLater(const QString &name, QObject *context, StatusDone done);
};

// One file per secret, `<directory>/<name>`, mode 0600, base64 content, written atomically.
class FileSecretStore : public SecretStore
{
public:
    explicit FileSecretStore(QString directory);
    Result<std::optional<QByteArray>> read(const QString &name) override;
    Status write(const QString &name, const QByteArray &secret) override;
    Status remove(const QString &name) override;
    QString describe() const override;
    QString pathFor(const QString &name) const;

private:
    QString m_directory;
};

// The Secret Service (GNOME Keyring, KWallet), macOS Keychain or Windows Credential Store.
// Jobs are asynchronous: each call runs one in a local event loop, so call it from a thread
// that is not the GUI's event loop in use (start-up before the window shows is fine).
class KeychainSecretStore : public SecretStore
{
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("Mercato"));
    Result<std::optional<QByteArray>> read(const QString &name) override;
    Status write(const QString &name, const QByteArray &secret) override;
    Status remove(const QString &name) override;
    QString describe() const override;
    // QtKeychain keeps one job queue on the thread that used it first (the GUI thread in the
    // console) and crashes when a job of another thread ends: the console uses these on its
    // GUI thread, where the jobs run asynchronously (D-Bus, no network).
    void readLater(const QString &name, QObject *context, ReadDone done) override;
    void writeLater(const QString &name, const QByteArray &secret, QObject *context,
                    StatusDone done) override;
    void removeLater(const QString &name, QObject *context, StatusDone done) override;
    // True when a job can run (QtKeychain 0.13 has no isAvailable(): this tries a read).
    bool isAvailable();

private:
    QString m_service;
};

} // namespace Mercato
