// Operations: `backup` / `restore` of a SQLite shop (same counts and sums afterwards, foreign
// or too-new files refused, nothing overwritten without --force; PostgreSQL points to
// pg_dump), and `export` CSV read back by Python's csv module.

#include "support/testsupport.h"

#include "model/backup.h"
#include "model/cart.h"
#include "model/catalog.h"
#include "model/csvexport.h"
#include "model/demo.h"
#include "model/orders.h"
#include "model/tokens.h"

#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

struct CliResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

CliResult cli(const QStringList &args)
{
    QProcess p;
    p.start(serverBinary(), args);
    CliResult r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

// The figures as "name=value" lines, so a difference shows in the failure message.
QStringList describe(const QList<ShopFigure> &figures)
{
    QStringList out;
    for (const ShopFigure &f : figures)
        out.append(f.name + QLatin1Char('=') + QString::number(f.value));
    return out;
}

qint64 figure(const QList<ShopFigure> &figures, const QString &name)
{
    for (const ShopFigure &f : figures) {
        if (f.name == name)
            return f.value;
    }
    return -1;
}

// Python's csv module reading `file`: {"bom": bool, "rows": [[...], ...]}.
QJsonObject readWithPython(const QString &file)
{
    static const char *script = "import csv, json, sys\n"
                                "raw = open(sys.argv[1], 'rb').read()\n"
                                "with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n"
                                "    rows = list(csv.reader(f, strict=True))\n"
                                "print(json.dumps({'bom': raw.startswith(b'\\xef\\xbb\\xbf'), "
                                "'crlf': b'\\r\\n' in raw, 'rows': rows}))\n";
    QProcess p;
    p.start(QStringLiteral("python3"), {QStringLiteral("-c"), QString::fromLatin1(script), file});
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        qWarning("python3: %s", p.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

QList<QStringList> rowsOf(const QJsonObject &read)
{
    QList<QStringList> out;
    const QJsonArray rows = read.value(QStringLiteral("rows")).toArray();
    for (const QJsonValue &row : rows) {
        QStringList fields;
        const QJsonArray cells = row.toArray();
        for (const QJsonValue &c : cells)
            fields.append(c.toString());
        out.append(fields);
    }
    return out;
}

namespace {
// The demo store ships: an order names one of its options (the last ships everywhere) and
// one of the customer's addresses.
Mercato::ShippingChoice demoShipping(Mercato::Shop &shop, const QString &customerId)
{
    Mercato::ShippingChoice choice;
    auto options = Mercato::ShippingOptions::list(shop.database().connection());
    auto book = Mercato::AddressBook::list(shop.database().connection(), customerId);
    if (options && !options->isEmpty())
        choice.optionId = options->last().id;
    if (book && !book->isEmpty())
        choice.addressId = book->first().id;
    return choice;
}
} // namespace

class TestOps : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_url = freshDatabaseUrl(m_dir.path());
        auto url = DatabaseUrl::parse(m_url);
        QVERIFY(url);
        ShopOptions options;
        options.database = url.value();
        options.settings.passwordHashLogN = 12;
        options.jwtKey = QByteArray::fromBase64(testJwtKey());
        options.dataDir = m_dir.path();
        m_shop = std::make_unique<Shop>(options);
        QVERIFY2(m_shop->open(), "cannot open the shop");
        auto seeded = Demo::seed(*m_shop);
        QVERIFY(seeded && seeded.value());

        // An order with a line whose name needs quoting, so orders and lines have rows.
        auto seller = m_shop->accounts().accountByEmail(Demo::accounts().at(0).email);
        auto customer = m_shop->accounts().accountByEmail(Demo::accounts().at(1).email);
        QVERIFY(seller && customer);
        NewProduct mug;
        mug.name = QStringLiteral("Order mug, \"blue\" \U0001F375");
        mug.priceCents = 850;
        mug.stock = 10;
        auto product = m_shop->catalog().create(seller->id, mug);
        QVERIFY2(product, product ? "" : qPrintable(product.error().detail));
        QVERIFY(m_shop->cart().setQuantity(customer->id, product->id, 3));
        auto order
                = m_shop->orders().placeOrder(customer->id, 0, demoShipping(*m_shop, customer->id));
        QVERIFY2(order, order ? "" : qPrintable(order.error().detail));
        m_orderLineName = mug.name;
    }
    void cleanupTestCase()
    {
        if (m_shop)
            m_shop->database().releaseThreadConnection();
        m_shop.reset();
    }

    // ---- the CSV writer ----------------------------------------------------------------

    void csvField_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("plain") << QStringLiteral("plain") << QByteArray("plain");
        QTest::newRow("empty") << QString() << QByteArray();
        QTest::newRow("comma") << QStringLiteral("a,b") << QByteArray("\"a,b\"");
        QTest::newRow("quote") << QStringLiteral("say \"hi\"") << QByteArray("\"say \"\"hi\"\"\"");
        QTest::newRow("lf") << QStringLiteral("a\nb") << QByteArray("\"a\nb\"");
        QTest::newRow("cr") << QStringLiteral("a\rb") << QByteArray("\"a\rb\"");
        QTest::newRow("crlf") << QStringLiteral("a\r\nb") << QByteArray("\"a\r\nb\"");
        QTest::newRow("spaces-kept") << QStringLiteral(" a ") << QByteArray(" a ");
        QTest::newRow("utf8") << QStringLiteral("caf\u00e9 \U0001F600")
                              << QByteArray("caf\xC3\xA9 \xF0\x9F\x98\x80");
    }
    void csvField()
    {
        QFETCH(QString, value);
        QFETCH(QByteArray, expected);
        QCOMPARE(CsvWriter::field(value), expected);
    }

    void csvRowsReadBackByPython()
    {
        const QList<QStringList> rows{
                {QStringLiteral("name"), QStringLiteral("note")},
                {QStringLiteral("Comma, Inc."), QStringLiteral("He said \"no\"")},
                {QStringLiteral("two\nlines"), QStringLiteral("windows\r\nbreak")},
                {QStringLiteral("\U0001F600 \U0001F4B0 \u4E2D\u6587"), QString()},
                {QStringLiteral("\""), QStringLiteral(",")},
                {QStringLiteral(" padded "), QStringLiteral("lone\rcr")}};
        for (const bool bom : {false, true}) {
            const QString path
                    = m_dir.filePath(bom ? QStringLiteral("bom.csv") : QStringLiteral("plain.csv"));
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            CsvWriter csv(&f, bom);
            for (const QStringList &row : rows)
                csv.writeRow(row);
            QVERIFY(csv.ok());
            f.close();
            const QJsonObject read = readWithPython(path);
            QCOMPARE(read.value(QStringLiteral("bom")).toBool(), bom);
            QVERIFY(read.value(QStringLiteral("crlf")).toBool());
            QCOMPARE(rowsOf(read), rows);
        }
    }

    // ---- exports -----------------------------------------------------------------------

    void exportProductsReadBackByPython()
    {
        auto seller = m_shop->accounts().accountByEmail(Demo::accounts().first().email);
        QVERIFY(seller);
        NewProduct tricky;
        tricky.name = QStringLiteral("Mug, \"Large\" \U0001F600");
        tricky.description = QStringLiteral("Line one,\nline \"two\"\r\n\u00e9\U0001F4B0");
        tricky.priceCents = 1234;
        tricky.stock = 7;
        auto created = m_shop->catalog().create(seller->id, tricky);
        QVERIFY2(created, created ? "" : qPrintable(created.error().detail));

        const QString file = m_dir.filePath(QStringLiteral("products.csv"));
        const CliResult r = cli({QStringLiteral("export"), QStringLiteral("products"),
                                 QStringLiteral("--bom"), file, QStringLiteral("--database"), m_url,
                                 QStringLiteral("--data-dir"), m_dir.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject read = readWithPython(file);
        QVERIFY(read.value(QStringLiteral("bom")).toBool());
        const QList<QStringList> rows = rowsOf(read);
        QVERIFY(!rows.isEmpty());
        const QStringList header = rows.first();
        QCOMPARE(header.value(0), QStringLiteral("product_id"));
        const qsizetype nameCol = header.indexOf(QStringLiteral("name"));
        const qsizetype descCol = header.indexOf(QStringLiteral("description"));
        const qsizetype priceCol = header.indexOf(QStringLiteral("price_cents"));
        const qsizetype stockCol = header.indexOf(QStringLiteral("stock"));
        QVERIFY(nameCol >= 0 && descCol >= 0 && priceCol >= 0 && stockCol >= 0);

        auto figures = Backup::figures(m_shop->database().connection());
        QVERIFY(figures);
        QCOMPARE(rows.size() - 1, figure(figures.value(), QStringLiteral("products")));
        bool found = false;
        qint64 stockSum = 0;
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QStringList &row = rows.at(i);
            QCOMPARE(row.size(), header.size());
            stockSum += row.at(stockCol).toLongLong();
            if (row.at(0) == created->id) {
                found = true;
                QCOMPARE(row.at(nameCol), tricky.name);
                QCOMPARE(row.at(descCol), created->description);
                QVERIFY(row.at(descCol).contains(QLatin1Char('\n')));
                QCOMPARE(row.at(priceCol), QStringLiteral("1234"));
                QCOMPARE(row.at(stockCol), QStringLiteral("7"));
            }
        }
        QVERIFY(found);
        QCOMPARE(stockSum, figure(figures.value(), QStringLiteral("products.stock")));
    }

    void exportEveryKind_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("firstColumn");
        QTest::addColumn<QString>("countedAs");
        QTest::newRow("orders") << QStringLiteral("orders") << QStringLiteral("order_id")
                                << QStringLiteral("orders");
        QTest::newRow("lines") << QStringLiteral("lines") << QStringLiteral("order_id")
                               << QStringLiteral("order_items");
        QTest::newRow("stock-ledger")
                << QStringLiteral("stock-ledger") << QStringLiteral("entry_id")
                << QStringLiteral("stock_ledger");
        QTest::newRow("refunds") << QStringLiteral("refunds") << QStringLiteral("refund_id")
                                 << QStringLiteral("refund_requests");
    }
    void exportEveryKind()
    {
        QFETCH(QString, kind);
        QFETCH(QString, firstColumn);
        QFETCH(QString, countedAs);
        // To stdout, without a BOM.
        const CliResult r = cli({QStringLiteral("export"), kind, QStringLiteral("--database"),
                                 m_url, QStringLiteral("--data-dir"), m_dir.path()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(!r.out.startsWith("\xEF\xBB\xBF"));
        const QString file = m_dir.filePath(kind + QStringLiteral("-stdout.csv"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(r.out);
        f.close();
        const QList<QStringList> rows = rowsOf(readWithPython(file));
        QVERIFY(!rows.isEmpty());
        QCOMPARE(rows.first().value(0), firstColumn);
        auto figures = Backup::figures(m_shop->database().connection());
        QVERIFY(figures);
        QCOMPARE(rows.size() - 1, figure(figures.value(), countedAs));
        const auto columnSum = [&rows](const QString &column) {
            const qsizetype col = rows.first().indexOf(column);
            qint64 sum = 0;
            for (qsizetype i = 1; i < rows.size(); ++i)
                sum += rows.at(i).value(col).toLongLong();
            return sum;
        };
        if (kind == QLatin1String("orders")) {
            QVERIFY(rows.size() > 1);
            QCOMPARE(columnSum(QStringLiteral("total_cents")),
                     figure(figures.value(), QStringLiteral("orders.total_cents")));
        }
        if (kind == QLatin1String("lines")) {
            QVERIFY(rows.size() > 1);
            QCOMPARE(columnSum(QStringLiteral("line_total_cents")),
                     figure(figures.value(), QStringLiteral("order_items.line_total_cents")));
            const qsizetype nameCol = rows.first().indexOf(QStringLiteral("name"));
            bool found = false;
            for (qsizetype i = 1; i < rows.size(); ++i)
                found = found || rows.at(i).value(nameCol) == m_orderLineName;
            QVERIFY(found);
        }
        if (kind == QLatin1String("stock-ledger")) {
            QVERIFY(rows.size() > 1);
            const qsizetype deltaCol = rows.first().indexOf(QStringLiteral("delta"));
            qint64 sum = 0;
            for (qsizetype i = 1; i < rows.size(); ++i)
                sum += rows.at(i).value(deltaCol).toLongLong();
            QCOMPARE(sum, figure(figures.value(), QStringLiteral("stock_ledger.delta")));
        }
    }

    // A seller's export (the console's) holds that seller's rows: over all sellers, each row
    // of the whole shop's export comes once (orders: the sellers' shares add up to the lines).
    // (The demo shop has no refunds; tst_console checks a seller's refunds file.)
    void exportBySellerPartitionsTheShop_data()
    {
        QTest::addColumn<QString>("kind");
        for (const char *kind : {"orders", "lines", "products", "stock-ledger"})
            QTest::newRow(kind) << QString::fromLatin1(kind);
    }
    void exportBySellerPartitionsTheShop()
    {
        QFETCH(QString, kind);
        const QSqlDatabase db = m_shop->database().connection();
        const auto exported = [&](const QString &sellerId) {
            QBuffer out;
            out.open(QIODevice::WriteOnly);
            Export::Options options;
            options.sellerId = sellerId;
            auto written = Export::write(db, kind, &out, options);
            if (!written || written->cancelled)
                return QList<QStringList>();
            const QString path = m_dir.filePath(kind + QStringLiteral("-seller.csv"));
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly))
                return QList<QStringList>();
            f.write(out.data());
            f.close();
            return rowsOf(readWithPython(path));
        };
        const QList<QStringList> shop = exported(QString());
        QVERIFY(shop.size() > 1);
        auto sellers = execSql(db, QStringLiteral("SELECT id FROM users WHERE role = 'seller'"));
        QVERIFY(sellers);
        QStringList sellerIds;
        while (sellers->next())
            sellerIds.append(sellers->value(0).toString());
        QVERIFY(sellerIds.size() >= 2);
        QMultiMap<QString, QString> sellerOf; // first column -> seller
        qint64 shares = 0;
        for (const QString &id : std::as_const(sellerIds)) {
            const QList<QStringList> rows = exported(id);
            QVERIFY(!rows.isEmpty());
            const qsizetype sellerCol = rows.first().indexOf(QStringLiteral("seller_id"));
            const qsizetype shareCol
                    = rows.first().indexOf(QStringLiteral("seller_subtotal_cents"));
            for (qsizetype i = 1; i < rows.size(); ++i) {
                sellerOf.insert(rows.at(i).first(), id);
                if (sellerCol >= 0)
                    QCOMPARE(rows.at(i).at(sellerCol), id);
                if (shareCol >= 0)
                    shares += rows.at(i).at(shareCol).toLongLong();
            }
        }
        QSet<QString> shopKeys;
        for (qsizetype i = 1; i < shop.size(); ++i)
            shopKeys.insert(shop.at(i).first());
        QCOMPARE(QSet<QString>(sellerOf.keyBegin(), sellerOf.keyEnd()), shopKeys);
        if (kind == QLatin1String("orders")) {
            // An order with lines of two sellers is in both files, with each one's share.
            auto figures = Backup::figures(db);
            QVERIFY(figures);
            QCOMPARE(shares,
                     figure(figures.value(), QStringLiteral("order_items.line_total_cents")));
        } else if (kind != QLatin1String("lines")) {
            QCOMPARE(sellerOf.size(), shopKeys.size()); // one seller per row
        }
    }

    // Progress::cancel stops the writer before its next row.
    void exportStopsWhenCancelled()
    {
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        Export::Progress progress;
        Export::Options options;
        options.progress = &progress;
        options.afterRow = [&progress](qint64 rows) {
            if (rows == 3)
                progress.cancel.store(true);
        };
        auto written = Export::write(m_shop->database().connection(),
                                     QStringLiteral("stock-ledger"), &out, options);
        QVERIFY(written);
        QVERIFY(written->cancelled);
        QCOMPARE(written->rows, 3);
        QCOMPARE(progress.written.load(), 3);
        QVERIFY(progress.total.load() > 3);
        QCOMPARE(out.data().count("\r\n"), 4); // the header and three rows
    }

    void exportRefusesUnknownKind()
    {
        const CliResult r = cli({QStringLiteral("export"), QStringLiteral("customers"),
                                 QStringLiteral("--database"), m_url});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("orders, lines, products, stock-ledger, refunds"));
    }

    // ---- backup and restore -------------------------------------------------------------

    void backupRestoreKeepsCountsAndSums()
    {
        const QString backupFile = m_dir.filePath(QStringLiteral("backups/shop.backup"));
        if (usingPostgres()) {
            const CliResult r = cli(
                    {QStringLiteral("backup"), backupFile, QStringLiteral("--database"), m_url});
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("pg_dump"), r.err.constData());
            QVERIFY(!QFile::exists(backupFile));
            const CliResult restore = cli(
                    {QStringLiteral("restore"), backupFile, QStringLiteral("--database"), m_url});
            QCOMPARE(restore.exitCode, 2);
            QVERIFY2(restore.err.contains("pg_restore"), restore.err.constData());
            return;
        }
        auto before = Backup::figures(m_shop->database().connection());
        QVERIFY(before);
        QVERIFY(figure(before.value(), QStringLiteral("products")) >= 12);
        QVERIFY(figure(before.value(), QStringLiteral("users")) >= 3);
        QVERIFY(figure(before.value(), QStringLiteral("stock_ledger")) > 0);
        QVERIFY(figure(before.value(), QStringLiteral("stock_ledger.delta")) > 0);
        QVERIFY(figure(before.value(), QStringLiteral("orders")) >= 1);
        QVERIFY(figure(before.value(), QStringLiteral("order_items.line_total_cents")) >= 2550);

        // Taken while this process keeps the shop open, as a running server does.
        const CliResult backup
                = cli({QStringLiteral("backup"), backupFile, QStringLiteral("--database"), m_url,
                       QStringLiteral("--data-dir"), m_dir.path()});
        QVERIFY2(backup.exitCode == 0, backup.err.constData());
        QVERIFY(backup.out.contains("stock_ledger.delta"));
        QVERIFY(!(QFile::permissions(backupFile)
                  & (QFileDevice::ReadGroup | QFileDevice::ReadOther)));

        // A later change in the live shop is not in the backup.
        auto seller = m_shop->accounts().accountByEmail(Demo::accounts().first().email);
        QVERIFY(seller);
        NewProduct later;
        later.name = QStringLiteral("Added after the backup");
        later.priceCents = 100;
        later.stock = 3;
        QVERIFY(m_shop->catalog().create(seller->id, later));

        // Never replaced without --force.
        const CliResult again
                = cli({QStringLiteral("backup"), backupFile, QStringLiteral("--database"), m_url});
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains("--force"), again.err.constData());

        QTemporaryDir fresh;
        QVERIFY(fresh.isValid());
        const QString target = fresh.filePath(QStringLiteral("data/mercato.db"));
        const QString targetUrl = QStringLiteral("sqlite:") + target;
        const CliResult restore = cli(
                {QStringLiteral("restore"), backupFile, QStringLiteral("--database"), targetUrl,
                 QStringLiteral("--data-dir"), fresh.filePath(QStringLiteral("data"))});
        QVERIFY2(restore.exitCode == 0, restore.err.constData());

        auto restored = Backup::inspect(target);
        QVERIFY2(restored, restored ? "" : qPrintable(restored.error().detail));
        QCOMPARE(restored->schemaVersion, Database::latestSchemaVersion());
        QCOMPARE(describe(restored->figures), describe(before.value()));

        // The restored shop opens and answers: its ledger checks out, a demo seller signs in.
        const CliResult check
                = cli({QStringLiteral("check"), QStringLiteral("--database"), targetUrl});
        QVERIFY2(check.exitCode == 0, check.out.constData());
        {
            auto url = DatabaseUrl::parse(targetUrl);
            QVERIFY(url);
            ShopOptions options;
            options.database = url.value();
            options.jwtKey = QByteArray::fromBase64(testJwtKey());
            options.dataDir = fresh.path();
            Shop shop(options);
            QVERIFY(shop.open());
            const DemoAccount demo = Demo::accounts().first();
            auto session = shop.accounts().login(demo.email, demo.password);
            QVERIFY(session);
            shop.database().releaseThreadConnection();
        }

        // A shop is there now: replaced only with --force, and then it matches the backup.
        const CliResult refused
                = cli({QStringLiteral("restore"), backupFile, QStringLiteral("--database"), m_url});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("--force"), refused.err.constData());
        const CliResult forced
                = cli({QStringLiteral("restore"), backupFile, QStringLiteral("--force"),
                       QStringLiteral("--database"), targetUrl});
        QVERIFY2(forced.exitCode == 0, forced.err.constData());
        auto afterForce = Backup::inspect(target);
        QVERIFY(afterForce);
        QCOMPARE(describe(afterForce->figures), describe(before.value()));
    }

    void restoreRefusesForeignFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("text-file") << QStringLiteral("text") << QByteArray("not a SQLite database");
        QTest::newRow("missing") << QStringLiteral("missing") << QByteArray("cannot read");
        QTest::newRow("other-sqlite")
                << QStringLiteral("other") << QByteArray("not a Mercato database");
        QTest::newRow("newer-schema")
                << QStringLiteral("newer") << QByteArray("newer than this Mercato");
    }
    void restoreRefusesForeignFiles()
    {
        QFETCH(QString, kind);
        QFETCH(QByteArray, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = dir.filePath(QStringLiteral("source.db"));
        if (kind == QLatin1String("text")) {
            QFile f(source);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("name,price\nmug,100\n");
        } else if (kind == QLatin1String("other")) {
            // Someone else's SQLite file.
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"),
                                                            QStringLiteral("ops-other"));
                db.setDatabaseName(source);
                QVERIFY(db.open());
                QSqlQuery q(db);
                QVERIFY(q.exec(
                        QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")));
                db.close();
            }
            QSqlDatabase::removeDatabase(QStringLiteral("ops-other"));
        } else if (kind == QLatin1String("newer")) {
            // A Mercato shop from a release with a newer schema.
            auto url = DatabaseUrl::parse(QStringLiteral("sqlite:") + source);
            QVERIFY(url);
            Database db(url.value());
            QVERIFY(db.open());
            QVERIFY(execSql(
                    db.connection(),
                    QStringLiteral(
                            "INSERT INTO schema_version (version, applied_at) VALUES (?, 0)"),
                    {Database::latestSchemaVersion() + 1}));
            db.releaseThreadConnection();
        }
        const QString target = dir.filePath(QStringLiteral("target/mercato.db"));
        const CliResult r = cli({QStringLiteral("restore"), source, QStringLiteral("--force"),
                                 QStringLiteral("--database"), QStringLiteral("sqlite:") + target});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
        QVERIFY(!QFile::exists(target));
    }

    // ---- migrate-to --------------------------------------------------------------------

    // The demo shop with orders, made on SQLite, copied into PostgreSQL by `migrate-to`: the
    // API answers the same before and after, and a second copy into the same database is
    // refused.
    void migrateToPostgresKeepsApiAnswers()
    {
        if (!usingPostgres())
            QSKIP("migrate-to copies into PostgreSQL: this runs in the PostgreSQL variant");
        QTemporaryDir dir;
        const QString sqliteUrl
                = QStringLiteral("sqlite:") + dir.path() + QStringLiteral("/shop.db");
        QString sellerId;
        QString customerId;
        {
            ShopOptions options;
            options.database = DatabaseUrl::parse(sqliteUrl).value();
            options.settings.passwordHashLogN = 12;
            options.jwtKey = QByteArray::fromBase64(testJwtKey());
            options.dataDir = dir.path();
            Shop shop(options);
            QVERIFY(shop.open());
            QVERIFY(Demo::seed(shop));
            auto seller = shop.accounts().accountByEmail(Demo::accounts().at(0).email);
            auto customer = shop.accounts().accountByEmail(Demo::accounts().at(1).email);
            QVERIFY(seller && customer);
            sellerId = seller->id;
            customerId = customer->id;
            NewProduct pot;
            pot.name = QStringLiteral("Migrated pot \u00e9\U0001F375");
            pot.priceCents = 1234;
            pot.stock = 9;
            auto product = shop.catalog().create(seller->id, pot);
            QVERIFY(product);
            QVERIFY(shop.cart().setQuantity(customer->id, product->id, 2));
            auto kept = shop.orders().placeOrder(customer->id, 3, demoShipping(shop, customer->id));
            QVERIFY(kept);
            QVERIFY(shop.cart().setQuantity(customer->id, product->id, 1));
            auto cancelled
                    = shop.orders().placeOrder(customer->id, 0, demoShipping(shop, customer->id));
            QVERIFY(cancelled);
            QVERIFY(shop.orders().cancel(customer->id, cancelled->id));
            QVERIFY(shop.cart().setQuantity(customer->id, product->id, 4)); // a cart line too
            shop.database().releaseThreadConnection();
        }

        const TokenService tokens(QByteArray::fromBase64(testJwtKey()));
        const QString sellerToken = tokens.issueAccess(sellerId, QStringLiteral("seller")).token;
        const QString customerToken
                = tokens.issueAccess(customerId, QStringLiteral("customer")).token;
        // Every answer of a set of reads, as parsed JSON (cursors are signed per process, so
        // only whether there is a next page is compared).
        auto answers = [&](const QString &databaseUrl) {
            QProcessEnvironment env;
            env.insert(QStringLiteral("MERCATO_DATABASE"), databaseUrl);
            ServerProcess server(env);
            QStringList out;
            if (!server.start())
                return QStringList{QStringLiteral("the server did not start: ") + server.log()};
            Client anon(server.port());
            Client seller(server.port());
            seller.setToken(sellerToken);
            Client customer(server.port());
            customer.setToken(customerToken);
            QList<std::pair<const Client *, QString>> reads{
                    {&anon, QStringLiteral("/api/v1/store")},
                    {&anon, QStringLiteral("/api/v1/products?limit=100")},
                    {&anon, QStringLiteral("/api/v1/products?limit=7&sort=price")},
                    {&anon, QStringLiteral("/api/v1/products?q=migrated")},
                    {&seller, QStringLiteral("/api/v1/seller/orders")},
                    {&seller, QStringLiteral("/api/v1/seller/inventory?limit=100")},
                    {&seller, QStringLiteral("/api/v1/notifications")},
                    {&seller, QStringLiteral("/api/v1/me")},
                    {&customer, QStringLiteral("/api/v1/orders")},
                    {&customer, QStringLiteral("/api/v1/me")},
                    {&customer, QStringLiteral("/api/v1/me/coins")},
                    {&customer, QStringLiteral("/api/v1/cart")},
                    {&customer, QStringLiteral("/api/v1/notifications")}};
            const QJsonArray products = anon.get(QStringLiteral("/api/v1/products?limit=100"))
                                                .json()
                                                .value(QStringLiteral("items"))
                                                .toArray();
            for (const QJsonValue p : products) {
                const QString id = p.toObject().value(QStringLiteral("id")).toString();
                reads.append({&anon, QStringLiteral("/api/v1/products/") + id});
                reads.append({&anon, QStringLiteral("/api/v1/products/%1/reviews").arg(id)});
            }
            for (const auto &[client, path] : reads) {
                const HttpResult r = client->get(path);
                QJsonObject o = r.json();
                if (o.contains(QStringLiteral("nextCursor")))
                    o.insert(QStringLiteral("nextCursor"),
                             !o.value(QStringLiteral("nextCursor")).isNull());
                out.append(QStringLiteral("%1 %2 %3")
                                   .arg(path)
                                   .arg(r.status)
                                   .arg(QString::fromUtf8(
                                           QJsonDocument(o).toJson(QJsonDocument::Compact))));
            }
            if (server.terminate() != 0)
                out.append(QStringLiteral("unclean exit: ") + server.log());
            return out;
        };
        const QStringList before = answers(sqliteUrl);
        QVERIFY(before.size() > 20);
        QVERIFY(before.join(QLatin1Char('\n')).contains(QStringLiteral("Migrated pot")));

        const QString pgUrl = freshDatabaseUrl(dir.path());
        CliResult r = cli(
                {QStringLiteral("migrate-to"), pgUrl, QStringLiteral("--database"), sqliteUrl});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("checked, the same on both sides"));
        QVERIFY(r.out.contains("order_items"));

        const QStringList after = answers(pgUrl);
        QCOMPARE(after.size(), before.size());
        for (int i = 0; i < before.size(); ++i)
            QCOMPARE(after.at(i), before.at(i));

        // The target holds a shop now: a second copy is refused and changes nothing.
        r = cli({QStringLiteral("migrate-to"), pgUrl, QStringLiteral("--database"), sqliteUrl});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("already holds a shop"), r.err.constData());
        // Only SQLite into PostgreSQL.
        r = cli({QStringLiteral("migrate-to"), sqliteUrl, QStringLiteral("--database"), sqliteUrl});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(answers(pgUrl), before);
    }

private:
    QTemporaryDir m_dir;
    QString m_url;
    QString m_orderLineName;
    std::unique_ptr<Shop> m_shop;
};

} // namespace

QTEST_GUILESS_MAIN(TestOps)
#include "tst_ops.moc"
