#include "tlsfiles.h"

#include <QFile>
#include <QFileInfo>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace Mercato {

namespace {

// Whether the private key in `keyPem` is the one of the certificate in `certPem` (Qt has no
// way to compare a private key with a certificate's public key).
bool isPair(const QByteArray &certPem, const QByteArray &keyPem)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> certBio(
            BIO_new_mem_buf(certPem.constData(), int(certPem.size())), &BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(
            BIO_new_mem_buf(keyPem.constData(), int(keyPem.size())), &BIO_free);
    if (!certBio || !keyBio)
        return false;
    std::unique_ptr<X509, decltype(&X509_free)> cert(
            PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr), &X509_free);
    // No passphrase callback that could prompt on a terminal: an encrypted key just fails.
    auto noPassphrase = [](char *, int, int, void *) {
        return 0;
    };
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
            PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr), &EVP_PKEY_free);
    return cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
}

Result<QByteArray> readFile(const QString &path, const QString &field, const QString &what)
{
    if (path.isEmpty())
        return Error::validation(field, QStringLiteral("choose the %1 file").arg(what));
    if (!QFileInfo(path).isFile())
        return Error::validation(field,
                                 QStringLiteral("the %1 file %2 does not exist").arg(what, path));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::validation(field, QStringLiteral("cannot read the %1 file %2: %3")
                                                .arg(what, path, file.errorString()));
    return file.read(1024 * 1024);
}

} // namespace

Result<TlsFiles> loadTlsFiles(const QString &certPath, const QString &keyPath)
{
    const QString certField = QStringLiteral("tlsCert");
    const QString keyField = QStringLiteral("tlsKey");
    auto certPem = readFile(certPath, certField, QStringLiteral("TLS certificate"));
    if (!certPem)
        return certPem.error();
    auto keyPem = readFile(keyPath, keyField, QStringLiteral("TLS key"));
    if (!keyPem)
        return keyPem.error();
    TlsFiles out;
    out.chain = QSslCertificate::fromData(certPem.value(), QSsl::Pem);
    if (out.chain.isEmpty() || out.chain.first().isNull())
        return Error::validation(certField,
                                 QStringLiteral("%1 holds no PEM certificate").arg(certPath));
    out.key = QSslKey(keyPem.value(), QSsl::Rsa, QSsl::Pem);
    if (out.key.isNull())
        out.key = QSslKey(keyPem.value(), QSsl::Ec, QSsl::Pem);
    if (out.key.isNull() || out.key.type() != QSsl::PrivateKey)
        return Error::validation(
                keyField,
                QStringLiteral("%1 holds no unencrypted PEM RSA or EC private key").arg(keyPath));
    if (!isPair(certPem.value(), keyPem.value()))
        return Error::validation(keyField,
                                 QStringLiteral("the key in %1 does not belong to the certificate "
                                                "in %2")
                                         .arg(keyPath, certPath));
    return out;
}

} // namespace Mercato
