#pragma once
// Dashboard: the day's and the month's sales (net of discounts and refunds), the month's coin
// and code discounts, what waits for the seller, and 30 days of sales.

#include "page.h"

#include <QList>

class QGridLayout;
class QLabel;

namespace Mercato {

// Daily totals drawn as bars with QPainter (oldest first).
class SalesChart : public QWidget
{
    Q_OBJECT
public:
    explicit SalesChart(QWidget *parent = nullptr);
    void setDays(QList<qint64> cents, QStringList labels, QString currency);
    QSize sizeHint() const override { return {600, 240}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<qint64> m_cents;
    QStringList m_labels;
    QString m_currency;
};

struct DashboardFigures
{
    qint64 todayCents = -1; // -1: not available
    qint64 monthCents = -1;
    qint64 waitingOrders = -1;
    qint64 lowStock = -1;
    qint64 openRefunds = -1;
    qint64 openComplaints = -1;
    // Coins customers spent as discounts on this seller's lines of orders paid this month.
    qint64 monthCoinDiscountCents = -1;
    // What this seller's discount codes took off its lines of orders paid this month.
    qint64 monthCodeDiscountCents = -1;
    QList<qint64> dailyCents; // 30 days, oldest first
    QStringList dayLabels;
    QString currency;
    QString error;
};

class DashboardPage : public Page
{
    Q_OBJECT
public:
    DashboardPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;

Q_SIGNALS:
    void openPage(const QString &name);

private:
    QLabel *card(const QString &name, const QString &caption, const QString &page);
    void show(const DashboardFigures &figures);

    QLabel *m_today = nullptr;
    QLabel *m_month = nullptr;
    QLabel *m_waiting = nullptr;
    QLabel *m_lowStock = nullptr;
    QLabel *m_refunds = nullptr;
    QLabel *m_complaints = nullptr;
    QLabel *m_coinDiscounts = nullptr;
    QLabel *m_codeDiscounts = nullptr;
    SalesChart *m_chart = nullptr;
    QWidget *m_cards = nullptr;
    QGridLayout *m_grid = nullptr;
    int m_cardCount = 0;
};

} // namespace Mercato
