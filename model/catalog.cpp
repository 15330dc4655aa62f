#include "catalog.h"

#include "categories.h"
#include "clock.h"
#include "cursor.h"
#include "ids.h"
#include "imagestore.h"
#include "preparedsql.h"
#include "shop.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QMap>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlError>

#include <limits>

Q_LOGGING_CATEGORY(lcCatalog, "mercato.model.catalog")

namespace Mercato {

namespace {

const QString kProductColumns = QStringLiteral(
        "p.id, p.seller_id, u.display_name, p.name, p.description, p.price_cents, p.stock, "
        "p.low_stock_threshold, p.version, p.rating_sum, p.rating_count, p.created_at, "
        "p.updated_at, p.category_id");
constexpr int kProductColumnCount = 14;

Product readProduct(const QSqlQuery &q)
{
    Product p;
    p.id = q.value(0).toString();
    p.sellerId = q.value(1).toString();
    p.sellerName = q.value(2).toString();
    p.name = q.value(3).toString();
    p.description = q.value(4).toString();
    p.priceCents = q.value(5).toLongLong();
    p.stock = q.value(6).toLongLong();
    p.lowStockThreshold = q.value(7).toLongLong();
    p.version = q.value(8).toLongLong();
    p.ratingSum = q.value(9).toLongLong();
    p.ratingCount = q.value(10).toLongLong();
    p.createdAt = q.value(11).toLongLong();
    p.updatedAt = q.value(12).toLongLong();
    p.categoryId = q.value(13).isNull() ? QString() : q.value(13).toString();
    return p;
}

Error badCursor()
{
    const QString message = QStringLiteral("cursor is not one this list made");
    return Error{ErrorCode::BadRequest, message, {{QStringLiteral("cursor"), message}}};
}

bool ifMatchAccepts(const QString &ifMatch, const QString &etag)
{
    if (ifMatch.trimmed().isEmpty())
        return true;
    const QStringList tags = ifMatch.split(QLatin1Char(','));
    for (const QString &t : tags) {
        const QString tag = t.trimmed();
        if (tag == QLatin1String("*") || tag == etag)
            return true; // weak tags (W/"...") never match: If-Match compares strongly
    }
    return false;
}

QString sortName(ProductSort sort)
{
    switch (sort) {
    case ProductSort::Relevance:
        return QStringLiteral("relevance");
    case ProductSort::Newest:
        return QStringLiteral("newest");
    case ProductSort::Price:
        return QStringLiteral("price");
    case ProductSort::PriceDesc:
        return QStringLiteral("-price");
    case ProductSort::Rating:
        return QStringLiteral("rating");
    }
    return {};
}

QVariantList idList(const QList<Product> &products)
{
    QVariantList out;
    for (const Product &p : products)
        out.append(p.id);
    return out;
}

QVariant nullableId(const QString &id)
{
    return id.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(id);
}

QString placeholders(qsizetype n)
{
    QStringList marks;
    marks.reserve(n);
    for (qsizetype i = 0; i < n; ++i)
        marks.append(QStringLiteral("?"));
    return marks.join(QLatin1Char(','));
}

} // namespace

QString Product::etag() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    const QString text = QStringList{id,
                                     QString::number(version),
                                     QString::number(updatedAt),
                                     QString::number(stock),
                                     QString::number(priceCents),
                                     QString::number(lowStockThreshold),
                                     QString::number(ratingSum),
                                     QString::number(ratingCount),
                                     name,
                                     description}
                                 .join(QChar(0x1f));
    h.addData(text.toUtf8());
    for (const ProductImage &img : images)
        h.addData(QByteArray(img.id.toUtf8() + "\x1f"));
    return QLatin1Char('"')
           + QString::fromLatin1(h.result().left(15).toBase64(QByteArray::Base64UrlEncoding))
           + QLatin1Char('"');
}

QStringList Catalog::searchWords(const QString &text)
{
    static const QRegularExpression word(QStringLiteral("[\\p{L}\\p{N}]+"),
                                         QRegularExpression::UseUnicodePropertiesOption);
    QStringList out;
    auto it = word.globalMatch(text.left(1000));
    while (it.hasNext() && out.size() < 16)
        out.append(it.next().captured(0).left(64).toLower());
    return out;
}

Result<Product> Catalog::load(const QSqlDatabase &db, const QString &id, bool includeDeleted)
{
    QString sql = QStringLiteral("SELECT ") + kProductColumns
                  + QStringLiteral(
                          " FROM products p JOIN users u ON u.id = p.seller_id WHERE p.id = ?");
    if (!includeDeleted) // a suspended seller's products are out of the catalog too
        sql += QStringLiteral(" AND p.deleted_at IS NULL AND u.suspended_at IS NULL");
    auto q = execSql(db, sql, {id});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    QList<Product> one{readProduct(q.value())};
    if (auto s = loadImages(db, one); !s)
        return s.error();
    return one.first();
}

