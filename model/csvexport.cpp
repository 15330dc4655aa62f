#include "csvexport.h"

#include "clock.h"
#include "database.h"

#include <QIODevice>
#include <QRegularExpression>
#include <QSqlRecord>

namespace Mercato {

CsvWriter::CsvWriter(QIODevice *device, bool bom)
    : m_device(device)
{
    if (bom)
        m_ok = m_device->write("\xEF\xBB\xBF", 3) == 3;
}

QString CsvWriter::neutralised(const QString &value)
{
    if (value.isEmpty())
        return value;
    const QChar first = value.front();
    if (first != QLatin1Char('=') && first != QLatin1Char('+') && first != QLatin1Char('-')
        && first != QLatin1Char('@') && first != QLatin1Char('\t') && first != QLatin1Char('\r'))
        return value;
    // A number stays a number (a negative stock change); anything else a spreadsheet would
    // run as a formula is shown as the text it is.
    static const QRegularExpression number(QStringLiteral("^[+-]?[0-9]+(\\.[0-9]+)?$"));
    if (number.match(value).hasMatch())
        return value;
    return QLatin1Char('\'') + value;
}

QByteArray CsvWriter::field(const QString &value)
{
    QByteArray utf8 = neutralised(value).toUtf8();
    if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\r') || utf8.contains('\n')) {
        utf8.replace('"', QByteArrayLiteral("\"\""));
        return '"' + utf8 + '"';
    }
    return utf8;
}

void CsvWriter::writeRow(const QStringList &fields)
{
    QByteArray line;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            line += ',';
        line += field(fields.at(i));
    }
    line += "\r\n";
    if (m_ok)
        m_ok = m_device->write(line) == line.size();
}

