#pragma once
// Change events of the model. Emitted from whichever thread made the change, after commit;
// the console connects with queued connections so its widgets update on the GUI thread.

#include <QObject>
#include <QString>

namespace Mercato {

class ModelEvents : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

Q_SIGNALS:
    void notificationCreated(const QString &userId, const QString &kind, const QString &title);
    void productChanged(const QString &productId);
    void stockLow(const QString &productId, const QString &sellerId, int stock);
    void orderChanged(const QString &orderId, const QString &status);
    void refundRequested(const QString &refundRequestId);
    // A refund request was decided or its provider refund moved on.
    void refundChanged(const QString &refundRequestId);
    void complaintChanged(const QString &complaintId);
};

} // namespace Mercato
