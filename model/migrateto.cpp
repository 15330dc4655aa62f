#include "migrateto.h"

#include <QHash>
#include <QScopeGuard>
#include <QSet>
#include <QSqlError>

namespace Mercato::MigrateTo {

namespace {

struct Column
{
    QString name;
    QMetaType type; // what a value is bound as on PostgreSQL
};

QMetaType typeFor(const QString &pgType)
{
    if (pgType == QLatin1String("integer") || pgType == QLatin1String("bigint")
        || pgType == QLatin1String("smallint"))
        return QMetaType::fromType<qlonglong>();
    if (pgType == QLatin1String("boolean"))
        return QMetaType::fromType<bool>();
    if (pgType == QLatin1String("double precision") || pgType == QLatin1String("real")
        || pgType == QLatin1String("numeric"))
        return QMetaType::fromType<double>();
    if (pgType == QLatin1String("bytea"))
        return QMetaType::fromType<QByteArray>();
    return QMetaType::fromType<QString>();
}

QVariant converted(const QVariant &value, const QMetaType &type)
{
    if (value.isNull())
        return QVariant(type);
    QVariant v = value;
    if (v.metaType() != type)
        v.convert(type);
    return v;
}

// The target's tables (without schema_version) with their insertable columns.
Result<QList<std::pair<QString, QList<Column>>>> targetTables(const QSqlDatabase &db)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT c.table_name, c.column_name, c.data_type "
                                    "FROM information_schema.columns c "
                                    "JOIN information_schema.tables t ON t.table_schema = "
                                    "c.table_schema AND t.table_name = c.table_name "
                                    "WHERE c.table_schema = current_schema() "
                                    "AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER' "
                                    "AND c.table_name <> 'schema_version' "
                                    "ORDER BY c.table_name, c.ordinal_position"));
    if (!q)
        return q.error();
    QList<std::pair<QString, QList<Column>>> out;
    while (q->next()) {
        const QString table = q->value(0).toString();
        if (out.isEmpty() || out.last().first != table)
            out.append({table, {}});
        out.last().second.append({q->value(1).toString(), typeFor(q->value(2).toString())});
    }
    return out;
}

// Parents before children, by the target's foreign keys.
Result<QStringList> copyOrder(const QSqlDatabase &db, const QStringList &tables)
{
    auto q = execSql(db, QStringLiteral("SELECT c.conrelid::regclass::text, "
                                        "c.confrelid::regclass::text FROM pg_constraint c "
                                        "WHERE c.contype = 'f' "
                                        "AND c.connamespace = current_schema()::regnamespace"));
    if (!q)
        return q.error();
    QHash<QString, QSet<QString>> parents;
    while (q->next()) {
        const QString child = q->value(0).toString();
        const QString parent = q->value(1).toString();
        if (child != parent)
            parents[child].insert(parent);
    }
    QStringList order;
    QSet<QString> placed;
    while (order.size() < tables.size()) {
        bool progressed = false;
        for (const QString &t : tables) {
            if (placed.contains(t))
                continue;
            bool ready = true;
            for (const QString &p : parents.value(t))
                ready = ready && (placed.contains(p) || !tables.contains(p));
            if (ready) {
                order.append(t);
                placed.insert(t);
                progressed = true;
            }
        }
        if (!progressed)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("the schema's foreign keys form a cycle"));
    }
    return order;
}

Result<QSet<QString>> sourceColumns(const QSqlDatabase &db, const QString &table)
{
    // Table names come from the target's catalogue, never from a user.
    auto q = execSql(db, QStringLiteral("SELECT name FROM pragma_table_info('%1')").arg(table));
    if (!q)
        return q.error();
    QSet<QString> out;
    while (q->next())
        out.insert(q->value(0).toString());
    return out;
}

} // namespace

