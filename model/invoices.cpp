#include "invoices.h"

#include "clock.h"
#include "orders.h"
#include "storeprofile.h"

#include <QDateTime>

namespace Mercato::Invoices {

namespace {

QString money(qint64 cents, const QString &currency)
{
    const QString sign = cents < 0 ? QStringLiteral("-") : QString();
    const qint64 a = cents < 0 ? -cents : cents;
    return QStringLiteral("%1%2.%3 %4")
            .arg(sign)
            .arg(a / 100)
            .arg(a % 100, 2, 10, QLatin1Char('0'))
            .arg(currency);
}

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString addressLines(const Address &a)
{
    QStringList parts{a.name, a.line1};
    if (!a.line2.isEmpty())
        parts.append(a.line2);
    parts.append(QStringList{a.postalCode, a.city}.join(QLatin1Char(' ')).trimmed());
    if (!a.region.isEmpty())
        parts.append(a.region);
    parts.append(a.country);
    QStringList escaped;
    for (const QString &p : std::as_const(parts))
        escaped.append(esc(p));
    return escaped.join(QStringLiteral("<br>"));
}

QString percent(qint64 milli)
{
    QString s = QString::number(milli / 1000);
    if (const qint64 frac = milli % 1000; frac != 0) {
        QString f = QStringLiteral("%1").arg(frac, 3, 10, QLatin1Char('0'));
        while (f.endsWith(QLatin1Char('0')))
            f.chop(1);
        s += QLatin1Char('.') + f;
    }
    return s + QLatin1Char('%');
}

} // namespace

Result<QString> issueNumber(const QSqlDatabase &db, const QString &orderId, qint64 nowMs,
                            const QTimeZone &zone)
{
    auto has = execSql(db, QStringLiteral("SELECT invoice_number FROM orders WHERE id = ?"),
                       {orderId});
    if (!has)
        return has.error();
    if (has->next() && !has->value(0).isNull())
        return has->value(0).toString();
    has->finish();
    const int year = QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone::utc())
                             .toTimeZone(zone)
                             .date()
                             .year();
    // The upsert takes the year's row lock until commit: concurrent payments queue up, and a
    // payment rolled back gives its number back with it.
    auto n = execSql(db,
                     QStringLiteral("INSERT INTO document_counters (kind, year, last) VALUES "
                                    "('invoice', ?, 1) ON CONFLICT (kind, year) DO UPDATE SET "
                                    "last = document_counters.last + 1 RETURNING last"),
                     {year});
    if (!n)
        return n.error();
    if (!n->next())
        return makeError(ErrorCode::Internal, QStringLiteral("no invoice number"));
    const qint64 number = n->value(0).toLongLong();
    n->finish();
    auto profile = StoreProfiles::load(db);
    if (!profile)
        return profile.error();
    const QString prefix
            = profile->invoicePrefix.isEmpty() ? QStringLiteral("INV-") : profile->invoicePrefix;
    const QString text = QStringLiteral("%1%2-%3").arg(prefix).arg(year).arg(number);
    auto u = execSql(db, QStringLiteral("UPDATE orders SET invoice_number = ? WHERE id = ?"),
                     {text, orderId});
    if (!u)
        return u.error();
    return text;
}

QByteArray html(const Order &o, const StoreProfile &store)
{
    const QString cur = o.currency;
    const QString name = store.name.isEmpty() ? QStringLiteral("Mercato") : store.name;
    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<title>Invoice %1</title><style>body{font-family:sans-serif;margin:2em}"
                        "table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;"
                        "border-bottom:1px solid #ccc;text-align:left}td.n,th.n{text-align:right}"
                        "@media print{body{margin:0}}</style></head><body>\n")
                 .arg(esc(o.invoiceNumber));
    h += QStringLiteral("<header><h1>%1</h1>").arg(esc(name));
    if (store.address)
        h += QStringLiteral("<p class=\"store-address\">%1</p>").arg(addressLines(*store.address));
    if (!store.taxId.isEmpty())
        h += QStringLiteral("<p>Tax id: %1</p>").arg(esc(store.taxId));
    qint64 paidAt = o.updatedAt;
    for (const StatusChange &c : o.history) {
        if (c.status == OrderStatus::Paid)
            paidAt = c.at;
    }
    h += QStringLiteral("</header>\n<h2>Invoice %1</h2><p>Order #%2, paid %3</p>\n")
                 .arg(esc(o.invoiceNumber))
                 .arg(o.number)
                 .arg(esc(Clock::toRfc3339(paidAt)));
    h += QStringLiteral("<section><h3>Bill to</h3><p class=\"customer\">%1</p></section>\n")
                 .arg(o.shippingAddress ? addressLines(*o.shippingAddress) : esc(o.customerName));
    h += QStringLiteral("<table><thead><tr><th>Item</th><th class=\"n\">Quantity</th>"
                        "<th class=\"n\">Unit price</th><th class=\"n\">Total</th>"
                        "<th class=\"n\">Discount</th><th class=\"n\">Tax</th></tr></thead>"
                        "<tbody>\n");
    for (const OrderLine &l : o.items)
        h += QStringLiteral("<tr><td>%1</td><td class=\"n\">%2</td><td class=\"n\">%3</td>"
                            "<td class=\"n\">%4</td><td class=\"n\">%5</td><td class=\"n\">%6</td>"
                            "</tr>\n")
                     .arg(esc(l.name))
                     .arg(l.quantity)
                     .arg(money(l.unitPriceCents, cur), money(l.lineTotalCents, cur),
                          money(-l.discountShareCents, cur), money(l.taxCents, cur));
    h += QStringLiteral("</tbody></table>\n<table class=\"totals\">");
    auto row = [&](const QString &label, qint64 cents) {
        h += QStringLiteral("<tr><th>%1</th><td class=\"n\">%2</td></tr>")
                     .arg(esc(label), money(cents, cur));
    };
    row(QStringLiteral("Subtotal"), o.subtotalCents);
    if (!o.discountCode.isEmpty())
        row(QStringLiteral("Discount code %1").arg(o.discountCode), -o.codeCents);
    if (o.coinsUsed > 0)
        row(QStringLiteral("Coins (%1)").arg(o.coinsUsed), -(o.discountCents - o.codeCents));
    if (!o.shippingOptionId.isEmpty())
        row(QStringLiteral("Shipping: %1").arg(o.shippingName), o.shippingCents);
    row(QStringLiteral("Total"), o.totalCents);
    row(QStringLiteral("Tax at %1 included").arg(percent(o.taxRateMilli)), o.taxCents);
    h += QStringLiteral("</table>\n");
    if (!o.refunds.isEmpty()) {
        h += QStringLiteral("<section><h3>Refunds</h3><table>");
        for (const OrderRefund &r : o.refunds)
            h += QStringLiteral("<tr><td>%1</td><td>%2</td><td class=\"n\">%3</td></tr>")
                         .arg(esc(Clock::toRfc3339(r.createdAt)), esc(r.reason),
                              money(-r.amountCents, cur));
        h += QStringLiteral("</table></section>\n");
    }
    h += QStringLiteral("</body></html>\n");
    return h.toUtf8();
}

} // namespace Mercato::Invoices
