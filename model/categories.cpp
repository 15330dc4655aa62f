#include "categories.h"

#include "clock.h"
#include "ids.h"

#include <QHash>
#include <QSet>
#include <QSqlDriver>

#include <algorithm>
#include <functional>

namespace Mercato::Categories {

namespace {

bool isPostgres(const QSqlDatabase &db)
{
    return db.driverName() == QLatin1String("QPSQL");
}

// Every change of the tree's shape or names holds this lock to its commit, so checks that read
// several rows (no cycle, the depth, a free slug) stay true across processes. SQLite's write
// transaction (BEGIN IMMEDIATE) already holds the whole database.
Status lockTree(const QSqlDatabase &db)
{
    if (!isPostgres(db))
        return Ok{};
    auto q = execSql(db, QStringLiteral("SELECT pg_advisory_xact_lock(7263536)"));
    if (!q)
        return q.error();
    return Ok{};
}

Error noSuchCategory()
{
    return makeError(ErrorCode::NotFound, QStringLiteral("no such category"));
}

struct Row
{
    QString id;
    QString name;
    QString slug;
    QString parentId;
    QString path;
    int depth = 1;
};

Result<std::optional<Row>> findRow(const QSqlDatabase &db, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT id, name, slug, parent_id, path, depth FROM categories "
                                    "WHERE id = ?"),
                     {id});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Row>{};
    Row r;
    r.id = q->value(0).toString();
    r.name = q->value(1).toString();
    r.slug = q->value(2).toString();
    r.parentId = q->value(3).isNull() ? QString() : q->value(3).toString();
    r.path = q->value(4).toString();
    r.depth = q->value(5).toInt();
    return std::optional<Row>{r};
}

// `base`, else `base-2`, `base-3` …: the first no other category (but `exceptId`) holds.
Result<QString> freeSlug(const QSqlDatabase &db, const QString &base, const QString &exceptId)
{
    // Slugs hold only [a-z0-9-], so `base` has no LIKE wildcard in it.
    auto q = execSql(db,
                     QStringLiteral("SELECT slug FROM categories WHERE (slug = ? OR slug LIKE ?) "
                                    "AND id <> ?"),
                     {base, QString(base + QStringLiteral("-%")), exceptId});
    if (!q)
        return q.error();
    QSet<QString> taken;
    while (q->next())
        taken.insert(q->value(0).toString());
    if (!taken.contains(base))
        return base;
    for (qint64 n = 2;; ++n) {
        const QString candidate = base + QLatin1Char('-') + QString::number(n);
        if (!taken.contains(candidate))
            return candidate;
    }
}

Error badParent(const QString &message)
{
    return Error::validation(QStringLiteral("parentId"), message);
}

Error tooDeep()
{
    return badParent(QStringLiteral("a category tree has at most %1 levels").arg(kMaxDepth));
}

Status checkName(const QString &name)
{
    if (name.trimmed().isEmpty() || name.size() > kNameMax)
        return Error::validation(QStringLiteral("name"),
                                 QStringLiteral("must be 1 to %1 characters").arg(kNameMax));
    return Ok{};
}

} // namespace

QString slugFrom(const QString &name)
{
    // Letters that decomposition does not turn into ASCII.
    static const QHash<QChar, QString> spelled{
            {QChar(0x00DF), QStringLiteral("ss")}, {QChar(0x00E6), QStringLiteral("ae")},
            {QChar(0x00C6), QStringLiteral("ae")}, {QChar(0x00F8), QStringLiteral("o")},
            {QChar(0x00D8), QStringLiteral("o")},  {QChar(0x0153), QStringLiteral("oe")},
            {QChar(0x0152), QStringLiteral("oe")}, {QChar(0x0111), QStringLiteral("d")},
            {QChar(0x0110), QStringLiteral("d")},  {QChar(0x0142), QStringLiteral("l")},
            {QChar(0x0141), QStringLiteral("l")},  {QChar(0x00FE), QStringLiteral("th")},
            {QChar(0x00DE), QStringLiteral("th")}, {QChar(0x00F0), QStringLiteral("d")},
            {QChar(0x00D0), QStringLiteral("d")}};
    const QString decomposed = name.normalized(QString::NormalizationForm_KD);
    QString out;
    bool gap = false;
    auto append = [&](const QString &part) {
        if (gap && !out.isEmpty())
            out += QLatin1Char('-');
        gap = false;
        out += part;
    };
    for (const QChar c : decomposed) {
        if (out.size() >= kSlugBaseMax)
            break;
        if (c.unicode() < 128 && c.isLetterOrNumber())
            append(QString(c.toLower()));
        else if (spelled.contains(c))
            append(spelled.value(c));
        else if (c.category() == QChar::Mark_NonSpacing || c == QLatin1Char('\'')
                 || c == QChar(0x2019))
            continue; // accents and apostrophes vanish: "Men's" → "mens"
        else
            gap = true;
    }
    out.truncate(kSlugBaseMax);
    while (out.endsWith(QLatin1Char('-')))
        out.chop(1);
    return out.isEmpty() ? QStringLiteral("category") : out;
}

