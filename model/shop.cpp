#include "shop.h"
#include "preparedsql.h"

#include "cursor.h"
#include "storeowner.h"
#include "stripe.h"

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
    localImages()->setDiskFloor(qint64(m_options.settings.minFreeDiskMiB) * 1024 * 1024,
                                [this](qint64 available) { warnOwnerOfDisk(available); });
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

Status Shop::mailOrderPlaced(const QSqlDatabase &db, const Order &order)
{
    // In every checkout's transaction: prepared once per connection.
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
    mail.subject = QStringLiteral("We received your order");
    QStringList lines;
    for (const OrderLine &l : order.items)
        lines.append(QStringLiteral("  %1 x %2").arg(l.quantity).arg(l.name));
    mail.textBody = QStringLiteral("Hello %1,\n\nthank you for your order %2:\n%3\n\n"
                                   "Total: %4.%5 %6\n")
                            .arg(name, order.id, lines.join(QLatin1Char('\n')))
                            .arg(order.totalCents / 100)
                            .arg(order.totalCents % 100, 2, 10, QLatin1Char('0'))
                            .arg(order.currency);
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
    return Ok{};
}

} // namespace Mercato
