#include "backup.h"

#include "ids.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>

Q_LOGGING_CATEGORY(lcBackup, "mercato.backup")

namespace Mercato::Backup {

namespace {

// A connection of its own to one SQLite file, removed when it goes out of scope.
class ScratchConnection
{
public:
    ScratchConnection(const QString &path, bool readOnly)
        : m_name(QStringLiteral("mercato-backup-") + Ids::newId())
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(
                readOnly ? QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=10000")
                         : QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
        db.open();
    }
    ~ScratchConnection() { QSqlDatabase::removeDatabase(m_name); }
    ScratchConnection(const ScratchConnection &) = delete;
    ScratchConnection &operator=(const ScratchConnection &) = delete;

    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

private:
    QString m_name;
};

// VACUUM INTO writes a compact, consistent copy under a read transaction: writers go on.
Status vacuumInto(const QSqlDatabase &db, const QString &file)
{
    QSqlQuery q(db);
    if (!q.prepare(QStringLiteral("VACUUM INTO ?")))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot copy the database: ") + q.lastError().text());
    q.addBindValue(file);
    if (!q.exec())
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot copy the database: ") + q.lastError().text());
    return Ok{};
}

// A name for a file beside `file` that does not exist yet.
QString siblingTemp(const QString &file, const char *what)
{
    const QFileInfo info(file);
    return info.absolutePath() + QStringLiteral("/.") + info.fileName() + QLatin1Char('.')
           + QLatin1String(what) + QLatin1Char('-') + Ids::newId();
}

void removeSqliteFiles(const QString &path)
{
    QFile::remove(path);
    QFile::remove(path + QStringLiteral("-wal"));
    QFile::remove(path + QStringLiteral("-shm"));
    QFile::remove(path + QStringLiteral("-journal"));
}

} // namespace

Result<QList<ShopFigure>> figures(const QSqlDatabase &db)
{
    // {figure name, the query}: counts of every table that holds the shop's data, and the sums
    // a wrong copy would change first.
    static const QList<std::pair<QString, QString>> queries = [] {
        QList<std::pair<QString, QString>> out;
        for (const char *table :
             {"users", "products", "product_images", "stock_ledger", "orders", "order_items",
              "order_status_history", "payment_refunds", "coin_ledger", "reviews",
              "refund_requests", "complaints", "complaint_messages", "notifications"})
            out.append({QLatin1String(table),
                        QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table)});
        for (const char *column : {"products.stock", "stock_ledger.delta", "orders.total_cents",
                                   "order_items.line_total_cents", "payment_refunds.amount_cents",
                                   "coin_ledger.delta", "reviews.rating"}) {
            const QString name = QLatin1String(column);
            out.append({name, QStringLiteral("SELECT COALESCE(SUM(%1), 0) FROM %2")
                                      .arg(name.section(QLatin1Char('.'), 1),
                                           name.section(QLatin1Char('.'), 0, 0))});
        }
        return out;
    }();
    QList<ShopFigure> out;
    for (const auto &[name, sql] : queries) {
        auto q = execSql(db, sql);
        if (!q)
            return q.error();
        if (!q->next())
            return makeError(ErrorCode::Internal, QStringLiteral("no answer counting ") + name);
        out.append({name, q->value(0).toLongLong()});
    }
    return out;
}

Status backup(Database &database, const QString &file, bool overwrite)
{
    if (database.engine() != Engine::Sqlite)
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("a PostgreSQL shop is backed up with pg_dump: "
                                        "pg_dump --format=custom --file=FILE DBNAME "
                                        "(restore with pg_restore --clean --dbname=DBNAME FILE)"));
    if (file.isEmpty())
        return makeError(ErrorCode::BadRequest, QStringLiteral("name the backup file"));
    const QFileInfo info(file);
    if (info.exists() && !overwrite)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("%1 exists; pass --force to replace it").arg(file));
    if (info.absoluteFilePath() == QFileInfo(database.url().path).absoluteFilePath())
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("the backup cannot be the shop's own file"));
    if (!QDir().mkpath(info.absolutePath()))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot create ") + info.absolutePath());
    const QString temp = siblingTemp(info.absoluteFilePath(), "backup");
    if (auto s = vacuumInto(database.connection(), temp); !s) {
        QFile::remove(temp);
        return s;
    }
    // A backup holds password hashes and customers' data: owner only.
    QFile::setPermissions(temp, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QFile::remove(info.absoluteFilePath());
    if (!QFile::rename(temp, info.absoluteFilePath())) {
        QFile::remove(temp);
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write ") + file);
    }
    qCInfo(lcBackup).noquote() << "backed up" << database.url().redacted() << "to" << file;
    return Ok{};
}

