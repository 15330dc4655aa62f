#include "packingslip.h"

#include "addresses.h"
#include "clock.h"
#include "orders.h"

#include <QRegularExpression>

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
    // Who the parcel goes to: the address frozen on the order, line by line, with the
    // shipping option chosen; an order without shipping names its customer only.
    QString shipTo = esc(o.customerName);
    if (o.shippingAddress) {
        const Address &a = *o.shippingAddress;
        QStringList lines;
        for (const QString &part : {a.name, a.line1, a.line2,
                                    QStringList({a.postalCode, a.city})
                                            .filter(QRegularExpression(QStringLiteral("\\S")))
                                            .join(QLatin1Char(' ')),
                                    a.region, a.country, a.phone}) {
            if (!part.trimmed().isEmpty())
                lines.append(esc(part));
        }
        shipTo = lines.join(QStringLiteral("<br>\n"));
    }
    if (!o.shippingName.isEmpty())
        shipTo += QStringLiteral("</p>\n<p class=\"shipping\">Shipping: %1")
                          .arg(esc(o.shippingName));
    const QString reference = o.number > 0 ? QStringLiteral("#%1").arg(o.number) : o.id;
    return QStringLiteral(
                   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<title>Packing slip: order %1</title>\n<style>\n"
                   "body{font-family:sans-serif;margin:2em;color:#000}\n"
                   "table{border-collapse:collapse;width:100%}\n"
                   "th,td{border:1px solid #444;padding:.4em;text-align:left}\n"
                   "td.n{text-align:right}td.box{width:3em}\n"
                   "@media print{body{margin:0}}\n</style>\n</head>\n<body>\n"
                   "<h1>Packing slip</h1>\n"
                   "<p>Order <strong class=\"order\">%1</strong>, placed %2</p>\n"
                   "<h2>Ship to</h2>\n<p class=\"address\">%3</p>\n"
                   "<h2>Items</h2>\n<table>\n<thead><tr><th>Item</th><th>Quantity</th>"
                   "<th>Shipped</th><th>Packed</th></tr></thead>\n<tbody>\n%4</tbody>\n</table>\n"
                   "</body>\n</html>\n")
            .arg(esc(reference), Clock::toRfc3339(o.createdAt), shipTo, rows);
}

} // namespace Mercato
