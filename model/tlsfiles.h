#pragma once
// The API's TLS certificate and key files (MERCATO_TLS_CERT, MERCATO_TLS_KEY), loaded and
// checked to be a pair: what the server serves HTTPS with, and what the console's Settings
// page checks before it saves the paths.

#include "result.h"

#include <QList>
#include <QSslCertificate>
#include <QSslKey>

namespace Mercato {

struct TlsFiles
{
    QList<QSslCertificate> chain; // the server's certificate first
    QSslKey key;
};

// Reads a PEM certificate chain and an unencrypted PEM RSA or EC private key; Validation
// (field "tlsCert" or "tlsKey") when a file is missing, is not PEM of that kind, or the key
// does not belong to the certificate.
Result<TlsFiles> loadTlsFiles(const QString &certPath, const QString &keyPath);

} // namespace Mercato
