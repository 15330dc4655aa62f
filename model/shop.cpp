#include "shop.h"
#include "preparedsql.h"

#include "cursor.h"
#include "invoices.h"
#include "storeowner.h"
#include "stripe.h"

#include "storeprofile.h"

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QUrl>

namespace Mercato {

Shop::Shop(ShopOptions options)
    : m_options(std::move(options))
    , m_database(std::make_unique<Database>(m_options.database))
    , m_tokens(m_options.jwtKey)
    , m_images(std::make_unique<LocalImageStore>(m_options.dataDir + QStringLiteral("/media"),
                                                 m_options.settings.publicUrl))
    , m_catalog(std::make_unique<Catalog>(*this))
    , m_readCache(std::make_unique<ReadCache>(*m_database,
                                              m_options.settings.catalogCacheBytesPerWorker))
    , m_notifications(std::make_unique<Notifications>(*m_database))
{
    Cursor::setKey(m_options.jwtKey);
    m_reviews = std::make_unique<Reviews>(*m_database, m_events);
    m_refunds = std::make_unique<Refunds>(*this);
    if (m_options.payments.stripeEnabled())
        m_refunds->setExecutor(m_gateway->provider(),
                               std::make_shared<StripeRefundExecutor>(*m_gateway));
    m_complaints = std::make_unique<Complaints>(*this);
    m_mailOutbox = std::make_unique<MailOutboxTable>(*m_database);
    m_mail = std::make_unique<MailQueue>(std::make_unique<OutboxMailer>(
            m_options.dataDir + QStringLiteral("/outbox"), mailFrom()));
    m_passwordResets = std::make_unique<PasswordResets>(*this);
    m_orders.setPlacedHook([this](const QSqlDatabase &db, const Order &order) {
        return mailOrderPlaced(db, order);
    });
    m_accounts.setPendingSellerHook(
            [this](const QSqlDatabase &db, const Account &seller,
                   QList<PendingNotification> *pending) {
                return tellOwnerOfPendingSeller(db, seller, pending);
            },
            [this](const QList<PendingNotification> &pending) {
                m_notifier.announce(pending);
                m_mail->wake();
            });
    localImages()->setDiskFloor(qint64(m_options.settings.minFreeDiskMiB) * 1024 * 1024,
                                [this](qint64 available) { warnOwnerOfDisk(available); });
}

Status Shop::tellOwnerOfPendingSeller(const QSqlDatabase &db, const Account &seller,
                                      QList<PendingNotification> *pending)
{
    auto owner = StoreOwner::ownerId(db);
    if (!owner)
        return owner.error();
    if (owner->isEmpty())
        return Ok{}; // nobody to tell yet
    const QString body = QStringLiteral("%1 <%2> registered as a seller and waits for your "
                                        "approval.")
                                 .arg(seller.displayName, seller.email);
    if (auto s = m_notifier.add(db, owner.value(), QStringLiteral("seller.pending"),
                                QStringLiteral("A seller waits for approval"), body,
                                QJsonObject{{QStringLiteral("sellerId"), seller.id},
                                            {QStringLiteral("email"), seller.email},
                                            {QStringLiteral("displayName"), seller.displayName}},
                                pending);
        !s)
        return s;
    auto q = execSql(db, QStringLiteral("SELECT email, display_name FROM users WHERE id = ?"),
                     {owner.value()});
    if (!q)
        return q.error();
    if (!q->next())
        return Ok{};
    MailMessage mail;
    mail.to = q->value(0).toString();
    const QString ownerName = q->value(1).toString();
    q->finish(); // the read ends before the write below
    mail.subject = QStringLiteral("A new seller waits for your approval");
    mail.textBody = QStringLiteral("Hello %1,\n\n%2 (%3) registered as a seller and waits for "
                                   "your approval. Until you approve the account, it cannot "
                                   "sell.\n\nApprove or suspend it on the console's Sellers "
                                   "page, or with POST %4/api/v1/owner/sellers/%5/approve.\n")
                            .arg(ownerName, seller.displayName, seller.email,
                                 m_options.settings.publicUrl, seller.id);
    if (auto id = MailOutboxTable::add(db, mail); !id)
        return id.error();
    return Ok{};
}

void Shop::warnOwnerOfDisk(qint64 available)
{
    const QSqlDatabase db = m_database->connection();
    auto owner = StoreOwner::ownerId(db);
    if (!owner || owner->isEmpty())
        return;
    QList<PendingNotification> pending;
    const QString body = QStringLiteral("Only %1 MiB are free where pictures are kept; uploads "
                                        "are refused until space is freed.")
                                 .arg(available / (1024 * 1024));
    if (m_notifier.add(db, owner.value(), QStringLiteral("storage.low"),
                       QStringLiteral("The disk is nearly full"), body,
                       QJsonObject{{QStringLiteral("availableBytes"), available}}, &pending))
        m_notifier.announce(pending);
}

namespace {

QString amount(qint64 cents, const QString &currency)
{
    return QStringLiteral("%1%2.%3 %4")
            .arg(cents < 0 ? QStringLiteral("-") : QString())
            .arg(qAbs(cents) / 100)
            .arg(qAbs(cents) % 100, 2, 10, QLatin1Char('0'))
            .arg(currency);
}

// The lines of a postal address as a person writes them on a parcel.
QStringList addressLines(const Address &a)
{
    QStringList lines;
    const QString town = QStringList{a.postalCode, a.city}
                                 .filter(QRegularExpression(QStringLiteral("\\S")))
                                 .join(QLatin1Char(' '));
    for (const QString &part : {a.name, a.line1, a.line2, town, a.region, a.country, a.phone}) {
        if (!part.trimmed().isEmpty())
            lines.append(part.trimmed());
    }
    return lines;
}

} // namespace

QString Shop::payBeforeText(qint64 ms)
{
    return QLocale(QLocale::English)
            .toString(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC),
                      QStringLiteral("d MMMM yyyy, HH:mm 'UTC'"));
}

