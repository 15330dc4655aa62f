#pragma once
// The store's category tree: owner-managed, at most kMaxDepth levels, slugs unique; and the
// live-product counts kept on it by the transactions that change products and sellers.

#include "database.h"

#include <QList>
#include <QString>

#include <optional>

namespace Mercato::Categories {

constexpr int kMaxDepth = 5;
constexpr int kNameMax = 100;
constexpr int kSlugBaseMax = 80;
constexpr int kIdMax = 100; // longer is no id: a 400 or 422 before any query

struct Category
{
    QString id;
    QString name;
    QString slug;
    QString parentId; // empty: a root
    int depth = 1;    // a root is on level 1
    // Live products (not deleted, seller not suspended) in it and its descendants.
    qint64 productCount = 0;
};

struct Change
{
    std::optional<QString> name;
    std::optional<QString> parentId; // set: a move; an empty string moves it to the root
};

// Lower-case ASCII letters and digits joined by single hyphens ("Crème brûlée!" →
// "creme-brulee"), at most kSlugBaseMax characters; "category" when nothing is left.
QString slugFrom(const QString &name);

// Every category, parents before children (depth first, siblings by name), with the counts of
// their descendants added.
Result<QList<Category>> all(const QSqlDatabase &db);
// One category with its count (NotFound).
Result<Category> get(const QSqlDatabase &db, const QString &id);

// 422 (field parentId) for an unknown parent or a level beyond kMaxDepth. The slug is made
// from the name, with a suffix -2, -3 … while it is taken.
Result<Category> create(Database &database, const QString &name, const QString &parentId);
// A rename makes the slug again. A move under the category itself or one of its descendants
// is a Conflict; an unknown parent or a subtree that would reach below kMaxDepth is 422
// (field parentId). NotFound for an unknown id.
Result<Category> update(Database &database, const QString &id, const Change &change);
// Only an empty category: Conflict while it has children or live products (those of a
// suspended seller included). NotFound for an unknown id.
Status remove(Database &database, const QString &id);

// Inside the caller's write transaction: `count` live products of `sellerId` leave category
// `from` and enter `to` (either may be empty: no category). The counts change unless the
// seller is suspended. 422 (field categoryId) when `to` is not a category.
Status productMoved(const QSqlDatabase &db, const QString &sellerId, const QString &from,
                    const QString &to, qint64 count = 1);
// Inside the caller's write transaction that suspends (delta -1) or reinstates (+1) the
// seller: each category loses or regains the seller's live products in it.
Status sellerListed(const QSqlDatabase &db, const QString &sellerId, int delta);

// A category whose stored count differs from its live products (`mercato-server check`).
struct CountMismatch
{
    QString categoryId;
    qint64 stored = 0;
    qint64 actual = 0;
};
Result<QList<CountMismatch>> verifyCounts(const QSqlDatabase &db);

} // namespace Mercato::Categories
