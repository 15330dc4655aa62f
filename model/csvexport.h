#pragma once
// CSV exports of the shop (orders, lines, products, stock ledger, refunds) for spreadsheets and
// accountants: RFC 4180 (CRLF rows, fields with commas, quotes or line breaks quoted, quotes
// doubled), UTF-8, optionally with a byte order mark so spreadsheet programs read it as UTF-8.

#include "result.h"

#include <QSqlDatabase>
#include <QStringList>

class QIODevice;

namespace Mercato {

// Writes RFC 4180 rows to a device.
class CsvWriter
{
public:
    // `bom`: start with the UTF-8 byte order mark (EF BB BF).
    CsvWriter(QIODevice *device, bool bom);
    void writeRow(const QStringList &fields);
    // False once a write failed (disk full, closed pipe).
    bool ok() const { return m_ok; }

    // One field as it appears in a row: quoted when it holds a comma, quote, CR or LF.
    static QByteArray field(const QString &value);

private:
    QIODevice *m_device;
    bool m_ok = true;
};

namespace Export {

// The kinds `export` knows: orders, lines, products, stock-ledger, refunds.
QStringList kinds();

// Writes a header row and one row per record of `kind`, oldest first; returns the number of
// records. Times are RFC 3339 UTC, money integer cents with the currency beside it.
Result<qint64> write(const QSqlDatabase &db, const QString &kind, QIODevice *out, bool bom);

} // namespace Export
} // namespace Mercato
