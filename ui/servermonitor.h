#pragma once
// What the console needs from the API server side (live counters, the request log, the
// settings it starts with). Declared here so ui never includes server code; the app
// implements it over the server's metrics.

#include "model/result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace Mercato {

class SecretStore;

struct RequestLogEntry
{
    QString method;
    QString route; // the route pattern, never a query string, token or body
    int status = 0;
    qint64 durationUs = 0;
    qint64 atMs = 0;
};

// Settings kept in the console's config file; they take effect on the next start.
struct ServerSettings
{
    QString listen; // address:port
    QString publicUrl;
    QStringList corsOrigins;
    QString currency;
    QString timeZone; // IANA id
    QString tlsCert;  // PEM certificate file; with tlsKey the API serves HTTPS
    QString tlsKey;   // its PEM private key file
};

class ServerMonitor
{
public:
    virtual ~ServerMonitor() = default;

    virtual QString publicUrl() const = 0;
    virtual int workerCount() const = 0;
    virtual bool isRunning() const = 0;
    // Whether this window can stop and start accepting API connections (setServing).
    virtual bool canSwitch() const { return false; }
    // Stops accepting (requests in flight finish) or starts again on the same port, then
    // calls `done` on the calling (GUI) thread. A stop drains on another thread: the caller
    // does not wait for it, and isSwitching() is true until `done` has run.
    virtual void setServing(bool on, std::function<void(const Status &)> done)
    {
        Q_UNUSED(on)
        done(makeError(ErrorCode::Unavailable, QStringLiteral("the server is not in this window")));
    }
    virtual bool isSwitching() const { return false; }
    virtual quint64 requestCount() const = 0;
    virtual quint64 errorCount() const = 0;
    // The last requests (at most 200), oldest first.
    virtual QList<RequestLogEntry> recentRequests() const = 0;

    virtual ServerSettings settings() const = 0;
    // Writes the config file (call it off the GUI thread); Validation names the bad field.
    virtual Status saveSettings(const ServerSettings &settings) = 0;

    // Where the Settings page keeps Stripe, Cloudinary and SMTP secrets (the OS keychain);
    // null: the page cannot store them. Its calls block: make them off the GUI thread.
    virtual SecretStore *secretStore() const { return nullptr; }
    // The services' API addresses the connection tests call (tests point them at fakes).
    virtual QString stripeApiBase() const { return QStringLiteral("https://api.stripe.com"); }
    virtual QString cloudinaryApiBase() const
    {
        return QStringLiteral("https://api.cloudinary.com");
    }
};

} // namespace Mercato
