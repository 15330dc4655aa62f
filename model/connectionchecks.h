#pragma once
// "Test connection" for the outside services the seller configures: Stripe (retrieve the
// balance with the secret key), Cloudinary (the Admin API's ping, authenticated with the key
// and secret) and SMTP (connect, EHLO, TLS when offered, AUTH). Blocking: call them off the GUI
// thread. Each ends with a sentence for the seller; none ever repeats a secret.

#include <QString>

#include <atomic>

namespace Mercato {

struct ConnectionCheck
{
    enum class Outcome { Works, Failed, Cancelled };
    Outcome outcome = Outcome::Failed;
    QString message;

    bool works() const { return outcome == Outcome::Works; }
};

// `cancel` (may be null) is polled while waiting for an answer: set it to give up at once.
ConnectionCheck checkStripe(const QString &apiBase, const QString &secretKey, int timeoutMs,
                            const std::atomic<bool> *cancel = nullptr);
ConnectionCheck checkCloudinary(const QString &cloudinaryUrl, const QString &apiBase, int timeoutMs,
                                const std::atomic<bool> *cancel = nullptr);
// SMTP steps each wait at most `timeoutMs`; `cancel` is looked at between attempts only.
ConnectionCheck checkSmtp(const QString &smtpUrl, int timeoutMs,
                          const std::atomic<bool> *cancel = nullptr);

} // namespace Mercato