Status Shop::mailOrderPlaced(const QSqlDatabase &db, const Order &order)
{
    auto q = execPrepared(db, QStringLiteral("SELECT email, display_name FROM users WHERE id = ?"),
                          {order.customerId});
    if (!q)
        return q.error();
    QSqlQuery &row = *q.value();
    const bool found = row.next();
    MailMessage mail;
    mail.to = found ? row.value(0).toString() : QString();
    const QString name = found ? row.value(1).toString() : QString();
    row.finish(); // the read ends before the write below
    if (!found)
        return Ok{};
    const QString reference = orderReference(order.number, order.id);
    mail.subject = QStringLiteral("We received your order %1").arg(reference);
    QStringList text;
    text << QStringLiteral("Hello %1,").arg(name) << QString()
         << QStringLiteral("thank you for your order %1:").arg(reference);
    for (const OrderLine &l : order.items)
        text << QStringLiteral("  %1 x %2  %3")
                        .arg(l.quantity)
                        .arg(l.name, amount(l.lineTotalCents, order.currency));
    text << QString()
         << QStringLiteral("Subtotal: %1").arg(amount(order.subtotalCents, order.currency));
    if (order.discountCents > 0)
        text << QStringLiteral("Discount: %1").arg(amount(-order.discountCents, order.currency));
    if (!order.shippingName.isEmpty())
        text << QStringLiteral("Shipping (%1): %2")
                        .arg(order.shippingName,
                             order.shippingCents > 0 ? amount(order.shippingCents, order.currency)
                                                     : QStringLiteral("free"));
    text << QStringLiteral("Total: %1").arg(amount(order.totalCents, order.currency))
         << QStringLiteral("Tax contained in the total (%1): %2")
                    .arg(Invoices::percentText(order.taxRateMilli),
                         amount(order.taxCents, order.currency));
    if (order.shippingAddress)
        text << QString() << QStringLiteral("Ship to:") << addressLines(*order.shippingAddress);
    text << QString();
    if (order.totalCents <= 0) {
        text << QStringLiteral("Nothing is left to pay: your coins cover the order.");
    } else if (order.paymentProvider == QLatin1String("manual")) {
        // What POST /orders/{id}/checkout answers: the owner's instructions, else the default.
        auto profile = StoreProfiles::load(db);
        if (!profile)
            return profile.error();
        QString instructions = profile->paymentInstructions;
        if (instructions.isEmpty()) {
            PaymentRequest request;
            request.orderId = order.id;
            request.amountCents = order.totalCents;
            request.currency = order.currency;
            request.reference = reference;
            auto start = ManualGateway().start(request);
            if (!start)
                return start.error();
            instructions = start->instructions;
        }
        text << QStringLiteral("How to pay:") << instructions << QString()
             << QStringLiteral("Amount: %1").arg(amount(order.totalCents, order.currency))
             << QStringLiteral("Reference: %1 (quote it with your payment)").arg(reference)
             << QStringLiteral("Pay before: %1. An order still unpaid then is cancelled.")
                        .arg(payBeforeText(order.expiresAt));
    } else {
        text << QStringLiteral("Pay by card on the order's page, under Your orders in the shop.")
             << QStringLiteral("Pay before: %1. An order still unpaid then is cancelled.")
                        .arg(payBeforeText(order.expiresAt));
    }
    text << QString()
         << QStringLiteral("Your orders in the shop: %1")
                    .arg(m_options.settings.publicUrl + QStringLiteral("/shop/orders"));
    mail.textBody = text.join(QLatin1Char('\n')) + QLatin1Char('\n');
    if (auto id = MailOutboxTable::add(db, mail); !id)
        return id.error();
    return Ok{};
}

void Shop::setMailer(std::unique_ptr<Mailer> mailer, RetryPolicy policy)
{
    // The old queue stops first (its claims go back to the outbox), then the new one sends.
    m_mail.reset();
    m_mail = std::make_unique<MailQueue>(std::move(mailer), policy);
    if (m_open)
        m_mail->setJournal(m_mailOutbox.get());
}

QString Shop::mailFrom() const
{
    if (!m_options.mailFrom.isEmpty())
        return m_options.mailFrom;
    QString host = QUrl(m_options.settings.publicUrl).host();
    if (host.isEmpty())
        host = QStringLiteral("localhost");
    return QStringLiteral("Mercato <no-reply@%1>").arg(host);
}

Shop::~Shop()
{
    m_passwordResets.reset(); // before the mail queue and the database it uses
}

Status Shop::open()
{
    if (auto s = m_database->open(); !s)
        return s;
    m_open = true;
    m_mail->setJournal(m_mailOutbox.get());
    // The owner's currency, if one was chosen: what the catalogue and the console show.
    if (auto profile = StoreProfiles::load(m_database->connection()); profile)
        m_options.settings.live->setProfileCurrency(profile->currency);
    else
        return profile.error();
    return Ok{};
}

Result<StoreProfile> Shop::updateStoreProfile(const QJsonObject &patch)
{
    auto profile = StoreProfiles::update(*m_database, patch, settings().configuredCurrency());
    if (profile)
        m_options.settings.live->setProfileCurrency(profile->currency);
    return profile;
}

} // namespace Mercato
