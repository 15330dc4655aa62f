#include "packingslip.h"

#include "clock.h"
#include "orders.h"

namespace Mercato {

QString packingSlipHtml(const Order &o)
{
    const auto esc = [](const QString &s) {
        return s.toHtmlEscaped();
    };
    QString rows;
    for (const OrderLine &l : o.items) {
        const int toPack = std::max(0, l.quantity - l.refundedQuantity);
        rows += QStringLiteral("<tr><td>%1</td><td class=\"n\">%2</td><td class=\"n\">%3</td>"
                               "<td class=\"box\"></td></tr>\n")
                        .arg(esc(l.name))
                        .arg(toPack)
                        .arg(l.shippedQuantity);
    }
    // Where the parcel goes: the address frozen on the order, else only the customer's name.
    QString shipTo;
    if (o.shippingAddress) {
        const Address &a = *o.shippingAddress;
        QStringList lines{esc(a.name), esc(a.line1)};
        if (!a.line2.isEmpty())
            lines.append(esc(a.line2));
        lines.append(esc(QStringList{a.postalCode, a.city}.join(QLatin1Char(' ')).trimmed()));
        if (!a.region.isEmpty())
            lines.append(esc(a.region));
        lines.append(esc(a.country));
        if (!a.phone.isEmpty())
            lines.append(esc(a.phone));
        shipTo = lines.join(QStringLiteral("<br>\n"));
    } else {
        shipTo = esc(o.customerName);
    }
    const QString via
            = o.shippingName.isEmpty()
                      ? QString()
                      : QStringLiteral("<p>Shipping: <span class=\"shipping\">%1</span></p>\n")
                                .arg(esc(o.shippingName));
    const QString number = o.number > 0 ? QStringLiteral("#%1").arg(o.number) : esc(o.id);
    return QStringLiteral(
                   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<title>Packing slip: order %1</title>\n<style>\n"
                   "body{font-family:sans-serif;margin:2em;color:#000}\n"
                   "table{border-collapse:collapse;width:100%}\n"
                   "th,td{border:1px solid #444;padding:.4em;text-align:left}\n"
                   "td.n{text-align:right}td.box{width:3em}\n"
                   "@media print{body{margin:0}}\n</style>\n</head>\n<body>\n"
                   "<h1>Packing slip</h1>\n"
                   "<p>Order <strong class=\"order\">%1</strong>, placed %2<br>\n"
                   "Reference <span class=\"reference\">%3</span></p>\n"
                   "<h2>Ship to</h2>\n<p class=\"customer\">%4</p>\n%5"
                   "<h2>Items</h2>\n<table>\n<thead><tr><th>Item</th><th>Quantity</th>"
                   "<th>Shipped</th><th>Packed</th></tr></thead>\n<tbody>\n%6</tbody>\n</table>\n"
                   "</body>\n</html>\n")
            .arg(number, Clock::toRfc3339(o.createdAt), esc(o.id), shipTo, via, rows);
}

} // namespace Mercato
