#include "dashboardpage.h"

#include "consoleworker.h"
#include "dashboardqueries.h"

#include "model/shop.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

namespace Mercato {

SalesChart::SalesChart(QWidget *parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Sales over 30 days"));
    setMinimumHeight(200);
}

void SalesChart::setDays(QList<qint64> cents, QStringList labels, QString currency)
{
    m_cents = std::move(cents);
    m_labels = std::move(labels);
    m_currency = std::move(currency);
    qint64 total = 0;
    for (qint64 c : std::as_const(m_cents))
        total += c;
    setAccessibleDescription(
            tr("%1 over the last %2 days").arg(formatMoney(total, m_currency)).arg(m_cents.size()));
    update();
}

void SalesChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRect area = rect().adjusted(70, 16, -16, -28);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(rect().adjusted(0, 0, -1, -1));
    if (m_cents.isEmpty())
        return;
    qint64 max = 0;
    for (qint64 c : std::as_const(m_cents))
        max = std::max(max, c);
    // A round top (1, 2 or 5 times a power of ten) so the grid lines read well.
    qint64 top = 0;
    for (qint64 magnitude = 100; top == 0; magnitude *= 10) {
        for (qint64 step : {1, 2, 5}) {
            if (step * magnitude >= max) {
                top = step * magnitude;
                break;
            }
        }
    }
    const QFontMetrics fm = p.fontMetrics();
    p.setPen(palette().color(QPalette::Text));
    for (int i = 0; i <= 4; ++i) {
        const int y = area.bottom() - area.height() * i / 4;
        p.setPen(QPen(palette().color(QPalette::Midlight), 1, Qt::DashLine));
        p.drawLine(area.left(), y, area.right(), y);
        p.setPen(palette().color(QPalette::Text));
        const QString label = formatMoney(top * i / 4, QString());
        p.drawText(QRect(0, y - fm.height() / 2, area.left() - 6, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, label);
    }
    const int n = int(m_cents.size());
    const double slot = double(area.width()) / n;
    const QColor bar(0x2e, 0x7d, 0x32);
    for (int i = 0; i < n; ++i) {
        const int h = int(double(area.height()) * double(m_cents.at(i)) / double(top));
        const QRectF r(area.left() + i * slot + slot * 0.15, area.bottom() - h, slot * 0.7, h);
        p.fillRect(r, bar);
        if (i % 5 == 0 || i == n - 1) {
            p.setPen(palette().color(QPalette::Text));
            p.drawText(
                    QRectF(area.left() + i * slot - 20, area.bottom() + 4, slot + 40, fm.height()),
                    Qt::AlignHCenter | Qt::AlignTop, m_labels.value(i));
        }
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawLine(area.bottomLeft(), area.bottomRight());
}

DashboardPage::DashboardPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Dashboard"), tr("Dashboard"), context, parent)
{
    m_cards = new QWidget(this);
    m_grid = new QGridLayout(m_cards);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_today = card(tr("Today's sales"), tr("Today's sales, net of discounts and refunds"),
                   QStringLiteral("Orders"));
    m_month = card(tr("This month's sales"), tr("This month's sales, net of discounts and refunds"),
                   QStringLiteral("Orders"));
    m_waiting = card(tr("Orders waiting"), tr("Orders waiting for you"), QStringLiteral("Orders"));
    m_lowStock = card(tr("Low stock"), tr("Products low on stock"), QStringLiteral("Inventory"));
    m_refunds = card(tr("Open refunds"), tr("Refund requests to decide"),
                     QStringLiteral("Refunds & Complaints"));
    m_complaints = card(tr("Open complaints"), tr("Complaints to answer"),
                        QStringLiteral("Refunds & Complaints"));
    m_coinDiscounts = card(tr("Coin discounts this month"),
                           tr("Coins customers spent as discounts on your products this month"),
                           QStringLiteral("Orders"));
    m_codeDiscounts = card(tr("Code discounts this month"),
                           tr("Taken off your products by your discount codes this month"),
                           QStringLiteral("Discount codes"));
    body()->addWidget(m_cards);
    auto *chartTitle = new QLabel(tr("<b>Sales, last 30 days</b>"), this);
    chartTitle->setAccessibleName(tr("Sales chart title"));
    body()->addWidget(chartTitle);
    m_chart = new SalesChart(this);
    body()->addWidget(m_chart, 1);
}

QLabel *DashboardPage::card(const QString &name, const QString &caption, const QString &page)
{
    auto *frame = new QFrame(m_cards);
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setStyleSheet(
            QStringLiteral("QFrame { background: palette(base); border-radius: 6px; }"));
    auto *layout = new QVBoxLayout(frame);
    auto *value = new QLabel(QStringLiteral("—"), frame);
    value->setAccessibleName(name);
    value->setStyleSheet(QStringLiteral("font-size: 22px; font-weight: 600;"));
    auto *label = new QLabel(caption, frame);
    label->setAccessibleName(name + QStringLiteral(" caption"));
    label->setStyleSheet(QStringLiteral("color: palette(dark);"));
    // Long captions wrap: the cards' grid fits the page at 1024×700.
    label->setWordWrap(true);
    auto *open = new QPushButton(tr("Open"), frame);
    open->setAccessibleName(tr("Open %1").arg(name));
    open->setFlat(true);
    connect(open, &QPushButton::clicked, this, [this, page] { Q_EMIT openPage(page); });
    layout->addWidget(value);
    layout->addWidget(label);
    layout->addWidget(open, 0, Qt::AlignLeft);
    m_grid->addWidget(frame, m_cardCount / 3, m_cardCount % 3);
    ++m_cardCount;
    return value;
}

void DashboardPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this, [shop, sellerId] { return dashboardFigures(*shop, sellerId); },
            [this](const DashboardFigures &f) { show(f); });
}

void DashboardPage::show(const DashboardFigures &f)
{
    auto count = [](qint64 v) {
        return v < 0 ? QStringLiteral("—") : QString::number(v);
    };
    auto money = [&f](qint64 v) {
        return v < 0 ? QStringLiteral("—") : formatMoney(v, f.currency);
    };
    m_today->setText(money(f.todayCents));
    m_month->setText(money(f.monthCents));
    m_waiting->setText(count(f.waitingOrders));
    m_lowStock->setText(count(f.lowStock));
    m_refunds->setText(count(f.openRefunds));
    m_complaints->setText(count(f.openComplaints));
    m_coinDiscounts->setText(money(f.monthCoinDiscountCents));
    m_codeDiscounts->setText(money(f.monthCodeDiscountCents));
    m_chart->setDays(f.dailyCents, f.dayLabels, f.currency);
    if (!f.error.isEmpty())
        showMessage(f.error, true);
    else if (f.monthCents == 0 && f.waitingOrders <= 0)
        showMessage(tr("No sales yet. Add products on the Products page and share the shop's URL "
                       "from the Server page with your customers."));
    else
        showMessage({});
}

} // namespace Mercato
