#pragma once
// `migrate-to postgresql://…`: a SQLite shop copied whole into an empty PostgreSQL database,
// then checked by the same counts and sums a backup is checked by.

#include "backup.h"
#include "database.h"
#include "result.h"

#include <QList>
#include <QString>

namespace Mercato::MigrateTo {

struct TableCopy
{
    QString table;
    qint64 rows = 0;
};

struct Report
{
    QList<TableCopy> tables;   // in the order they were copied (parents before children)
    QList<ShopFigure> figures; // the same on both sides, or the copy was rolled back
};

// Copies every row of every table of `source` (a SQLite shop, opened) into `target` (a
// PostgreSQL database, opened: its schema is the same version) in one transaction: tables in
// foreign-key order, generated columns left to PostgreSQL, serial sequences moved past the
// copied ids. Before committing, the target's figures must equal the source's; otherwise
// nothing is kept. Refuses a target that already holds shop data (Conflict), engines other
// than SQLite → PostgreSQL (BadRequest) and differing schema versions (Conflict).
Result<Report> copy(Database &source, Database &target);

} // namespace Mercato::MigrateTo