namespace Export {

namespace {

// Milli: thousandths written as a decimal (a tax rate of 7700 → 7.7).
enum class Kind { Text, Integer, Time, Milli };

struct Column
{
    const char *header;
    Kind kind;
};

struct Query
{
    QString kind;
    QList<Column> columns;
    // `%1` takes the seller condition (a WHERE clause) or nothing.
    QString sql;
    QString sellerWhere;
};

const QList<Query> &queries()
{
    static const QList<Query> all{
            {QStringLiteral("orders"),
             {{"order_id", Kind::Text},
              {"created_at", Kind::Time},
              {"customer_id", Kind::Text},
              {"customer_email", Kind::Text},
              {"status", Kind::Text},
              {"subtotal_cents", Kind::Integer},
              {"discount_cents", Kind::Integer},
              {"discount_code", Kind::Text},
              {"code_discount_cents", Kind::Integer},
              {"coin_discount_cents", Kind::Integer},
              {"coins_used", Kind::Integer},
              {"shipping_cents", Kind::Integer},
              {"total_cents", Kind::Integer},
              {"tax_rate_percent", Kind::Milli},
              {"tax_cents", Kind::Integer},
              {"shipping_tax_cents", Kind::Integer},
              {"currency", Kind::Text},
              {"invoice_number", Kind::Text},
              {"payment_provider", Kind::Text},
              {"payment_state", Kind::Text},
              {"updated_at", Kind::Time}},
             QStringLiteral("SELECT o.id, o.created_at, o.customer_id, u.email, o.status, "
                            "o.subtotal_cents, o.discount_cents, o.discount_code, o.code_cents, "
                            "o.discount_cents - o.code_cents, o.coins_used, o.shipping_cents, "
                            "o.total_cents, o.tax_rate_milli, o.tax_cents, o.shipping_tax_cents, "
                            "o.currency, o.invoice_number, o.payment_provider, o.payment_state, "
                            "o.updated_at FROM orders o LEFT JOIN users u ON u.id = o.customer_id "
                            "%1 ORDER BY o.created_at, o.id"),
             {}},
            {QStringLiteral("lines"),
             {{"order_id", Kind::Text},
              {"line_id", Kind::Text},
              {"ordered_at", Kind::Time},
              {"order_status", Kind::Text},
              {"product_id", Kind::Text},
              {"seller_id", Kind::Text},
              {"name", Kind::Text},
              {"unit_price_cents", Kind::Integer},
              {"quantity", Kind::Integer},
              {"line_total_cents", Kind::Integer},
              {"discount_share_cents", Kind::Integer},
              {"refunded_quantity", Kind::Integer},
              {"refunded_cents", Kind::Integer},
              {"currency", Kind::Text}},
             QStringLiteral(
                     "SELECT i.order_id, i.id, o.created_at, o.status, i.product_id, i.seller_id, "
                     "i.name, i.unit_price_cents, i.quantity, i.line_total_cents, "
                     "i.discount_share_cents, i.refunded_quantity, i.refunded_cents, o.currency "
                     "FROM order_items i JOIN orders o ON o.id = i.order_id %1 "
                     "ORDER BY o.created_at, o.id, i.id"),
             QStringLiteral("WHERE i.seller_id = ?")},
            {QStringLiteral("products"),
             {{"product_id", Kind::Text},
              {"seller_id", Kind::Text},
              {"name", Kind::Text},
              {"description", Kind::Text},
              {"price_cents", Kind::Integer},
              {"stock", Kind::Integer},
              {"low_stock_threshold", Kind::Integer},
              {"rating_count", Kind::Integer},
              {"rating_sum", Kind::Integer},
              {"created_at", Kind::Time},
              {"updated_at", Kind::Time},
              {"deleted_at", Kind::Time}},
             QStringLiteral("SELECT id, seller_id, name, description, price_cents, stock, "
                            "low_stock_threshold, rating_count, rating_sum, created_at, "
                            "updated_at, deleted_at FROM products %1 ORDER BY created_at, id"),
             QStringLiteral("WHERE seller_id = ?")},
            {QStringLiteral("stock-ledger"),
             {{"entry_id", Kind::Integer},
              {"created_at", Kind::Time},
              {"product_id", Kind::Text},
              {"product_name", Kind::Text},
              {"delta", Kind::Integer},
              {"reason", Kind::Text},
              {"note", Kind::Text},
              {"actor_id", Kind::Text},
              {"order_id", Kind::Text}},
             QStringLiteral(
                     "SELECT l.id, l.created_at, l.product_id, p.name, l.delta, l.reason, l.note, "
                     "l.actor_id, l.order_id FROM stock_ledger l LEFT JOIN products p ON p.id = "
                     "l.product_id %1 ORDER BY l.id"),
             QStringLiteral("WHERE p.seller_id = ?")},
            {QStringLiteral("refunds"),
             {{"refund_id", Kind::Text},
              {"created_at", Kind::Time},
              {"order_id", Kind::Text},
              {"line_id", Kind::Text},
              {"customer_id", Kind::Text},
              {"seller_id", Kind::Text},
              {"quantity", Kind::Integer},
              {"reason", Kind::Text},
              {"status", Kind::Text},
              {"note", Kind::Text},
              {"amount_cents", Kind::Integer},
              {"coins_returned", Kind::Integer},
              {"restock", Kind::Integer},
              {"decided_at", Kind::Time},
              {"payment_state", Kind::Text},
              {"credit_note_number", Kind::Text},
              {"currency", Kind::Text}},
             QStringLiteral(
                     "SELECT r.id, r.created_at, r.order_id, r.order_item_id, r.customer_id, "
                     "r.seller_id, r.quantity, r.reason, r.status, r.note, r.amount_cents, "
                     "r.coins_returned, r.restock, r.decided_at, (SELECT pr.state FROM "
                     "payment_refunds pr WHERE pr.refund_request_id = r.id ORDER BY "
                     "pr.created_at DESC LIMIT 1), (SELECT cn.credit_note_number FROM refunds cn "
                     "WHERE cn.refund_request_id = r.id), o.currency FROM refund_requests r "
                     "JOIN orders o ON o.id = r.order_id %1 ORDER BY r.created_at, r.id"),
             QStringLiteral("WHERE r.seller_id = ?")},
    };
    return all;
}

// A seller's orders as the seller's order API shows them: those holding one of its lines,
// the customer's name (not the email), and the seller's share beside the order's totals.
const Query &sellerOrders()
{
    static const Query query{
            QStringLiteral("orders"),
            {{"order_id", Kind::Text},
             {"created_at", Kind::Time},
             {"customer_id", Kind::Text},
             {"customer_name", Kind::Text},
             {"status", Kind::Text},
             {"seller_subtotal_cents", Kind::Integer},
             {"seller_tax_cents", Kind::Integer},
             {"subtotal_cents", Kind::Integer},
             {"discount_cents", Kind::Integer},
             {"discount_code", Kind::Text},
             {"code_discount_cents", Kind::Integer},
             {"coin_discount_cents", Kind::Integer},
             {"coins_used", Kind::Integer},
             {"shipping_cents", Kind::Integer},
             {"total_cents", Kind::Integer},
             {"tax_rate_percent", Kind::Milli},
             {"tax_cents", Kind::Integer},
             {"shipping_tax_cents", Kind::Integer},
             {"currency", Kind::Text},
             {"invoice_number", Kind::Text},
             {"payment_provider", Kind::Text},
             {"payment_state", Kind::Text},
             {"updated_at", Kind::Time}},
            QStringLiteral("SELECT o.id, o.created_at, o.customer_id, u.display_name, o.status, "
                           "(SELECT SUM(s.line_total_cents) FROM order_items s WHERE s.order_id "
                           "= o.id AND s.seller_id = ?), (SELECT SUM(t.tax_cents) FROM "
                           "order_items t WHERE t.order_id = o.id AND t.seller_id = ?), "
                           "o.subtotal_cents, o.discount_cents, o.discount_code, o.code_cents, "
                           "o.discount_cents - o.code_cents, o.coins_used, o.shipping_cents, "
                           "o.total_cents, o.tax_rate_milli, o.tax_cents, o.shipping_tax_cents, "
                           "o.currency, o.invoice_number, o.payment_provider, o.payment_state, "
                           "o.updated_at FROM orders o LEFT JOIN users u ON "
                           "u.id = o.customer_id %1 ORDER BY o.created_at, o.id"),
            QStringLiteral("WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id "
                           "AND i.seller_id = ?)")};
    return query;
}

QString cell(const QVariant &value, Kind kind)
{
    if (value.isNull())
        return {};
    switch (kind) {
    case Kind::Time:
        return Clock::toRfc3339(value.toLongLong());
    case Kind::Integer:
        return QString::number(value.toLongLong());
    case Kind::Milli: {
        const qint64 milli = value.toLongLong();
        QString out = QString::number(milli / 1000);
        if (qint64 frac = milli % 1000; frac != 0) {
            QString digits
                    = QStringLiteral("%1").arg(frac < 0 ? -frac : frac, 3, 10, QLatin1Char('0'));
            while (digits.endsWith(QLatin1Char('0')))
                digits.chop(1);
            out += QLatin1Char('.') + digits;
        }
        return out;
    }
    case Kind::Text:
        break;
    }
    return value.toString();
}

} // namespace

QStringList kinds()
{
    QStringList out;
    for (const Query &q : queries())
        out.append(q.kind);
    return out;
}

Result<Written> write(const QSqlDatabase &db, const QString &kind, QIODevice *out,
                      const Options &options)
{
    const Query *query = nullptr;
    for (const Query &q : queries()) {
        if (q.kind == kind)
            query = &q;
    }
    if (!query)
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("unknown export '%1' (one of %2)")
                                 .arg(kind, kinds().join(QStringLiteral(", "))));
    const bool bySeller = !options.sellerId.isEmpty();
    if (bySeller && kind == QLatin1String("orders"))
        query = &sellerOrders();
    const QString sql = query->sql.arg(bySeller ? query->sellerWhere : QString());
    // Every bind of a seller's query is the seller's id; the whole shop's have none.
    const QVariantList binds(bySeller ? sql.count(QLatin1Char('?')) : 0, options.sellerId);
    Progress *progress = options.progress;
    if (progress) {
        auto total
                = execSql(db, QStringLiteral("SELECT COUNT(*) FROM (%1) counted").arg(sql), binds);
        if (!total)
            return total.error();
        if (total->next())
            progress->total.store(total->value(0).toLongLong());
    }
    auto rows = execSql(db, sql, binds);
    if (!rows)
        return rows.error();
    CsvWriter csv(out, options.bom);
    QStringList header;
    for (const Column &c : query->columns)
        header.append(QLatin1String(c.header));
    csv.writeRow(header);
    Written written;
    QStringList fields;
    while (rows->next()) {
        if (progress && progress->cancel.load()) {
            written.cancelled = true;
            return written;
        }
        fields.clear();
        for (qsizetype i = 0; i < query->columns.size(); ++i)
            fields.append(cell(rows->value(int(i)), query->columns.at(i).kind));
        csv.writeRow(fields);
        if (!csv.ok())
            return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write the export"));
        ++written.rows;
        if (progress)
            progress->written.store(written.rows);
        if (options.afterRow)
            options.afterRow(written.rows);
    }
    if (!csv.ok())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write the export"));
    if (progress && progress->cancel.load())
        written.cancelled = true; // cancelled after the last row: still not the user's file
    return written;
}

Result<qint64> write(const QSqlDatabase &db, const QString &kind, QIODevice *out, bool bom)
{
    Options options;
    options.bom = bom;
    auto written = write(db, kind, out, options);
    if (!written)
        return written.error();
    return written->rows;
}

} // namespace Export
} // namespace Mercato
