#include "ordersweeper.h"

#include "database.h"
#include "orders.h"

#include <QLoggingCategory>
#include <QTimer>

Q_LOGGING_CATEGORY(lcSweeper, "mercato.checkout.sweeper")

namespace Mercato {

OrderSweeper::OrderSweeper(OrderService &orders, Database &database, int intervalMs)
    : m_orders(orders)
    , m_database(database)
    , m_intervalMs(intervalMs)
{
    m_thread.setObjectName(QStringLiteral("order-sweeper"));
}

OrderSweeper::~OrderSweeper()
{
    stop();
}

void OrderSweeper::start()
{
    if (m_thread.isRunning())
        return;
    auto *timer = new QTimer; // lives in the sweeper thread, deleted when it finishes
    timer->setInterval(m_intervalMs);
    timer->moveToThread(&m_thread);
    QObject::connect(timer, &QTimer::timeout, timer, [this] {
        if (auto n = m_orders.expireDue(); !n)
            qCWarning(lcSweeper).noquote() << "expiry sweep failed:" << n.error().detail;
        if (auto n = m_orders.retryRefunds(); !n)
            qCWarning(lcSweeper).noquote() << "refund retry failed:" << n.error().detail;
    });
    QObject::connect(&m_thread, &QThread::started, timer, qOverload<>(&QTimer::start));
    QObject::connect(&m_thread, &QThread::finished, timer, [timer] { delete timer; });
    m_thread.start();
}

void OrderSweeper::stop()
{
    if (!m_thread.isRunning())
        return;
    m_thread.quit();
    m_thread.wait();
}

} // namespace Mercato
