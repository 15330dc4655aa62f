#pragma once
// Complaints: a thread on an order (optionally one line) that the customer opens and the
// seller answers and resolves; `open` → `answered` → `resolved`.

#include "evidence.h"
#include "result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Mercato {

class Shop;

struct ComplaintMessage
{
    QString id;
    QString authorId;
    QString authorName;
    QString authorRole; // customer or seller
    QString message;
    qint64 createdAt = 0;
};

struct Complaint
{
    QString id;
    QString orderId;
    QString orderItemId; // empty: the whole order
    QString customerId;
    QString customerName;
    QString sellerId;
    QString subject;
    QString message;
    QString status; // open, answered, resolved
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    QList<ComplaintMessage> messages;
    QList<EvidenceImage> images;
    QStringList refundRequestIds; // refund requests made for this complaint, oldest first
};

struct ComplaintPage
{
    QList<Complaint> items;
    QString nextCursor;
};

class Complaints
{
public:
    explicit Complaints(Shop &shop)
        : m_shop(shop)
    {}

    // The customer's own order (else NotFound); `orderItemId` must be a line of it, and the
    // order paid, shipped or delivered (Validation); an unresolved complaint beyond the
    // store's maxOpenComplaintsPerOrder is a Conflict. The line's seller, or every seller of the
    // order, is notified.
    Result<Complaint> open(const QString &customerId, const QString &orderId,
                           const QString &orderItemId, const QString &subject,
                           const QString &message);
    Result<Complaint> getForCustomer(const QString &customerId, const QString &id);
    Result<ComplaintPage> listForCustomer(const QString &customerId, int limit,
                                          const QString &cursor);
    // A seller sees complaints on its lines, and whole-order complaints of orders it sold into.
    Result<Complaint> getForSeller(const QString &sellerId, const QString &id);
    Result<ComplaintPage> listForSeller(const QString &sellerId, const QString &status, int limit,
                                        const QString &cursor);
    // How many complaints the seller sees in `status` (the console's dashboard).
    Result<qint64> countForSeller(const QString &sellerId, const QString &status);
    // `answered`; Conflict once resolved.
    Result<Complaint> reply(const QString &sellerId, const QString &id, const QString &message);
    // `resolved` (with an optional closing message); Conflict when already resolved.
    Result<Complaint> resolve(const QString &sellerId, const QString &id, const QString &message);
    Result<EvidenceImage> addImage(const QString &customerId, const QString &id,
                                   const QByteArray &bytes, const QString &declaredType);

    static bool isStatus(const QString &status);

private:
    Result<Complaint> load(const QSqlDatabase &db, const QString &where, const QVariantList &binds,
                           bool details);
    Result<ComplaintPage> page(const QString &scope, const QString &where, QVariantList binds,
                               int limit, const QString &cursor);
    Status fillDetails(const QSqlDatabase &db, Complaint &c);
    Result<Complaint> sellerMove(const QString &sellerId, const QString &id, const QString &message,
                                 bool resolve);

    Shop &m_shop;
};

} // namespace Mercato