Result<QList<Category>> all(const QSqlDatabase &db)
{
    auto q = execSql(db, QStringLiteral("SELECT id, name, slug, parent_id, depth, product_count, "
                                        "path FROM categories"));
    if (!q)
        return q.error();
    QList<Category> rows;
    QList<QString> paths;
    QHash<QString, qsizetype> index;
    while (q->next()) {
        Category c;
        c.id = q->value(0).toString();
        c.name = q->value(1).toString();
        c.slug = q->value(2).toString();
        c.parentId = q->value(3).isNull() ? QString() : q->value(3).toString();
        c.depth = q->value(4).toInt();
        c.productCount = q->value(5).toLongLong();
        index.insert(c.id, rows.size());
        rows.append(c);
        paths.append(q->value(6).toString());
    }
    // Each category's own count is added to every ancestor named in its path.
    QList<qint64> totals(rows.size(), 0);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QStringList ids = paths.at(i).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        for (const QString &id : ids) {
            if (const auto it = index.constFind(id); it != index.constEnd())
                totals[*it] += rows.at(i).productCount;
        }
    }
    QHash<QString, QList<qsizetype>> children; // parent id (empty: roots) → rows
    for (qsizetype i = 0; i < rows.size(); ++i) {
        rows[i].productCount = totals.at(i);
        children[rows.at(i).parentId].append(i);
    }
    for (auto &list : children) {
        std::sort(list.begin(), list.end(), [&rows](qsizetype a, qsizetype b) {
            const int byName
                    = QString::compare(rows.at(a).name, rows.at(b).name, Qt::CaseInsensitive);
            return byName != 0 ? byName < 0 : rows.at(a).id < rows.at(b).id;
        });
    }
    QList<Category> out;
    out.reserve(rows.size());
    const std::function<void(const QString &)> visit = [&](const QString &parent) {
        for (const qsizetype i : children.value(parent)) {
            out.append(rows.at(i));
            visit(rows.at(i).id);
        }
    };
    visit(QString());
    return out;
}

Result<Category> get(const QSqlDatabase &db, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT c.id, c.name, c.slug, c.parent_id, c.depth, "
                                    "(SELECT COALESCE(SUM(d.product_count), 0) FROM categories d "
                                    "WHERE d.path LIKE c.path || '%') FROM categories c "
                                    "WHERE c.id = ?"),
                     {id});
    if (!q)
        return q.error();
    if (!q->next())
        return noSuchCategory();
    Category c;
    c.id = q->value(0).toString();
    c.name = q->value(1).toString();
    c.slug = q->value(2).toString();
    c.parentId = q->value(3).isNull() ? QString() : q->value(3).toString();
    c.depth = q->value(4).toInt();
    c.productCount = q->value(5).toLongLong();
    return c;
}

