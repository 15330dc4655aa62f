#include "csvexport.h"

#include "clock.h"
#include "database.h"

#include <QIODevice>
#include <QSqlRecord>

namespace Mercato {

CsvWriter::CsvWriter(QIODevice *device, bool bom)
    : m_device(device)
{
    if (bom)
        m_ok = m_device->write("\xEF\xBB\xBF", 3) == 3;
}

QByteArray CsvWriter::field(const QString &value)
{
    QByteArray utf8 = value.toUtf8();
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

enum class Kind { Text, Integer, Time };

struct Column
{
    const char *header;
    Kind kind;
};

struct Query
{
    QString kind;
    QList<Column> columns;
    QString sql;
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
              {"coins_used", Kind::Integer},
              {"total_cents", Kind::Integer},
              {"currency", Kind::Text},
              {"payment_provider", Kind::Text},
              {"payment_state", Kind::Text},
              {"updated_at", Kind::Time}},
             QStringLiteral("SELECT o.id, o.created_at, o.customer_id, u.email, o.status, "
                            "o.subtotal_cents, "
                            "o.discount_cents, o.coins_used, o.total_cents, o.currency, "
                            "o.payment_provider, "
                            "o.payment_state, o.updated_at FROM orders o LEFT JOIN users u ON u.id "
                            "= o.customer_id "
                            "ORDER BY o.created_at, o.id")},
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
                     "i.name, "
                     "i.unit_price_cents, i.quantity, i.line_total_cents, i.discount_share_cents, "
                     "i.refunded_quantity, i.refunded_cents, o.currency FROM order_items i "
                     "JOIN orders o ON o.id = i.order_id ORDER BY o.created_at, o.id, i.id")},
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
             QStringLiteral(
                     "SELECT id, seller_id, name, description, price_cents, stock, "
                     "low_stock_threshold, "
                     "rating_count, rating_sum, created_at, updated_at, deleted_at FROM products "
                     "ORDER BY created_at, id")},
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
                     "l.product_id "
                     "ORDER BY l.id")},
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
              {"currency", Kind::Text}},
             QStringLiteral(
                     "SELECT r.id, r.created_at, r.order_id, r.order_item_id, r.customer_id, "
                     "r.seller_id, "
                     "r.quantity, r.reason, r.status, r.note, r.amount_cents, r.coins_returned, "
                     "r.restock, "
                     "r.decided_at, (SELECT pr.state FROM payment_refunds pr WHERE "
                     "pr.refund_request_id = r.id "
                     "ORDER BY pr.created_at DESC LIMIT 1), o.currency FROM refund_requests r "
                     "JOIN orders o ON o.id = r.order_id ORDER BY r.created_at, r.id")},
    };
    return all;
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

Result<qint64> write(const QSqlDatabase &db, const QString &kind, QIODevice *out, bool bom)
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
    auto rows = execSql(db, query->sql);
    if (!rows)
        return rows.error();
    CsvWriter csv(out, bom);
    QStringList header;
    for (const Column &c : query->columns)
        header.append(QLatin1String(c.header));
    csv.writeRow(header);
    qint64 count = 0;
    QStringList fields;
    while (rows->next()) {
        fields.clear();
        for (qsizetype i = 0; i < query->columns.size(); ++i)
            fields.append(cell(rows->value(int(i)), query->columns.at(i).kind));
        csv.writeRow(fields);
        if (!csv.ok())
            return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write the export"));
        ++count;
    }
    if (!csv.ok())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write the export"));
    return count;
}

} // namespace Export
} // namespace Mercato
