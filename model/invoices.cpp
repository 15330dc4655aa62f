#include "invoices.h"

#include "clock.h"
#include "orders.h"
#include "storeprofile.h"

#include <QDateTime>
#include <QHash>

#include <algorithm>

namespace Mercato::Invoices {

namespace {

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

// Escaped: the currency is text from the order.
QString money(qint64 cents, const QString &currency)
{
    const QString sign = cents < 0 ? QStringLiteral("-") : QString();
    const qint64 a = cents < 0 ? -cents : cents;
    return QStringLiteral("%1%2.%3 %4")
            .arg(sign)
            .arg(a / 100)
            .arg(a % 100, 2, 10, QLatin1Char('0'))
            .arg(esc(currency));
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

} // namespace

QString percentText(qint64 milli)
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

namespace {

int yearIn(qint64 nowMs, const QTimeZone &zone)
{
    return QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone::utc()).toTimeZone(zone).date().year();
}

} // namespace

Result<qint64> nextNumber(const QSqlDatabase &db, const QString &kind, int year)
{
    // The upsert takes the row lock of (kind, year) until commit: concurrent callers queue up,
    // and a transaction rolled back gives its number back with it.
    auto n = execSql(db,
                     QStringLiteral("INSERT INTO document_counters (kind, year, last) VALUES "
                                    "(?, ?, 1) ON CONFLICT (kind, year) DO UPDATE SET "
                                    "last = document_counters.last + 1 RETURNING last"),
                     {kind, year});
    if (!n)
        return n.error();
    if (!n->next())
        return makeError(ErrorCode::Internal, QStringLiteral("no %1 number").arg(kind));
    const qint64 number = n->value(0).toLongLong();
    n->finish();
    return number;
}

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
    const int year = yearIn(nowMs, zone);
    auto number = nextNumber(db, QStringLiteral("invoice"), year);
    if (!number)
        return number.error();
    auto profile = StoreProfiles::load(db);
    if (!profile)
        return profile.error();
    const QString prefix
            = profile->invoicePrefix.isEmpty() ? QStringLiteral("INV-") : profile->invoicePrefix;
    const QString text = QStringLiteral("%1%2-%3").arg(prefix).arg(year).arg(number.value());
    auto u = execSql(db, QStringLiteral("UPDATE orders SET invoice_number = ? WHERE id = ?"),
                     {text, orderId});
    if (!u)
        return u.error();
    return text;
}

