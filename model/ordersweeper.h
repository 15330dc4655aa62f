#pragma once
// Runs the order housekeeping (expiry of unpaid orders, retries of late-payment refunds) on
// its own thread at an interval, so neither the GUI thread nor an API worker waits on it.

#include <QObject>
#include <QThread>

namespace Mercato {

class Database;
class OrderService;

class OrderSweeper
{
public:
    OrderSweeper(OrderService &orders, Database &database, int intervalMs = 30'000);
    ~OrderSweeper(); // stops the thread and releases its database connection
    OrderSweeper(const OrderSweeper &) = delete;
    OrderSweeper &operator=(const OrderSweeper &) = delete;

    void start();
    void stop();

private:
    OrderService &m_orders;
    Database &m_database;
    int m_intervalMs;
    QThread m_thread;
};

} // namespace Mercato
