#include "sellermail.h"

#include "invoices.h"
#include "mailoutbox.h"
#include "orders.h"

namespace Mercato {

namespace {

QString money(qint64 cents, const QString &currency)
{
    return QStringLiteral("%1.%2 %3")
            .arg(cents / 100)
            .arg(cents % 100, 2, 10, QLatin1Char('0'))
            .arg(currency);
}

// The seller's address and name when the choice `column` is on; an empty address otherwise.
Result<std::pair<QString, QString>> recipient(const QSqlDatabase &db, const QString &sellerId,
                                              const QString &column)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT email, display_name FROM users WHERE id = ? AND "
                                    "role = 'seller' AND ")
                             + column + QStringLiteral(" = 1"),
                     {sellerId});
    if (!q)
        return q.error();
    std::pair<QString, QString> out;
    if (q->next())
        out = {q->value(0).toString(), q->value(1).toString()};
    q->finish(); // the read ends before the caller's write
    return out;
}

} // namespace

namespace SellerMail {

Result<SellerMailChoices> choices(const QSqlDatabase &db, const QString &sellerId)
{
    auto q = execSql(
            db, QStringLiteral("SELECT mail_on_sale, mail_on_low_stock FROM users WHERE id = ?"),
            {sellerId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    return SellerMailChoices{q->value(0).toInt() != 0, q->value(1).toInt() != 0};
}

Status setChoices(const QSqlDatabase &db, const QString &sellerId, std::optional<bool> onSale,
                  std::optional<bool> onLowStock)
{
    for (const auto &[column, value] :
         {std::pair{QStringLiteral("mail_on_sale"), onSale},
          std::pair{QStringLiteral("mail_on_low_stock"), onLowStock}}) {
        if (!value)
            continue;
        auto q = execSql(db,
                         QStringLiteral("UPDATE users SET ") + column
                                 + QStringLiteral(" = ? WHERE id = ?"),
                         {*value ? 1 : 0, sellerId});
        if (!q)
            return q.error();
    }
    return Ok{};
}

Status sale(const QSqlDatabase &db, const Order &order, const QString &sellerId)
{
    auto to = recipient(db, sellerId, QStringLiteral("mail_on_sale"));
    if (!to)
        return to.error();
    if (to->first.isEmpty())
        return Ok{};
    QStringList lines;
    qint64 total = 0;
    qint64 paid = 0;
    qint64 tax = 0;
    for (const OrderLine &l : order.items) {
        if (l.sellerId != sellerId)
            continue;
        lines.append(QStringLiteral("  %1 x %2: %3")
                             .arg(QString::number(l.quantity), l.name,
                                  money(l.lineTotalCents, order.currency)));
        total += l.lineTotalCents;
        paid += l.lineTotalCents - l.discountShareCents;
        tax += l.taxCents;
    }
    MailMessage mail;
    mail.to = to->first;
    mail.subject = QStringLiteral("Sale: order #%1 was paid").arg(order.number);
    mail.textBody
            = QStringLiteral("Hello %1,\n\norder #%2 was paid. Your lines in it:\n%3\n\n"
                             "Total for your lines: %4\n"
                             "Paid for them after discounts: %5\n"
                             "Tax contained in that (%6): %7\n")
                      .arg(to->second, QString::number(order.number), lines.join(QLatin1Char('\n')),
                           money(total, order.currency), money(paid, order.currency),
                           Invoices::percentText(order.taxRateMilli), money(tax, order.currency));
    if (auto id = MailOutboxTable::add(db, mail); !id)
        return id.error();
    return Ok{};
}

Status lowStock(const QSqlDatabase &db, const QString &sellerId, const QString &productName,
                int stock, int threshold)
{
    auto to = recipient(db, sellerId, QStringLiteral("mail_on_low_stock"));
    if (!to)
        return to.error();
    if (to->first.isEmpty())
        return Ok{};
    MailMessage mail;
    mail.to = to->first;
    mail.subject = QStringLiteral("Low stock: %1").arg(productName);
    mail.textBody = QStringLiteral("Hello %1,\n\n%2 is running low.\nStock: %3\n"
                                   "Low-stock threshold: %4\n")
                            .arg(to->second, productName)
                            .arg(stock)
                            .arg(threshold);
    if (auto id = MailOutboxTable::add(db, mail); !id)
        return id.error();
    return Ok{};
}

} // namespace SellerMail

} // namespace Mercato