Result<QString> issueCreditNoteNumber(const QSqlDatabase &db, const QString &refundId, qint64 nowMs,
                                      const QTimeZone &zone)
{
    auto has = execSql(db, QStringLiteral("SELECT credit_note_number FROM refunds WHERE id = ?"),
                       {refundId});
    if (!has)
        return has.error();
    if (!has->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such refund"));
    if (!has->value(0).isNull())
        return has->value(0).toString();
    has->finish();
    const int year = yearIn(nowMs, zone);
    auto number = nextNumber(db, QStringLiteral("credit_note"), year);
    if (!number)
        return number.error();
    auto profile = StoreProfiles::load(db);
    if (!profile)
        return profile.error();
    const QString prefix = profile->creditNotePrefix.isEmpty() ? QStringLiteral("CN-")
                                                               : profile->creditNotePrefix;
    const QString text = QStringLiteral("%1%2-%3").arg(prefix).arg(year).arg(number.value());
    auto u = execSql(db, QStringLiteral("UPDATE refunds SET credit_note_number = ? WHERE id = ?"),
                     {text, refundId});
    if (!u)
        return u.error();
    return text;
}

QList<qint64> creditNoteTaxes(const Order &o)
{
    // Refunds in the order they were recorded: each unit's tax comes back by the share rule
    // (⌊line tax × q ÷ n⌋, the refund that leaves no unit of the line unrefunded takes what is
    // left), and the shipping's tax with the refund that pays the shipping back; so the credit
    // notes of a fully refunded order hold exactly the order's tax.
    QHash<QString, int> refundedUnits;
    QHash<QString, qint64> refundedTax;
    QList<qint64> out;
    out.reserve(o.refunds.size());
    for (const OrderRefund &r : o.refunds) {
        qint64 tax = 0;
        for (const RefundItem &item : r.items) {
            const auto line
                    = std::find_if(o.items.cbegin(), o.items.cend(),
                                   [&](const OrderLine &l) { return l.id == item.orderItemId; });
            if (line == o.items.cend() || line->quantity <= 0)
                continue;
            int &units = refundedUnits[line->id];
            qint64 &given = refundedTax[line->id];
            units += item.quantity;
            const qint64 share = units >= line->quantity
                                         ? line->taxCents - given
                                         : line->taxCents * item.quantity / line->quantity;
            given += share;
            tax += share;
        }
        if (r.shippingRefundedCents > 0)
            tax += o.shippingTaxCents;
        out.append(tax);
    }
    return out;
}

QByteArray html(const Order &o, const StoreProfile &store)
{
    const QString cur = o.currency;
    const QString name = store.name.isEmpty() ? QStringLiteral("Mercato") : store.name;
    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<title>Invoice %1</title><style>body{font-family:sans-serif;margin:2em}"
                        "table{border-collapse:collapse;width:100%;margin-bottom:1em}"
                        "td,th{padding:4px 8px;border-bottom:1px solid #ccc;text-align:left}"
                        "td.n,th.n{text-align:right}"
                        "@media print{body{margin:0}}</style></head><body>\n")
                 .arg(esc(o.invoiceNumber));
    h += QStringLiteral("<header><h1>%1</h1>").arg(esc(name));
    if (store.address)
        h += QStringLiteral("<p class=\"store-address\">%1</p>").arg(addressLines(*store.address));
    if (!store.taxId.isEmpty())
        h += QStringLiteral("<p class=\"tax-id\">Tax id: %1</p>").arg(esc(store.taxId));
    qint64 paidAt = o.updatedAt;
    for (const StatusChange &c : o.history) {
        if (c.status == OrderStatus::Paid)
            paidAt = c.at;
    }
    h += QStringLiteral("</header>\n<h2>Invoice %1</h2><p>Order #%2, paid %3</p>\n")
                 .arg(esc(o.invoiceNumber), QString::number(o.number),
                      esc(Clock::toRfc3339(paidAt)));
    h += QStringLiteral("<section><h3>Bill to</h3><p class=\"customer\">%1</p></section>\n")
                 .arg(o.shippingAddress ? addressLines(*o.shippingAddress) : esc(o.customerName));
    const QString rate = percentText(o.taxRateMilli);
    h += QStringLiteral("<table class=\"lines\"><thead><tr><th>Item</th><th class=\"n\">Quantity"
                        "</th><th class=\"n\">Unit price</th><th class=\"n\">Total</th>"
                        "<th class=\"n\">Discount</th><th class=\"n\">Paid</th>"
                        "<th class=\"n\">Tax rate</th><th class=\"n\">Tax</th></tr></thead>"
                        "<tbody>\n");
    qint64 gross = 0;
    qint64 tax = 0;
    for (const OrderLine &l : o.items) {
        const qint64 paid = l.lineTotalCents - l.discountShareCents;
        gross += paid;
        tax += l.taxCents;
        h += QStringLiteral("<tr><td>%1</td><td class=\"n\">%2</td><td class=\"n\">%3</td>"
                            "<td class=\"n\">%4</td><td class=\"n\">%5</td><td class=\"n\">%6</td>"
                            "<td class=\"n\">%7</td><td class=\"n\">%8</td></tr>\n")
                     .arg(esc(l.name), QString::number(l.quantity), money(l.unitPriceCents, cur),
                          money(l.lineTotalCents, cur), money(-l.discountShareCents, cur),
                          money(paid, cur), rate, money(l.taxCents, cur));
    }
    if (!o.shippingOptionId.isEmpty()) {
        gross += o.shippingCents;
        tax += o.shippingTaxCents;
        h += QStringLiteral("<tr class=\"shipping\"><td>Shipping: %1</td><td class=\"n\">1</td>"
                            "<td class=\"n\">%2</td><td class=\"n\">%2</td><td class=\"n\">%3</td>"
                            "<td class=\"n\">%2</td><td class=\"n\">%4</td>"
                            "<td class=\"n\">%5</td></tr>\n")
                     .arg(esc(o.shippingName), money(o.shippingCents, cur), money(0, cur), rate,
                          money(o.shippingTaxCents, cur));
    }
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
    if (!o.shippingOptionId.isEmpty()) {
        row(QStringLiteral("Shipping: %1").arg(o.shippingName), o.shippingCents);
        row(QStringLiteral("Tax contained in shipping"), o.shippingTaxCents);
    }
    row(QStringLiteral("Total"), gross);
    row(QStringLiteral("Tax contained"), tax);
    h += QStringLiteral("</table>\n");
    // Every line and the shipping are taxed at the order's rate: one row per rate.
    h += QStringLiteral("<section><h3>Tax by rate</h3><table class=\"tax-by-rate\"><thead><tr>"
                        "<th>Rate</th><th class=\"n\">Net</th><th class=\"n\">Tax</th>"
                        "<th class=\"n\">Gross</th></tr></thead><tbody>"
                        "<tr><td>%1</td><td class=\"n\">%2</td><td class=\"n\">%3</td>"
                        "<td class=\"n\">%4</td></tr></tbody></table></section>\n")
                 .arg(rate, money(gross - tax, cur), money(tax, cur), money(gross, cur));
    if (!o.refunds.isEmpty()) {
        const QList<qint64> taxes = creditNoteTaxes(o);
        h += QStringLiteral("<section><h3>Credit notes</h3><table class=\"credit-notes\"><thead>"
                            "<tr><th>Credit note</th><th>Date</th><th>Reason</th>"
                            "<th class=\"n\">Amount</th><th class=\"n\">Tax contained</th></tr>"
                            "</thead><tbody>");
        qint64 creditedCents = 0;
        qint64 creditedTax = 0;
        for (qsizetype i = 0; i < o.refunds.size(); ++i) {
            const OrderRefund &r = o.refunds.at(i);
            creditedCents += r.amountCents;
            creditedTax += taxes.at(i);
            h += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td class=\"n\">%4</td>"
                                "<td class=\"n\">%5</td></tr>")
                         .arg(esc(r.creditNoteNumber.isEmpty() ? QStringLiteral("(unnumbered)")
                                                               : r.creditNoteNumber),
                              esc(Clock::toRfc3339(r.createdAt)), esc(r.reason),
                              money(-r.amountCents, cur), money(-taxes.at(i), cur));
        }
        h += QStringLiteral("</tbody></table><table class=\"after-credit-notes\">");
        row(QStringLiteral("Total after credit notes"), gross - creditedCents);
        row(QStringLiteral("Tax contained after credit notes"), tax - creditedTax);
        h += QStringLiteral("</table></section>\n");
    }
    h += QStringLiteral("</body></html>\n");
    return h.toUtf8();
}

} // namespace Mercato::Invoices
