#pragma once
// A customer's cart: persisted lines of product and quantity (1..99). Lines of products that
// were deleted or sold out stay, shown as unavailable, until the customer removes them.

#include "database.h"

#include <QList>

namespace Mercato {

class Catalog;

struct CartLine
{
    QString productId;
    QString sellerId;
    QString name;
    qint64 unitPriceCents = 0;
    int quantity = 0;
    qint64 lineTotalCents = 0;
    bool available = false; // not deleted and enough stock for the quantity
};

struct Cart
{
    QList<CartLine> items;
    qint64 subtotalCents = 0; // of the available lines
};

class CartService
{
public:
    static constexpr int kMaxQuantity = 99;

    CartService(Database &database, Catalog &catalog)
        : m_database(database)
        , m_catalog(catalog)
    {}

    Result<Cart> cart(const QString &userId);
    // Sets a line's quantity (1..99); NotFound for an unknown or deleted product.
    Result<Cart> setQuantity(const QString &userId, const QString &productId, int quantity);
    Result<Cart> removeItem(const QString &userId, const QString &productId);
    Result<Cart> clear(const QString &userId);

private:
    Database &m_database;
    Catalog &m_catalog;
};

} // namespace Mercato
