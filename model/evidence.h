#pragma once
// Evidence photos attached to refund requests and complaints (at most five each, within a
// daily budget of bytes per customer).

#include "database.h"
#include "imagestore.h"

#include <QList>
#include <QString>

namespace Mercato {

struct EvidenceImage
{
    QString id;
    QString url;
};

namespace Evidence {

constexpr int kMaxImages = 5;

// `kind` is "refund" or "complaint".
Result<QList<EvidenceImage>> list(const QSqlDatabase &db, const QString &kind,
                                  const QString &ownerId);
// Checks the bytes, refuses a sixth image (Conflict) and an upload past the customer's budget
// of bytes in 24 hours (RateLimited; 0: none), stores them without their metadata and records
// the row. The caller has checked that the owner exists and belongs to the uploader.
Result<EvidenceImage> add(Database &database, ImageStore &store, const QString &kind,
                          const QString &ownerId, const QString &customerId,
                          const QByteArray &bytes, const QString &declaredType,
                          qint64 dailyBudgetBytes);

} // namespace Evidence
} // namespace Mercato
