#pragma once
// CSV exports of the shop (orders, lines, products, stock ledger, refunds) for spreadsheets and
// accountants: RFC 4180 (CRLF rows, fields with commas, quotes or line breaks quoted, quotes
// doubled), UTF-8, optionally with a byte order mark so spreadsheet programs read it as UTF-8.
// Cells that a spreadsheet would run as formulas are written as text.

#include "result.h"

#include <QSqlDatabase>
#include <QStringList>

#include <atomic>
#include <functional>

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

    // One field as it appears in a row: neutralised, then quoted when it holds a comma,
    // quote, CR or LF.
    static QByteArray field(const QString &value);
    // Text a spreadsheet would take for a formula (starting with =, +, -, @, tab or CR) gets a
    // leading apostrophe (OWASP's CSV injection advice); numbers such as -3 stay as they are.
    static QString neutralised(const QString &value);

private:
    QIODevice *m_device;
    bool m_ok = true;
};

namespace Export {

// The kinds `export` knows: orders, lines, products, stock-ledger, refunds.
QStringList kinds();

// How far an export got, shared with another thread (the console's progress dialog): read it
// there while the export runs, set `cancel` there to stop it before its next row.
struct Progress
{
    std::atomic<qint64> total{-1}; // rows the export will write, once counted
    std::atomic<qint64> written{0};
    std::atomic<bool> cancel{false};
};

struct Options
{
    bool bom = false;
    // Non-empty: only this seller's rows (the console, signed in as one seller): its products,
    // their ledger rows, its order lines and refunds, and the orders holding its lines, with
    // the customer's name instead of the email and the seller's share of the order, as the
    // seller's order API shows them. Empty: the whole shop (the command line).
    QString sellerId;
    Progress *progress = nullptr;
    // Runs on the writing thread after each row with the rows written so far (tests slow the
    // export down with it).
    std::function<void(qint64)> afterRow;
};

struct Written
{
    qint64 rows = 0;
    bool cancelled = false; // stopped by Progress::cancel; the device holds a partial file
};

// Writes a header row and one row per record of `kind`, oldest first. Times are RFC 3339 UTC,
// money integer cents with the currency beside it.
Result<Written> write(const QSqlDatabase &db, const QString &kind, QIODevice *out,
                      const Options &options);
// The whole shop; returns the number of records.
Result<qint64> write(const QSqlDatabase &db, const QString &kind, QIODevice *out, bool bom);

} // namespace Export
} // namespace Mercato
