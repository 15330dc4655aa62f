#pragma once
// The shop: one object that owns the database, the store's rules and the domain services.
// The API workers and the console both act through it; neither talks SQL.

#include "accounts.h"
#include "avatars.h"
#include "cart.h"
#include "catalog.h"
#include "database.h"
#include "events.h"
#include "imagestore.h"
#include "inventory.h"
#include "mailer.h"
#include "mailoutbox.h"
#include "notifications.h"
#include "notifier.h"
#include "orders.h"
#include "passwordresets.h"
#include "payments.h"
#include "readcache.h"
#include "storeprofile.h"
#include "storesettings.h"
#include "tokens.h"

// after-sales
#include "complaints.h"
#include "refunds.h"
#include "reviews.h"

#include <QString>

#include <memory>

namespace Mercato {

struct ShopOptions
{
    DatabaseUrl database;
    StoreSettings settings;
    QByteArray jwtKey;      // at least 32 bytes
    QString dataDir;        // media/, outbox/ live here
    QString mailFrom;       // MERCATO_MAIL_FROM; empty: no-reply at the public host
    PaymentConfig payments; // manual unless Stripe keys are set
};

class Shop
{
public:
    explicit Shop(ShopOptions options);
    ~Shop();
    Shop(const Shop &) = delete;
    Shop &operator=(const Shop &) = delete;

    // Opens the database and migrates it; refuses a schema newer than this binary.
    Status open();
    // PATCH /owner/store and the console's Settings: StoreProfiles::update, and the store's
    // currency as this process shows it follows at once.
    Result<StoreProfile> updateStoreProfile(const QJsonObject &patch);

    Database &database() { return *m_database; }
    const StoreSettings &settings() const { return m_options.settings; }
    ModelEvents &events() { return m_events; }
    const TokenService &tokens() const { return m_tokens; }
    const QString &dataDir() const { return m_options.dataDir; }
    Notifier &notifier() { return m_notifier; }
    Accounts &accounts() { return m_accounts; }
    // Local files under <data dir>/media unless the app installs another (Cloudinary).
    ImageStore &images() { return *m_images; }
    void setImageStore(std::unique_ptr<ImageStore> store) { m_images = std::move(store); }
    // The local store when it is the one in use (for /media/ serving), else null.
    LocalImageStore *localImages() { return dynamic_cast<LocalImageStore *>(m_images.get()); }
    Reviews &reviews() { return *m_reviews; }
    Refunds &refunds() { return *m_refunds; }
    Complaints &complaints() { return *m_complaints; }
    // Stock changes with their ledger rows and low-stock alerts (call inside your transaction).
    Inventory &inventory() { return m_inventory; }
    Catalog &catalog() { return *m_catalog; }
    ReadCache &readCache() { return *m_readCache; }
    Notifications &notifications() { return *m_notifications; }
    CartService &cart() { return m_cart; }
    OrderService &orders() { return m_orders; }
    const PaymentConfig &payments() const { return m_options.payments; }

    // Outgoing mail, delivered off the caller's thread; `.eml` files in <data dir>/outbox
    // unless the app installs another mailer (SMTP).
    MailQueue &mail() { return *m_mail; }
    // The durable outbox (mail_outbox) the queue sends from once the database is open;
    // producers write with MailOutboxTable::add(tx.db(), ...) inside their transaction, then
    // mail().wake() after commit.
    MailOutboxTable &mailOutbox() { return *m_mailOutbox; }
    // Call before serving: requests in flight keep using the queue they found.
    void setMailer(std::unique_ptr<Mailer> mailer, RetryPolicy policy = {});
    // The From mailbox of mail the shop sends.
    QString mailFrom() const;
    // When an unpaid order is cancelled, as mails say it ("7 December 2026, 20:32 UTC").
    static QString payBeforeText(qint64 ms);
    // Forgot-password tokens and the reset that consumes one.
    PasswordResets &passwordResets() { return *m_passwordResets; }
    // Profile pictures through images().
    Avatars &avatars() { return m_avatars; }

private:
    // Inside the checkout's transaction: the order mail to the customer, in the outbox.
    void warnOwnerOfDisk(qint64 available); // the image store's disk floor was reached
    Status mailOrderPlaced(const QSqlDatabase &db, const Order &order);
    // Inside a seller's registration: the owner's seller.pending notification and mail.
    Status tellOwnerOfPendingSeller(const QSqlDatabase &db, const Account &seller,
                                    QList<PendingNotification> *pending);

    ShopOptions m_options;
    std::unique_ptr<Database> m_database;
    ModelEvents m_events;
    TokenService m_tokens;
    Notifier m_notifier{m_events};
    Accounts m_accounts{*m_database, m_options.settings, m_tokens};
    std::unique_ptr<ImageStore> m_images;
    std::unique_ptr<MailOutboxTable> m_mailOutbox; // outlives m_mail, which journals to it
    std::unique_ptr<MailQueue> m_mail;
    bool m_open = false;
    Inventory m_inventory{m_notifier, m_events};
    std::unique_ptr<Catalog> m_catalog;
    std::unique_ptr<ReadCache> m_readCache;
    std::unique_ptr<Notifications> m_notifications;
    CartService m_cart{*m_database, *m_catalog};
    std::unique_ptr<PaymentGateway> m_gateway{makePaymentGateway(m_options.payments)};
    OrderService m_orders{*m_database, m_options.settings, m_notifier, m_events,
                          *m_gateway,  m_inventory,        *m_catalog};
    std::unique_ptr<Reviews> m_reviews;
    std::unique_ptr<Refunds> m_refunds;
    std::unique_ptr<Complaints> m_complaints;
    Avatars m_avatars{*this};
    // Last: its thread uses the members above until it stops.
    std::unique_ptr<PasswordResets> m_passwordResets;
};

} // namespace Mercato
