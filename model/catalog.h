#pragma once
// The catalog: sellers' products with images, full-text search and keyset-paged lists.
// Stock changes go through Inventory (model/inventory.h) so the ledger stays whole.

#include "database.h"
#include "imagestore.h"
#include "inventory.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace Mercato {

class Shop;

struct ProductImage
{
    QString id;
    QString url;
    QString storeKey;
    int position = 0;
};

struct Product
{
    QString id;
    QString sellerId;
    QString sellerName;
    QString name;
    QString description;
    qint64 priceCents = 0;
    qint64 stock = 0;
    qint64 lowStockThreshold = 0;
    qint64 version = 0;
    qint64 ratingSum = 0;
    qint64 ratingCount = 0;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    QString categoryId; // empty: in no category
    QList<ProductImage> images;

    bool inStock() const { return stock > 0; }
    bool lowStock() const { return stock <= lowStockThreshold; }
    // Strong validator: changes with every change of the product (its version, stock, rating,
    // images or any field), so a stale If-Match is refused.
    QString etag() const;
};

// Limits of product fields (also used by the API's validation).
namespace ProductLimits {
constexpr int kNameMax = 200;
constexpr int kDescriptionMax = 20000;
constexpr qint64 kPriceMin = 1;
constexpr qint64 kPriceMax = 100000000;
constexpr qint64 kStockMax = 1000000;
constexpr qint64 kThresholdMax = kStockMax;
constexpr int kImagesMax = 10;
} // namespace ProductLimits

struct NewProduct
{
    QString name;
    QString description;
    qint64 priceCents = 0;
    qint64 stock = 0;
    std::optional<qint64> lowStockThreshold; // empty: the store's default
    QString categoryId;                      // empty: in no category
};

// One product of a bulk import (demo data, benchmark seeding): trusted input, already
// checked by its maker; its pictures are already in the ImageStore.
struct ImportedProduct
{
    NewProduct product;
    QList<StoredImage> images;
    qint64 createdAt = 0; // 0: now
};

struct ProductChanges
{
    std::optional<QString> name;
    std::optional<QString> description;
    std::optional<qint64> priceCents;
    std::optional<qint64> stock; // an absolute value: recorded as an adjustment
    std::optional<qint64> lowStockThreshold;
    std::optional<QString> categoryId; // an empty string takes it out of its category
};

enum class ProductSort { Relevance, Newest, Price, PriceDesc, Rating };

struct ProductQuery
{
    QString text; // full-text query (may be empty)
    QString sellerId;
    std::optional<qint64> minPriceCents;
    std::optional<qint64> maxPriceCents;
    std::optional<bool> inStock;
    QString categoryId;              // that category and its descendants (an unknown one: nothing)
    std::optional<ProductSort> sort; // empty: relevance with text, else newest
    int limit = 20;
    QString cursor;
};

struct ProductPage
{
    QList<Product> items;
    QString nextCursor; // empty: last page
};

struct InventoryQuery
{
    QString sellerId;
    bool lowStockOnly = false;
    int limit = 20;
    QString cursor;
};

class Catalog
{
public:
    explicit Catalog(Shop &shop)
        : m_shop(shop)
    {}

    // A live product (deleted ones, and those of a suspended seller, are NotFound).
    Result<Product> get(const QString &id);
    Result<Product> create(const QString &sellerId, const NewProduct &input);
    // Owner only (another seller: NotFound). `ifMatch` (may be empty) must equal the current
    // ETag (PreconditionFailed otherwise).
    Result<Product> update(const QString &sellerId, const QString &id,
                           const ProductChanges &changes, const QString &ifMatch);
    // Soft delete: hidden from the catalog, kept for orders; its images are removed.
    Status remove(const QString &sellerId, const QString &id, const QString &ifMatch);
    Result<Product> adjustStock(const QString &sellerId, const QString &id, qint64 delta,
                                const QString &reason);
    // Creates many products of one seller in ONE transaction, each with its `create` ledger row
    // and the low-stock rule applied (stock.low notifications announced after the commit).
    // Returns the new ids in input order. For demo data and benchmark seeding.
    Result<QStringList> importProducts(const QString &sellerId,
                                       const QList<ImportedProduct> &items);
    Result<ProductPage> list(const ProductQuery &query);
    Result<ProductPage> inventory(const InventoryQuery &query);

    // Images: bytes checked by checkImage; at most ProductLimits::kImagesMax (Conflict beyond).
    // A cancelled `cancel` (the console's Cancel) stops the upload; whatever was stored by
    // then is deleted and no row is written.
    Result<ProductImage> addImage(const QString &sellerId, const QString &productId,
                                  const QByteArray &bytes, const QString &declaredType,
                                  const CancelToken &cancel = {});
    Status removeImage(const QString &sellerId, const QString &productId, const QString &imageId);
    // Retries stored-file deletions that failed (media_deletions); returns how many are done.
    int retryMediaDeletions(int max = 20);

    // The words a full-text query searches for (letters and digits only, lower case).
    static QStringList searchWords(const QString &text);

private:
    Result<Product> load(const QSqlDatabase &db, const QString &id, bool includeDeleted);
    Status loadImages(const QSqlDatabase &db, QList<Product> &products);
    Result<Product> owned(const QSqlDatabase &db, const QString &sellerId, const QString &id);
    void deleteStoredImages(const QStringList &keys);

    Shop &m_shop;
};

} // namespace Mercato