Result<Report> copy(Database &source, Database &target)
{
    if (source.engine() != Engine::Sqlite || target.engine() != Engine::Postgres)
        return Error::validation(QStringLiteral("database"),
                                 QStringLiteral("migrate-to copies a SQLite shop into PostgreSQL"));
    if (source.schemaVersion() != target.schemaVersion())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the schema versions differ (%1 and %2)")
                                 .arg(source.schemaVersion())
                                 .arg(target.schemaVersion()));
    const QSqlDatabase from = source.connection();
    auto before = Backup::figures(target.connection());
    if (!before)
        return before.error();
    for (const ShopFigure &f : before.value()) {
        if (f.value != 0)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("%1 already holds a shop (%2: %3); migrate into an "
                                            "empty database")
                                     .arg(target.url().redacted(), f.name)
                                     .arg(f.value));
    }
    auto sourceFigures = Backup::figures(from);
    if (!sourceFigures)
        return sourceFigures.error();
    auto tables = targetTables(target.connection());
    if (!tables)
        return tables.error();
    QHash<QString, QList<Column>> columnsOf;
    QStringList names;
    for (const auto &[table, columns] : tables.value()) {
        columnsOf.insert(table, columns);
        names.append(table);
    }
    auto order = copyOrder(target.connection(), names);
    if (!order)
        return order.error();

    // A read transaction on the source: one consistent snapshot while a server may still run.
    if (auto s = execSql(from, QStringLiteral("BEGIN")); !s)
        return s.error();
    auto endRead = qScopeGuard([&] { (void)execSql(from, QStringLiteral("ROLLBACK")); });

    Transaction tx(target);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase to = tx.db();
    Report report;
    // Rows a migration may have seeded: the copy brings the source's own.
    for (auto it = order->crbegin(); it != order->crend(); ++it) {
        if (auto s = execSql(to, QStringLiteral("DELETE FROM ") + *it); !s)
            return s.error();
    }
    for (const QString &table : order.value()) {
        auto present = sourceColumns(from, table);
        if (!present)
            return present.error();
        if (present->isEmpty()) // a table the source does not have
            continue;
        QList<Column> columns;
        for (const Column &c : columnsOf.value(table)) {
            if (present->contains(c.name))
                columns.append(c);
        }
        QStringList list;
        for (const Column &c : columns)
            list.append(c.name);
        const QString joined = list.join(QStringLiteral(", "));
        auto rows = execSql(from,
                            QStringLiteral("SELECT %1 FROM %2 ORDER BY rowid").arg(joined, table));
        if (!rows)
            return rows.error();
        QSqlQuery insert(to);
        insert.setForwardOnly(true);
        if (!insert.prepare(QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                                    .arg(table, joined,
                                         QStringList(columns.size(), QStringLiteral("?"))
                                                 .join(QStringLiteral(", ")))))
            return makeError(ErrorCode::Internal, QStringLiteral("cannot prepare the copy of ")
                                                          + table + QStringLiteral(": ")
                                                          + insert.lastError().text());
        qint64 n = 0;
        while (rows->next()) {
            for (int i = 0; i < columns.size(); ++i)
                insert.bindValue(i, converted(rows->value(i), columns[i].type));
            if (!insert.exec())
                return makeError(ErrorCode::Internal,
                                 QStringLiteral("copying %1 (row %2) failed: %3")
                                         .arg(table)
                                         .arg(n + 1)
                                         .arg(insert.lastError().text()));
            ++n;
        }
        // Serial ids continue after the copied ones.
        for (const Column &c : std::as_const(columns)) {
            auto seq = execSql(to, QStringLiteral("SELECT pg_get_serial_sequence(?, ?)"),
                               {table, c.name});
            if (!seq)
                return seq.error();
            if (seq->next() && !seq->value(0).isNull()) {
                auto moved = execSql(to,
                                     QStringLiteral("SELECT setval(?::regclass, "
                                                    "COALESCE(MAX(%1), 0) + 1, false) "
                                                    "FROM %2")
                                             .arg(c.name, table),
                                     {seq->value(0)});
                if (!moved)
                    return moved.error();
            }
        }
        if (table == QLatin1String("orders")) {
            // Order numbers continue after the copied ones (their sequence has no owner column).
            auto moved = execSql(to, QStringLiteral("SELECT setval('order_number_seq', "
                                                    "GREATEST(COALESCE(MAX(number), 0), 1000)) "
                                                    "FROM orders"));
            if (!moved)
                return moved.error();
        }
        report.tables.append({table, n});
    }
    auto copied = Backup::figures(to);
    if (!copied)
        return copied.error();
    if (copied.value() != sourceFigures.value()) {
        for (int i = 0; i < copied->size() && i < sourceFigures->size(); ++i) {
            if (copied->at(i) != sourceFigures->at(i))
                return makeError(ErrorCode::Internal,
                                 QStringLiteral("the copy differs in %1 (%2, the shop has %3); "
                                                "nothing was kept")
                                         .arg(copied->at(i).name)
                                         .arg(copied->at(i).value)
                                         .arg(sourceFigures->at(i).value));
        }
        return makeError(ErrorCode::Internal, QStringLiteral("the copy differs; nothing was kept"));
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    // Fresh statistics for PostgreSQL's planner: autovacuum would take them a minute or more
    // later, and until then every table looks nearly empty (see Catalog::importProducts).
    QSqlQuery analyze(tx.db()); // a utility statement: not prepared
    if (!analyze.exec(QStringLiteral("ANALYZE")))
        qWarning("migrate-to: ANALYZE after the copy failed (%s); autovacuum will do it later",
                 qPrintable(analyze.lastError().text()));
    report.figures = copied.value();
    return report;
}

} // namespace Mercato::MigrateTo