Status Catalog::loadImages(const QSqlDatabase &db, QList<Product> &products)
{
    if (products.isEmpty())
        return Ok{};
    auto q = execPrepared(
            db,
            QStringLiteral("SELECT product_id, id, url, store_key, position FROM product_images "
                           "WHERE product_id IN (%1) ORDER BY product_id, position, id")
                    .arg(placeholders(products.size())),
            idList(products));
    if (!q)
        return q.error();
    QSqlQuery *rows = q.value();
    QHash<QString, QList<ProductImage>> byProduct;
    while (rows->next()) {
        byProduct[rows->value(0).toString()].append(
                ProductImage{rows->value(1).toString(), rows->value(2).toString(),
                             rows->value(3).toString(), rows->value(4).toInt()});
    }
    rows->finish();
    for (Product &p : products)
        p.images = byProduct.value(p.id);
    return Ok{};
}

Result<Product> Catalog::owned(const QSqlDatabase &db, const QString &sellerId, const QString &id)
{
    // Takes the row lock first (PostgreSQL), so what is read next stays true until commit.
    auto lock = execSql(db,
                        QStringLiteral("UPDATE products SET version = version WHERE id = ? "
                                       "AND deleted_at IS NULL"),
                        {id});
    if (!lock)
        return lock.error();
    auto p = load(db, id, false);
    if (!p)
        return p;
    if (p->sellerId != sellerId) // another seller's product: its existence does not show
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    return p;
}

Result<Product> Catalog::get(const QString &id)
{
    return load(m_shop.database().connection(), id, false);
}

