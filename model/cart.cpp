#include "cart.h"

#include "catalog.h"
#include "clock.h"

namespace Mercato {

Result<Cart> CartService::cart(const QString &userId)
{
    auto q = execSql(
            m_database.connection(),
            QStringLiteral("SELECT c.product_id, p.name, p.price_cents, c.quantity, p.stock, "
                           "COALESCE(p.deleted_at, s.suspended_at), p.seller_id FROM cart_items c "
                           "JOIN products p ON p.id = c.product_id "
                           "JOIN users s ON s.id = p.seller_id "
                           "WHERE c.user_id = ? ORDER BY c.added_at, c.product_id"),
            {userId});
    if (!q)
        return q.error();
    Cart cart;
    while (q->next()) {
        CartLine line;
        line.productId = q->value(0).toString();
        line.name = q->value(1).toString();
        line.unitPriceCents = q->value(2).toLongLong();
        line.quantity = q->value(3).toInt();
        line.lineTotalCents = line.unitPriceCents * line.quantity;
        line.available = q->value(5).isNull() && q->value(4).toInt() >= line.quantity;
        line.sellerId = q->value(6).toString();
        if (line.available)
            cart.subtotalCents += line.lineTotalCents;
        cart.items.append(line);
    }
    return cart;
}

Result<Cart> CartService::setQuantity(const QString &userId, const QString &productId, int quantity)
{
    if (quantity < 1 || quantity > kMaxQuantity)
        return Error::validation(QStringLiteral("quantity"),
                                 QStringLiteral("quantity must be between 1 and 99"));
    {
        QSqlDatabase db = m_database.connection();
        Transaction tx(m_database);
        if (auto s = tx.begin(); !s)
            return s.error();
        // A live product of the catalog (deleted, unknown or its seller suspended: NotFound).
        if (auto p = m_catalog.get(productId); !p)
            return p.error();
        auto u = execSql(
                db,
                QStringLiteral(
                        "UPDATE cart_items SET quantity = ? WHERE user_id = ? AND product_id = ?"),
                {quantity, userId, productId});
        if (!u)
            return u.error();
        if (u->numRowsAffected() == 0) {
            auto i = execSql(
                    db,
                    QStringLiteral(
                            "INSERT INTO cart_items (user_id, product_id, quantity, added_at) "
                            "VALUES (?, ?, ?, ?)"),
                    {userId, productId, quantity, Clock::nowMs()});
            if (!i)
                return i.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return cart(userId);
}

Result<Cart> CartService::removeItem(const QString &userId, const QString &productId)
{
    auto q = execSql(m_database.connection(),
                     QStringLiteral("DELETE FROM cart_items WHERE user_id = ? AND product_id = ?"),
                     {userId, productId});
    if (!q)
        return q.error();
    return cart(userId);
}

Result<Cart> CartService::clear(const QString &userId)
{
    auto q = execSql(m_database.connection(),
                     QStringLiteral("DELETE FROM cart_items WHERE user_id = ?"), {userId});
    if (!q)
        return q.error();
    return cart(userId);
}

} // namespace Mercato