Result<Category> create(Database &database, const QString &name, const QString &parentId)
{
    if (auto s = checkName(name); !s)
        return s.error();
    const QString id = Ids::newId();
    {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        if (auto s = lockTree(db); !s)
            return s.error();
        QString path = QStringLiteral("/");
        int depth = 1;
        if (!parentId.isEmpty()) {
            auto parent = findRow(db, parentId);
            if (!parent)
                return parent.error();
            if (!parent->has_value())
                return badParent(QStringLiteral("no such category"));
            if (parent.value()->depth >= kMaxDepth)
                return tooDeep();
            path = parent.value()->path;
            depth = parent.value()->depth + 1;
        }
        auto slug = freeSlug(db, slugFrom(name), id);
        if (!slug)
            return slug.error();
        const qint64 now = Clock::nowMs();
        auto ins = execSql(
                db,
                QStringLiteral("INSERT INTO categories (id, name, slug, parent_id, path, "
                               "depth, product_count, created_at, updated_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)"),
                {id, name, slug.value(),
                 parentId.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(parentId),
                 QString(path + id + QLatin1Char('/')), depth, now, now});
        if (!ins)
            return ins.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return get(database.connection(), id);
}

Result<Category> update(Database &database, const QString &id, const Change &change)
{
    if (change.name) {
        if (auto s = checkName(*change.name); !s)
            return s.error();
    }
    {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        const QSqlDatabase db = tx.db();
        if (auto s = lockTree(db); !s)
            return s.error();
        auto found = findRow(db, id);
        if (!found)
            return found.error();
        if (!found->has_value())
            return noSuchCategory();
        const Row current = *found.value();
        Row next = current;
        if (change.name && *change.name != current.name) {
            next.name = *change.name;
            auto slug = freeSlug(db, slugFrom(next.name), id);
            if (!slug)
                return slug.error();
            next.slug = slug.value();
        }
        if (change.parentId && *change.parentId != current.parentId) {
            const QString target = *change.parentId;
            QString parentPath = QStringLiteral("/");
            int parentDepth = 0;
            if (!target.isEmpty()) {
                if (target == id)
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("a category cannot be its own parent"));
                auto parent = findRow(db, target);
                if (!parent)
                    return parent.error();
                if (!parent->has_value())
                    return badParent(QStringLiteral("no such category"));
                if (parent.value()->path.startsWith(current.path))
                    return makeError(ErrorCode::Conflict,
                                     QStringLiteral("a category cannot move under one of its own "
                                                    "descendants"));
                parentPath = parent.value()->path;
                parentDepth = parent.value()->depth;
            }
            // Slugs and ids hold no LIKE wildcard, nor do paths made of them.
            auto deepest = execSql(
                    db, QStringLiteral("SELECT MAX(depth) FROM categories WHERE path LIKE ?"),
                    {QString(current.path + QLatin1Char('%'))});
            if (!deepest)
                return deepest.error();
            const int below = deepest->next() ? deepest->value(0).toInt() - current.depth : 0;
            if (parentDepth + 1 + below > kMaxDepth)
                return tooDeep();
            next.parentId = target;
            next.path = parentPath + id + QLatin1Char('/');
            next.depth = parentDepth + 1;
            if (isPostgres(db)) {
                // The subtree's rows in id order, the order product moves take them in, so
                // the two never wait for each other.
                auto rows = execSql(db,
                                    QStringLiteral("SELECT id FROM categories WHERE path LIKE ? "
                                                   "ORDER BY id FOR UPDATE"),
                                    {QString(current.path + QLatin1Char('%'))});
                if (!rows)
                    return rows.error();
            }
            auto moved
                    = execSql(db,
                              QStringLiteral("UPDATE categories SET path = CAST(? AS TEXT) || "
                                             "substr(path, CAST(? AS INTEGER)), depth = depth + "
                                             "CAST(? AS INTEGER) WHERE path LIKE ?"),
                              {next.path, int(current.path.size()) + 1, next.depth - current.depth,
                               QString(current.path + QLatin1Char('%'))});
            if (!moved)
                return moved.error();
        }
        auto upd
                = execSql(db,
                          QStringLiteral("UPDATE categories SET name = ?, slug = ?, parent_id = ?, "
                                         "updated_at = ? WHERE id = ?"),
                          {next.name, next.slug,
                           next.parentId.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                                   : QVariant(next.parentId),
                           Clock::nowMs(), id});
        if (!upd)
            return upd.error();
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return get(database.connection(), id);
}

Status remove(Database &database, const QString &id)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s;
    const QSqlDatabase db = tx.db();
    if (auto s = lockTree(db); !s)
        return s;
    // The row lock first: a product entering the category meanwhile (its count update locks
    // the row too) is either committed and seen below, or finds the category gone.
    auto lock = execSql(
            db, QStringLiteral("UPDATE categories SET updated_at = updated_at WHERE id = ?"), {id});
    if (!lock)
        return lock.error();
    if (lock->numRowsAffected() != 1)
        return noSuchCategory();
    auto child = execSql(db, QStringLiteral("SELECT 1 FROM categories WHERE parent_id = ? LIMIT 1"),
                         {id});
    if (!child)
        return child.error();
    if (child->next())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the category has subcategories; move or delete them "
                                        "first"));
    auto product = execSql(db,
                           QStringLiteral("SELECT 1 FROM products WHERE category_id = ? AND "
                                          "deleted_at IS NULL LIMIT 1"),
                           {id});
    if (!product)
        return product.error();
    if (product->next())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the category holds products; move them to another "
                                        "category first"));
    // Deleted products (kept for order history) leave it.
    if (auto q = execSql(db,
                         QStringLiteral("UPDATE products SET category_id = NULL WHERE "
                                        "category_id = ?"),
                         {id});
        !q)
        return q.error();
    if (auto q = execSql(db, QStringLiteral("DELETE FROM categories WHERE id = ?"), {id}); !q)
        return q.error();
    return tx.commit();
}