Result<Product> Catalog::create(const QString &sellerId, const NewProduct &input)
{
    Database &database = m_shop.database();
    const QString id = Ids::newId();
    StockEffects effects;
    {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto seller
                = execSql(db, QStringLiteral("SELECT role FROM users WHERE id = ?"), {sellerId});
        if (!seller)
            return seller.error();
        if (!seller->next() || seller->value(0).toString() != QLatin1String("seller"))
            return makeError(ErrorCode::Forbidden,
                             QStringLiteral("only a seller account sells products"));
        // Before the insert, whose foreign key would refuse an unknown category less clearly.
        if (auto s = Categories::productMoved(db, sellerId, {}, input.categoryId); !s)
            return s.error();
        const qint64 now = Clock::nowMs();
        const qint64 threshold
                = input.lowStockThreshold.value_or(m_shop.settings().lowStockDefault);
        auto ins = execSql(
                db,
                QStringLiteral("INSERT INTO products (id, seller_id, name, description, "
                               "price_cents, stock, low_stock_threshold, low_stock_armed, "
                               "version, created_at, updated_at, category_id) "
                               "VALUES (?, ?, ?, COALESCE(?, ''), ?, ?, ?, 1, 1, ?, ?, ?)"),
                {id, sellerId, input.name, input.description, input.priceCents, input.stock,
                 threshold, now, now, nullableId(input.categoryId)});
        if (!ins)
            return ins.error();
        if (auto s = m_shop.inventory().recordCreation(db, id, input.stock, sellerId, &effects); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    if (!effects.changedProducts.contains(id))
        effects.changedProducts.append(id);
    m_shop.inventory().announce(effects);
    // The answer is what was committed, read without the catalogue's filters: a suspension
    // that commits meanwhile must not turn a change that happened into a 404.
    return load(m_shop.database().connection(), id, true);
}

Result<QStringList> Catalog::importProducts(const QString &sellerId,
                                            const QList<ImportedProduct> &items)
{
    QStringList ids;
    ids.reserve(items.size());
    StockEffects effects;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto seller
                = execSql(db, QStringLiteral("SELECT role FROM users WHERE id = ?"), {sellerId});
        if (!seller)
            return seller.error();
        if (!seller->next() || seller->value(0).toString() != QLatin1String("seller"))
            return makeError(ErrorCode::Forbidden,
                             QStringLiteral("only a seller account sells products"));
        {
            QMap<QString, qint64> perCategory; // the counts first: an unknown category is 422
            for (const ImportedProduct &item : items) {
                if (!item.product.categoryId.isEmpty())
                    ++perCategory[item.product.categoryId];
            }
            for (auto it = perCategory.cbegin(); it != perCategory.cend(); ++it) {
                if (auto s = Categories::productMoved(db, sellerId, {}, it.key(), it.value()); !s)
                    return s.error();
            }
        }
        const qint64 now = Clock::nowMs();
        // Multi-row INSERTs of 100 products and their `create` ledger rows (what
        // Inventory::recordCreation writes one by one); the low-stock rule runs for those that
        // start at or under their threshold (the others cannot have crossed it).
        constexpr qsizetype kChunk = 100;
        for (qsizetype from = 0; from < items.size(); from += kChunk) {
            const qsizetype to = std::min(items.size(), from + kChunk);
            QStringList productRows, ledgerRows, maybeLow;
            QVariantList productBinds, ledgerBinds;
            for (qsizetype k = from; k < to; ++k) {
                const NewProduct &input = items.at(k).product;
                const QString id = Ids::newId();
                const qint64 created = items.at(k).createdAt > 0 ? items.at(k).createdAt : now;
                const qint64 threshold
                        = input.lowStockThreshold.value_or(m_shop.settings().lowStockDefault);
                productRows.append(
                        QStringLiteral("(?, ?, ?, COALESCE(?, ''), ?, ?, ?, 1, 1, ?, ?, ?)"));
                productBinds << id << sellerId << input.name << input.description
                             << input.priceCents << input.stock << threshold << created << created
                             << nullableId(input.categoryId);
                ledgerRows.append(QStringLiteral("(?, ?, ?, NULL, ?, NULL, ?)"));
                ledgerBinds << id << input.stock << StockReason::Create << sellerId << now;
                if (input.stock <= threshold)
                    maybeLow.append(id);
                ids.append(id);
            }
            auto ins = execSql(db,
                               QStringLiteral("INSERT INTO products (id, seller_id, name, "
                                              "description, price_cents, stock, "
                                              "low_stock_threshold, low_stock_armed, version, "
                                              "created_at, updated_at, category_id) VALUES ")
                                       + productRows.join(QStringLiteral(", ")),
                               productBinds);
            if (!ins)
                return ins.error();
            auto ledger = execSql(db,
                                  QStringLiteral("INSERT INTO stock_ledger (product_id, delta, "
                                                 "reason, note, actor_id, order_id, created_at) "
                                                 "VALUES ")
                                          + ledgerRows.join(QStringLiteral(", ")),
                                  ledgerBinds);
            if (!ledger)
                return ledger.error();
            for (const QString &id : std::as_const(maybeLow)) {
                if (auto s = m_shop.inventory().evaluateLowStock(db, id, &effects); !s)
                    return s.error();
            }
            for (qsizetype k = from; k < to; ++k) {
                const ImportedProduct &item = items.at(k);
                const qint64 created = item.createdAt > 0 ? item.createdAt : now;
                for (qsizetype i = 0; i < item.images.size() && i < ProductLimits::kImagesMax;
                     ++i) {
                    auto img = execSql(db,
                                       QStringLiteral("INSERT INTO product_images (id, product_id, "
                                                      "position, store_key, url, created_at) "
                                                      "VALUES (?, ?, ?, ?, ?, ?)"),
                                       {Ids::newId(), ids.at(k), int(i), item.images.at(i).key,
                                        item.images.at(i).url, created});
                    if (!img)
                        return img.error();
                }
            }
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    // PostgreSQL plans from table statistics that autovacuum refreshes only a minute or more
    // after a bulk load; until then a first page of 10,000 freshly imported products was planned
    // as a scan and sort of the whole table (14 ms instead of 0.1 ms). So they are refreshed now.
    // SQLite has none to refresh.
    constexpr qsizetype kAnalyzeAfter = 500;
    if (m_shop.database().engine() == Engine::Postgres && ids.size() >= kAnalyzeAfter) {
        QSqlQuery analyze(m_shop.database().connection()); // a utility statement: not prepared
        if (!analyze.exec(QStringLiteral("ANALYZE products, product_images, stock_ledger")))
            qCWarning(lcCatalog) << "ANALYZE after an import failed:" << analyze.lastError().text();
    }
    // Listeners (the console) reload on productChanged; one per import is enough.
    if (!ids.isEmpty() && !effects.changedProducts.contains(ids.last()))
        effects.changedProducts.append(ids.last());
    m_shop.inventory().announce(effects);
    return ids;
}

Result<Product> Catalog::update(const QString &sellerId, const QString &id,
                                const ProductChanges &changes, const QString &ifMatch)
{
    StockEffects effects;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto current = owned(db, sellerId, id);
        if (!current)
            return current;
        if (!ifMatchAccepts(ifMatch, current->etag()))
            return makeError(ErrorCode::PreconditionFailed,
                             QStringLiteral("the product changed since that ETag; GET it again"));
        QStringList sets{QStringLiteral("version = version + 1"), QStringLiteral("updated_at = ?")};
        QVariantList binds{Clock::nowMs()};
        auto set = [&](const QString &column, const QVariant &value) {
            sets.append(column + QStringLiteral(" = ?"));
            binds.append(value);
        };
        if (changes.name)
            set(QStringLiteral("name"), *changes.name);
        if (changes.description) {
            sets.append(QStringLiteral("description = COALESCE(?, '')"));
            binds.append(*changes.description);
        }
        if (changes.priceCents)
            set(QStringLiteral("price_cents"), *changes.priceCents);
        if (changes.lowStockThreshold)
            set(QStringLiteral("low_stock_threshold"), *changes.lowStockThreshold);
        if (changes.categoryId && *changes.categoryId != current->categoryId) {
            if (auto s
                = Categories::productMoved(db, sellerId, current->categoryId, *changes.categoryId);
                !s)
                return s.error();
            set(QStringLiteral("category_id"), nullableId(*changes.categoryId));
        }
        binds.append(id);
        auto upd = execSql(db,
                           QStringLiteral("UPDATE products SET %1 WHERE id = ?")
                                   .arg(sets.join(QStringLiteral(", "))),
                           binds);
        if (!upd)
            return upd.error();
        if (changes.stock && *changes.stock != current->stock) {
            if (auto s
                = m_shop.inventory().adjust(db, id, *changes.stock - current->stock,
                                            QStringLiteral("set by edit"), sellerId, &effects);
                !s)
                return s.error();
        }
        if (changes.lowStockThreshold) {
            if (auto s = m_shop.inventory().evaluateLowStock(db, id, &effects); !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    if (!effects.changedProducts.contains(id))
        effects.changedProducts.append(id);
    m_shop.inventory().announce(effects);
    // The answer is what was committed, read without the catalogue's filters: a suspension
    // that commits meanwhile must not turn a change that happened into a 404.
    return load(m_shop.database().connection(), id, true);
}

Status Catalog::remove(const QString &sellerId, const QString &id, const QString &ifMatch)
{
    QStringList keys;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s;
        const QSqlDatabase db = tx.db();
        auto current = owned(db, sellerId, id);
        if (!current)
            return current.error();
        if (!ifMatchAccepts(ifMatch, current->etag()))
            return makeError(ErrorCode::PreconditionFailed,
                             QStringLiteral("the product changed since that ETag; GET it again"));
        const qint64 now = Clock::nowMs();
        auto del = execSql(db,
                           QStringLiteral("UPDATE products SET deleted_at = ?, updated_at = ?, "
                                          "version = version + 1 WHERE id = ?"),
                           {now, now, id});
        if (!del)
            return del.error();
        if (auto s = Categories::productMoved(db, sellerId, current->categoryId, {}); !s)
            return s;
        for (const ProductImage &img : current->images)
            keys.append(img.storeKey);
        auto imgs = execSql(db, QStringLiteral("DELETE FROM product_images WHERE product_id = ?"),
                            {id});
        if (!imgs)
            return imgs.error();
        if (auto s = tx.commit(); !s)
            return s;
    }
    deleteStoredImages(keys);
    Q_EMIT m_shop.events().productChanged(id);
    return Ok{};
}

Result<Product> Catalog::adjustStock(const QString &sellerId, const QString &id, qint64 delta,
                                     const QString &reason)
{
    StockEffects effects;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        auto current = owned(db, sellerId, id);
        if (!current)
            return current;
        if (current->stock + delta > ProductLimits::kStockMax)
            return Error::validation(
                    QStringLiteral("delta"),
                    QStringLiteral("stock would exceed %1").arg(ProductLimits::kStockMax));
        if (current->stock + delta < 0) {
            Error e = makeError(
                    ErrorCode::Conflict,
                    QStringLiteral("stock cannot go below zero: %1 left").arg(current->stock));
            e.fields.append({QStringLiteral("delta"), e.detail});
            return e;
        }
        if (auto s = m_shop.inventory().adjust(db, id, delta, reason, sellerId, &effects); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    m_shop.inventory().announce(effects);
    // The answer is what was committed, read without the catalogue's filters: a suspension
    // that commits meanwhile must not turn a change that happened into a 404.
    return load(m_shop.database().connection(), id, true);
}

namespace {

// A price range narrower than this many live products is read through the price index.
constexpr int kNarrowPriceRange = 2000;

// How a price bound is written for the engine's planner. SQLite plans any price bound with the
// price index whatever the order asked for, then sorts every product in the range: a wide range
// over a large catalogue read and sorted all of it (a request for the newest products under
// 1,000,000 cents timed out at 1M products). So the index is offered (`p.price_cents`) only
// when the order is by price or the range holds fewer than kNarrowPriceRange live products
// (counted through that index, at most that many entries read); otherwise the bound is a plain
// filter on the walk in the order asked (`+p.price_cents`, which SQLite does not index).
// A relevance search is always driven by its ranked matches. PostgreSQL plans from statistics.
QString priceFilterColumn(const QSqlDatabase &db, const ProductQuery &query, ProductSort sort,
                          bool postgres, bool rankedSearch)
{
    const QString indexed = QStringLiteral("p.price_cents");
    if (postgres || sort == ProductSort::Price || sort == ProductSort::PriceDesc)
        return indexed;
    const QString filter = QStringLiteral("+p.price_cents");
    if (rankedSearch)
        return filter;
    auto n = execPrepared(db,
                          QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM products "
                                         "WHERE deleted_at IS NULL AND price_cents >= ? "
                                         "AND price_cents <= ? LIMIT %1)")
                                  .arg(kNarrowPriceRange),
                          {query.minPriceCents.value_or(0),
                           query.maxPriceCents.value_or(std::numeric_limits<qint64>::max())});
    if (!n)
        return filter;
    const bool narrow = n.value()->next() && n.value()->value(0).toLongLong() < kNarrowPriceRange;
    n.value()->finish();
    return narrow ? indexed : filter;
}

} // namespace

Result<ProductPage> Catalog::list(const ProductQuery &query)
{
    const QStringList words = searchWords(query.text);
    if (!query.text.trimmed().isEmpty() && words.isEmpty())
        return ProductPage{}; // nothing searchable in it: nothing matches
    ProductSort sort
            = query.sort.value_or(words.isEmpty() ? ProductSort::Newest : ProductSort::Relevance);
    if (sort == ProductSort::Relevance && words.isEmpty())
        sort = ProductSort::Newest;
    const bool postgres = m_shop.database().engine() == Engine::Postgres;

    const QString scope
            = QStringList{QStringLiteral("products"),
                          sortName(sort),
                          words.join(QLatin1Char(' ')),
                          query.sellerId,
                          query.minPriceCents ? QString::number(*query.minPriceCents) : QString(),
                          query.maxPriceCents ? QString::number(*query.maxPriceCents) : QString(),
                          query.inStock ? QString::number(int(*query.inStock)) : QString(),
                          query.categoryId}
                      .join(QLatin1Char('|'));
    std::optional<QVariantList> after;
    if (!query.cursor.isEmpty()) {
        after = Cursor::decode(scope, query.cursor);
        if (!after || after->size() != 2 || after->at(1).typeId() != QMetaType::QString
            || !Cursor::isNumber(after->at(0)))
            return badCursor();
    }

    // The search text, as each engine reads it: only letters and digits, so no syntax gets in.
    QString matchText;
    if (!words.isEmpty()) {
        if (postgres) {
            QStringList parts;
            for (qsizetype i = 0; i < words.size(); ++i)
                parts.append(i + 1 == words.size() ? words.at(i) + QStringLiteral(":*")
                                                   : words.at(i));
            matchText = parts.join(QStringLiteral(" & "));
        } else {
            QStringList parts;
            for (qsizetype i = 0; i < words.size(); ++i)
                parts.append(QLatin1Char('"') + words.at(i) + QLatin1Char('"')
                             + (i + 1 == words.size() ? QStringLiteral("*") : QString()));
            matchText = parts.join(QLatin1Char(' '));
        }
    }

    QString from;
    QVariantList binds;
    // A suspended seller's products are out of the catalog (its own rows stay as they are).
    QStringList where{QStringLiteral("p.deleted_at IS NULL"),
                      QStringLiteral("u.suspended_at IS NULL")};
    QString key;               // the sort key expression
    bool rankedSearch = false; // SQLite relevance: `ranked` is the full-text index's ranking
    bool keyDesc = true;
    bool idDesc = false;
    switch (sort) {
    case ProductSort::Relevance:
        if (postgres) {
            from = QStringLiteral("products p CROSS JOIN to_tsquery('simple', ?) AS tq "
                                  "JOIN users u ON u.id = p.seller_id");
            binds.append(matchText);
            where.append(QStringLiteral("p.search @@ tq"));
            key = QStringLiteral("CAST(ts_rank(p.search, tq) AS DOUBLE PRECISION)");
        } else {
            // The index ranks its matches on its own (bm25 reads no product row); the ranked
            // rows are joined afterwards, only the best of them when a window is set (below).
            from = QStringLiteral("ranked JOIN products p ON p.rowid = ranked.rid "
                                  "JOIN users u ON u.id = p.seller_id");
            key = QStringLiteral("ranked.score");
            rankedSearch = true;
        }
        keyDesc = true;
        idDesc = false;
        break;
    case ProductSort::Newest:
        key = QStringLiteral("p.created_at");
        keyDesc = idDesc = true;
        break;
    case ProductSort::Price:
        key = QStringLiteral("p.price_cents");
        keyDesc = idDesc = false;
        break;
    case ProductSort::PriceDesc:
        key = QStringLiteral("p.price_cents");
        keyDesc = idDesc = true;
        break;
    case ProductSort::Rating:
        key = QStringLiteral("(CASE WHEN p.rating_count = 0 THEN -1 ELSE "
                             "CAST(p.rating_sum AS BIGINT) * 1000000 / p.rating_count END)");
        keyDesc = true;
        idDesc = false;
        break;
    }
    if (from.isEmpty()) {
        from = QStringLiteral("products p JOIN users u ON u.id = p.seller_id");
        if (!words.isEmpty()) {
            if (postgres) {
                where.append(QStringLiteral("p.search @@ to_tsquery('simple', ?)"));
            } else {
                where.append(QStringLiteral("p.rowid IN (SELECT rowid FROM products_fts "
                                            "WHERE products_fts MATCH ?)"));
            }
            binds.append(matchText);
        }
    }
    if (!query.sellerId.isEmpty()) {
        where.append(QStringLiteral("p.seller_id = ?"));
        binds.append(query.sellerId);
    }
    const QSqlDatabase db = m_shop.database().connection();
    if (query.minPriceCents || query.maxPriceCents) {
        const QString price = priceFilterColumn(db, query, sort, postgres, rankedSearch);
        if (query.minPriceCents) {
            where.append(price + QStringLiteral(" >= ?"));
            binds.append(*query.minPriceCents);
        }
        if (query.maxPriceCents) {
            where.append(price + QStringLiteral(" <= ?"));
            binds.append(*query.maxPriceCents);
        }
    }
    if (query.inStock)
        where.append(*query.inStock ? QStringLiteral("p.stock > 0")
                                    : QStringLiteral("p.stock = 0"));
    if (!query.categoryId.isEmpty()) {
        // The category and its descendants: the rows whose path starts with its path (ids are
        // hex, so a path holds no LIKE wildcard). An unknown id matches nothing.
        where.append(QStringLiteral("p.category_id IN (SELECT d.id FROM categories c "
                                    "JOIN categories d ON d.path LIKE c.path || '%' "
                                    "WHERE c.id = ?)"));
        binds.append(query.categoryId);
    }
    if (after) {
        const QVariant k = sort == ProductSort::Relevance ? QVariant(after->at(0).toDouble())
                                                          : QVariant(after->at(0).toLongLong());
        const QString id = after->at(1).toString();
        where.append(QStringLiteral("(%1 %2 ? OR (%1 = ? AND p.id %3 ?))")
                             .arg(key, keyDesc ? QStringLiteral("<") : QStringLiteral(">"),
                                  idDesc ? QStringLiteral("<") : QStringLiteral(">")));
        binds << k << k << id;
    }
    const int limit = std::clamp(query.limit, 1, 100);
    binds.append(limit + 1);

    // One read. With a window (SQLite relevance), only the index's best `window` matches are
    // joined with products, filtered and ordered, so a common word in a large catalogue does
    // not read a product row per match. That answer is exact when the window held every match,
    // or when there is a next row and the last row shown outranks the window's weakest score
    // (every row that outranks it is in the window). Otherwise (filters that reject most
    // matches, a tie at the window's edge) the page is read again with every match (window 0).
    struct Read
    {
        ProductPage page;
        QVariant lastKey;
        bool more = false;
        bool exact = true;
    };
    const auto read = [&](int window) -> Result<Read> {
        QString with;
        QString source = from;
        QString columns = kProductColumns + QStringLiteral(", ") + key;
        QVariantList values;
        if (rankedSearch) {
            with = QStringLiteral("WITH ranked AS MATERIALIZED (SELECT rowid AS rid, "
                                  "-bm25(products_fts) AS score FROM products_fts "
                                  "WHERE products_fts MATCH ?%1 ORDER BY rank LIMIT %2)")
                           .arg(after ? QStringLiteral(" AND -bm25(products_fts) <= ?") : QString(),
                                QString::number(window > 0 ? window : -1));
            values.append(matchText);
            if (after) // a later page's window starts at the cursor's score
                values.append(after->at(0).toDouble());
            if (window > 0) {
                with += QStringLiteral(", edge AS (SELECT min(score) AS weakest, "
                                       "count(*) AS ranked_count FROM ranked) ");
                source = QStringLiteral("edge CROSS JOIN ") + source;
                columns += QStringLiteral(", edge.weakest, edge.ranked_count");
            }
        }
        values.append(binds);
        const QString sql
                = QStringLiteral("%1 SELECT %2 FROM %3 WHERE %4 ORDER BY %5 %6, p.id %7 LIMIT ?")
                          .arg(with, columns, source, where.join(QStringLiteral(" AND ")), key,
                               keyDesc ? QStringLiteral("DESC") : QStringLiteral("ASC"),
                               idDesc ? QStringLiteral("DESC") : QStringLiteral("ASC"));
        // Prepared once per connection and shape: on PostgreSQL an EXECUTE instead of a
        // PREPARE, EXECUTE and DEALLOCATE round trip each; on SQLite no parsing again.
        auto prepared = execPrepared(db, sql, values);
        if (!prepared)
            return prepared.error();
        QSqlQuery *q = prepared.value();
        const auto finished = qScopeGuard([q] { q->finish(); });
        Read r;
        double weakest = 0;
        bool wholeWindow = false;
        while (q->next()) {
            if (window > 0 && r.page.items.isEmpty()) {
                weakest = q->value(kProductColumnCount + 1).toDouble();
                wholeWindow = q->value(kProductColumnCount + 2).toLongLong() >= window;
            }
            if (r.page.items.size() == limit) {
                r.more = true;
                break;
            }
            r.page.items.append(readProduct(*q));
            r.lastKey = q->value(kProductColumnCount);
        }
        if (window > 0)
            r.exact = !r.page.items.isEmpty() // no row: the window may have been filtered away
                      && (!wholeWindow || (r.more && r.lastKey.toDouble() > weakest));
        return r;
    };

    auto r = read(rankedSearch ? std::max(200, 8 * (limit + 1)) : 0);
    if (r && !r->exact)
        r = read(0);
    if (!r)
        return r.error();
    ProductPage page = std::move(r->page);
    const QVariant lastKey = r->lastKey;
    const bool more = r->more;
    if (more) {
        const QVariant k = sort == ProductSort::Relevance ? QVariant(lastKey.toDouble())
                                                          : QVariant(double(lastKey.toLongLong()));
        page.nextCursor = Cursor::encode(scope, {k, page.items.last().id});
    }
    if (auto s = loadImages(db, page.items); !s)
        return s.error();
    return page;
}

Result<ProductPage> Catalog::inventory(const InventoryQuery &query)
{
    const QString scope
            = QStringLiteral("inventory|%1|%2").arg(query.sellerId).arg(int(query.lowStockOnly));
    QStringList where{QStringLiteral("p.deleted_at IS NULL"), QStringLiteral("p.seller_id = ?")};
    QVariantList binds{query.sellerId};
    if (query.lowStockOnly)
        where.append(QStringLiteral("p.stock <= p.low_stock_threshold"));
    if (!query.cursor.isEmpty()) {
        const auto after = Cursor::decode(scope, query.cursor);
        if (!after || after->size() != 2 || !Cursor::isNumber(after->at(0))
            || after->at(1).typeId() != QMetaType::QString)
            return badCursor();
        where.append(QStringLiteral("(p.created_at < ? OR (p.created_at = ? AND p.id < ?))"));
        binds << after->at(0).toLongLong() << after->at(0).toLongLong() << after->at(1).toString();
    }
    const int limit = std::clamp(query.limit, 1, 100);
    binds.append(limit + 1);
    const QSqlDatabase db = m_shop.database().connection();
    auto q = execSql(db,
                     QStringLiteral("SELECT %1 FROM products p JOIN users u ON u.id = p.seller_id "
                                    "WHERE %2 ORDER BY p.created_at DESC, p.id DESC LIMIT ?")
                             .arg(kProductColumns, where.join(QStringLiteral(" AND "))),
                     binds);
    if (!q)
        return q.error();
    ProductPage page;
    bool more = false;
    while (q->next()) {
        if (page.items.size() == limit) {
            more = true;
            break;
        }
        page.items.append(readProduct(q.value()));
    }
    if (more)
        page.nextCursor = Cursor::encode(
                scope, {double(page.items.last().createdAt), page.items.last().id});
    if (auto s = loadImages(db, page.items); !s)
        return s.error();
    return page;
}

Result<ProductImage> Catalog::addImage(const QString &sellerId, const QString &productId,
                                       const QByteArray &bytes, const QString &declaredType,
                                       const CancelToken &cancel)
{
    const QSqlDatabase reader = m_shop.database().connection();
    auto product = load(reader, productId, false);
    if (!product)
        return product.error();
    if (product->sellerId != sellerId)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such product"));
    auto type = checkImage(bytes, declaredType);
    if (!type)
        return type.error();
    const Error full = makeError(
            ErrorCode::Conflict,
            QStringLiteral("a product has at most %1 images").arg(ProductLimits::kImagesMax));
    if (product->images.size() >= ProductLimits::kImagesMax)
        return full;
    if (cancel.isCancelled())
        return cancelledUpload();
    auto clean = stripMetadata(bytes, type.value()); // no camera or GPS data is kept
    if (!clean)
        return clean.error();
    auto stored = m_shop.images().store(clean.value(), type.value(), cancel);
    if (!stored)
        return stored.error();
    ProductImage image{Ids::newId(), stored->url, stored->key, 0};
    auto fail = [&](const Error &e) -> Result<ProductImage> {
        deleteStoredImages({stored->key});
        return e;
    };
    if (cancel.isCancelled()) // stored just before the cancel came
        return fail(cancelledUpload());
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return fail(s.error());
        const QSqlDatabase db = tx.db();
        auto current = owned(db, sellerId, productId);
        if (!current)
            return fail(current.error());
        if (current->images.size() >= ProductLimits::kImagesMax)
            return fail(full);
        image.position = current->images.isEmpty() ? 0 : current->images.last().position + 1;
        const qint64 now = Clock::nowMs();
        auto ins = execSql(db,
                           QStringLiteral("INSERT INTO product_images (id, product_id, position, "
                                          "store_key, url, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
                           {image.id, productId, image.position, image.storeKey, image.url, now});
        if (!ins)
            return fail(ins.error());
        auto bump = execSql(db,
                            QStringLiteral("UPDATE products SET version = version + 1, "
                                           "updated_at = ? WHERE id = ?"),
                            {now, productId});
        if (!bump)
            return fail(bump.error());
        if (cancel.isCancelled())
            return fail(cancelledUpload()); // the transaction rolls back
        if (auto s = tx.commit(); !s)
            return fail(s.error());
    }
    Q_EMIT m_shop.events().productChanged(productId);
    return image;
}

Status Catalog::removeImage(const QString &sellerId, const QString &productId,
                            const QString &imageId)
{
    QString key;
    {
        Transaction tx(m_shop.database());
        if (auto s = tx.begin(); !s)
            return s;
        const QSqlDatabase db = tx.db();
        auto current = owned(db, sellerId, productId);
        if (!current)
            return current.error();
        for (const ProductImage &img : current->images) {
            if (img.id == imageId)
                key = img.storeKey;
        }
        if (key.isEmpty())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such image"));
        auto del = execSql(
                db, QStringLiteral("DELETE FROM product_images WHERE id = ? AND product_id = ?"),
                {imageId, productId});
        if (!del)
            return del.error();
        auto bump = execSql(db,
                            QStringLiteral("UPDATE products SET version = version + 1, "
                                           "updated_at = ? WHERE id = ?"),
                            {Clock::nowMs(), productId});
        if (!bump)
            return bump.error();
        if (auto s = tx.commit(); !s)
            return s;
    }
    deleteStoredImages({key});
    Q_EMIT m_shop.events().productChanged(productId);
    return Ok{};
}

void Catalog::deleteStoredImages(const QStringList &keys)
{
    for (const QString &key : keys) {
        const Status s = m_shop.images().remove(key);
        if (s || s.error().code == ErrorCode::NotFound)
            continue;
        // Never lost: kept for a later retry.
        qCWarning(lcCatalog) << "deleting a stored image failed; will retry:" << s.error().detail;
        auto q = execSql(m_shop.database().connection(),
                         QStringLiteral("INSERT INTO media_deletions (id, store_key, attempts, "
                                        "next_attempt_at, last_error) VALUES (?, ?, 1, ?, ?)"),
                         {Ids::newId(), key, Clock::nowMs() + 60'000, s.error().detail});
        if (!q)
            qCWarning(lcCatalog) << "cannot record a failed image deletion";
    }
}

int Catalog::retryMediaDeletions(int max)
{
    const QSqlDatabase db = m_shop.database().connection();
    auto due
            = execSql(db,
                      QStringLiteral("SELECT id, store_key, attempts FROM media_deletions "
                                     "WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?"),
                      {Clock::nowMs(), max});
    if (!due)
        return 0;
    struct Row
    {
        QString id, key;
        int attempts;
    };
    QList<Row> rows;
    while (due->next())
        rows.append({due->value(0).toString(), due->value(1).toString(), due->value(2).toInt()});
    due->finish();
    int done = 0;
    for (const Row &row : rows) {
        // The claim: one process deletes a given picture; a lapsed claim (that process died
        // mid-call) makes the row due again.
        const qint64 now = Clock::nowMs();
        auto claim = execSql(db,
                             QStringLiteral("UPDATE media_deletions SET next_attempt_at = ? "
                                            "WHERE id = ? AND next_attempt_at <= ?"),
                             {now + 5 * 60'000, row.id, now});
        if (!claim || claim->numRowsAffected() != 1)
            continue;
        const Status s = m_shop.images().remove(row.key);
        if (s || s.error().code == ErrorCode::NotFound) {
            if (execSql(db, QStringLiteral("DELETE FROM media_deletions WHERE id = ?"), {row.id}))
                ++done;
            continue;
        }
        const qint64 backoff
                = std::min<qint64>(60'000LL << std::min(row.attempts, 10), 86'400'000LL);
        [[maybe_unused]] auto q
                = execSql(db,
                          QStringLiteral("UPDATE media_deletions SET attempts = attempts + 1, "
                                         "next_attempt_at = ?, last_error = ? WHERE id = ?"),
                          {Clock::nowMs() + backoff, s.error().detail, row.id});
    }
    return done;
}

} // namespace Mercato
