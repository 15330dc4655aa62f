#pragma once
// Where secrets live (the JWT key; later Stripe, Cloudinary and SMTP credentials): the OS
// keychain through QtKeychain on a desktop, or a file only its owner can read. Secrets never
// go to logs, settings files or the database.

#include "result.h"

#include <QByteArray>
#include <QString>

#include <optional>

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
    // True when a job can run (QtKeychain 0.13 has no isAvailable(): this tries a read).
    bool isAvailable();

private:
    QString m_service;
};

} // namespace Mercato