Status productMoved(const QSqlDatabase &db, const QString &sellerId, const QString &from,
                    const QString &to, qint64 count)
{
    if (from == to)
        return Ok{};
    // A share lock on the seller (PostgreSQL): a suspension, which takes the row for update
    // and then counts the seller's products, waits for this transaction, or this one waits and
    // reads the seller as suspended. Either way each product is counted once.
    auto seller = execSql(db,
                          QStringLiteral("SELECT suspended_at FROM users WHERE id = ?")
                                  + (isPostgres(db) ? QStringLiteral(" FOR SHARE") : QString()),
                          {sellerId});
    if (!seller)
        return seller.error();
    const bool counted = seller->next() && seller->value(0).isNull();
    struct Step
    {
        QString id;
        qint64 delta;
    };
    QList<Step> steps;
    if (!from.isEmpty())
        steps.append({from, -count});
    if (!to.isEmpty())
        steps.append({to, count});
    // In id order, so two moves between the same two categories lock them in one order.
    std::sort(steps.begin(), steps.end(), [](const Step &a, const Step &b) { return a.id < b.id; });
    for (const Step &step : std::as_const(steps)) {
        auto q = execSql(db,
                         QStringLiteral("UPDATE categories SET product_count = product_count + ? "
                                        "WHERE id = ?"),
                         {counted ? step.delta : qint64(0), step.id});
        if (!q)
            return q.error();
        if (step.id == to && q->numRowsAffected() != 1)
            return Error::validation(QStringLiteral("categoryId"),
                                     QStringLiteral("no such category"));
    }
    return Ok{};
}

Status sellerListed(const QSqlDatabase &db, const QString &sellerId, int delta)
{
    auto q = execSql(
            db,
            QStringLiteral("SELECT category_id, COUNT(*) FROM products WHERE seller_id = ? "
                           "AND deleted_at IS NULL AND category_id IS NOT NULL "
                           "GROUP BY category_id ORDER BY category_id"),
            {sellerId});
    if (!q)
        return q.error();
    QList<std::pair<QString, qint64>> counts;
    while (q->next())
        counts.append({q->value(0).toString(), q->value(1).toLongLong()});
    q->finish();
    for (const auto &[categoryId, n] : std::as_const(counts)) {
        auto u = execSql(db,
                         QStringLiteral("UPDATE categories SET product_count = product_count + ? "
                                        "WHERE id = ?"),
                         {delta * n, categoryId});
        if (!u)
            return u.error();
    }
    return Ok{};
}

Result<QList<CountMismatch>> verifyCounts(const QSqlDatabase &db)
{
    auto q = execSql(db, QStringLiteral("SELECT c.id, c.product_count, (SELECT COUNT(*) FROM "
                                        "products p JOIN users u ON u.id = p.seller_id WHERE "
                                        "p.category_id = c.id AND p.deleted_at IS NULL AND "
                                        "u.suspended_at IS NULL) FROM categories c ORDER BY c.id"));
    if (!q)
        return q.error();
    QList<CountMismatch> out;
    while (q->next()) {
        const qint64 stored = q->value(1).toLongLong();
        const qint64 actual = q->value(2).toLongLong();
        if (stored != actual)
            out.append({q->value(0).toString(), stored, actual});
    }
    return out;
}

} // namespace Mercato::Categories