Result<FileInfo> inspect(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::NotFound, QStringLiteral("cannot read ") + file);
    if (f.read(16) != QByteArray("SQLite format 3\0", 16))
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("%1 is not a SQLite database").arg(file));
    f.close();

    const ScratchConnection scratch(file, true);
    const QSqlDatabase db = scratch.db();
    if (!db.isOpen())
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("cannot open %1: %2").arg(file, db.lastError().text()));
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA quick_check")) || !q.next()
            || q.value(0).toString() != QLatin1String("ok"))
            return makeError(ErrorCode::BadRequest,
                             QStringLiteral("%1 is damaged (quick_check failed)").arg(file));
    }
    for (const char *table : {"schema_version", "users", "products", "stock_ledger", "orders"}) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"));
        q.addBindValue(QLatin1String(table));
        if (!q.exec() || !q.next())
            return makeError(ErrorCode::BadRequest,
                             QStringLiteral("%1 is not a Mercato database (no %2 table)")
                                     .arg(file, QLatin1String(table)));
    }
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT MAX(version) FROM schema_version")) || !q.next()
        || q.value(0).isNull())
        return makeError(
                ErrorCode::BadRequest,
                QStringLiteral("%1 is not a Mercato database (no schema version)").arg(file));
    const int version = q.value(0).toInt();
    if (version > Database::latestSchemaVersion())
        return makeError(
                ErrorCode::Conflict,
                QStringLiteral("%1 has schema version %2, newer than this Mercato knows (%3); "
                               "restore it with a newer Mercato")
                        .arg(file)
                        .arg(version)
                        .arg(Database::latestSchemaVersion()));
    if (version < 1)
        return makeError(
                ErrorCode::BadRequest,
                QStringLiteral("%1 has an unknown schema version %2").arg(file).arg(version));
    auto counted = figures(db);
    if (!counted)
        return counted.error();
    return FileInfo{version, counted.value()};
}

Status restore(const QString &file, const DatabaseUrl &target, bool overwrite)
{
    if (target.engine != Engine::Sqlite)
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("a PostgreSQL shop is restored with pg_restore: "
                                        "pg_restore --clean --if-exists --dbname=DBNAME FILE"));
    auto info = inspect(file);
    if (!info)
        return info.error();
    const QFileInfo targetInfo(target.path);
    if (targetInfo.absoluteFilePath() == QFileInfo(file).absoluteFilePath())
        return makeError(ErrorCode::BadRequest,
                         QStringLiteral("the backup is the shop's own file"));
    if (targetInfo.exists() && targetInfo.size() > 0 && !overwrite)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("%1 already holds a shop; stop the server and pass --force "
                                        "to replace it")
                                 .arg(target.path));
    if (!QDir().mkpath(targetInfo.absolutePath()))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot create ") + targetInfo.absolutePath());

    // Copied through SQLite (not byte for byte) so a backup with a -wal file beside it comes whole.
    const QString temp = siblingTemp(targetInfo.absoluteFilePath(), "restore");
    {
        const ScratchConnection source(file, true);
        if (auto s = vacuumInto(source.db(), temp); !s) {
            QFile::remove(temp);
            return s;
        }
    }
    // An old -wal file left beside the new database would be replayed into it.
    removeSqliteFiles(targetInfo.absoluteFilePath());
    if (!QFile::rename(temp, targetInfo.absoluteFilePath())) {
        QFile::remove(temp);
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write ") + target.path);
    }
    Database restored(target);
    const Status opened = restored.open(); // brings an older backup's schema up to date
    if (!opened)
        return opened;
    qCInfo(lcBackup).noquote() << "restored" << file << "(schema version" << info->schemaVersion
                               << ") into" << target.path;
    return Ok{};
}

} // namespace Mercato::Backup
