#pragma once
// Backups and restores of a SQLite shop, and the counts and sums that show two copies hold the
// same data. PostgreSQL shops are backed up with pg_dump (see docs/operations.md).

#include "database.h"
#include "result.h"

#include <QList>
#include <QString>

namespace Mercato {

// One figure of a shop: a table's row count or a column's sum ("stock_ledger.delta").
struct ShopFigure
{
    QString name;
    qint64 value = 0;
    bool operator==(const ShopFigure &other) const = default;
};

namespace Backup {

// Row counts of the shop's tables and the sums that matter (stock, ledgers, money).
Result<QList<ShopFigure>> figures(const QSqlDatabase &db);

// A consistent copy of the SQLite shop in `file` while the server keeps running (VACUUM INTO a
// temporary file beside it, then renamed into place). Refuses an existing `file` unless
// `overwrite`. On PostgreSQL: BadRequest, naming pg_dump.
Status backup(Database &database, const QString &file, bool overwrite);

struct FileInfo
{
    int schemaVersion = 0;
    QList<ShopFigure> figures;
};

// What the Mercato SQLite database in `file` holds, read without changing it; an error when
// the file is not one (not SQLite, damaged, no schema_version, a version this binary does not
// know).
Result<FileInfo> inspect(const QString &file);

// Puts the backup `file` in place of the SQLite shop at `target` (stop the server first), then
// brings its schema up to date. Refuses a `target` that already holds a shop unless
// `overwrite`. On PostgreSQL: BadRequest, naming pg_restore.
Status restore(const QString &file, const DatabaseUrl &target, bool overwrite);

} // namespace Backup
} // namespace Mercato
