#pragma once
// Shared by the order and payment tests: users and coins made directly in the database,
// products through the catalog, and clients with minted tokens.

#include "support/testsupport.h"

#include "model/catalog.h"
#include "model/clock.h"
#include "model/coinledger.h"
#include "model/ids.h"

#include <QStandardPaths>
#include <QTest>

namespace Mercato::Test {

inline QString insertUser(Shop &shop, const QString &role, const QString &name = {})
{
    const QString id = Ids::newId();
    const qint64 now = Clock::nowMs();
    const QString email = id + QStringLiteral("@example.test");
    auto q = execSql(
            shop.database().connection(),
            QStringLiteral(
                    "INSERT INTO users (id, email, email_norm, password_hash, display_name, role, "
                    "created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)"),
            {id, email, email,
             name.isEmpty() ? QString(role + QLatin1Char(' ') + id.left(6)) : name, role, now,
             now});
    return q ? id : QString();
}

// Through the catalog (its ledger row `create` and low-stock rule), as a seller would.
inline QString insertProduct(Shop &shop, const QString &sellerId, qint64 priceCents, int stock,
                             const QString &name = {}, int threshold = 0)
{
    NewProduct input;
    input.name = name.isEmpty() ? QStringLiteral("Item ") + Ids::newId().left(6) : name;
    input.priceCents = priceCents;
    input.stock = stock;
    input.lowStockThreshold = threshold;
    auto p = shop.catalog().create(sellerId, input);
    return p ? p->id : QString();
}

inline qint64 scalar(Shop &shop, const QString &sql, const QVariantList &binds = {})
{
    auto q = execSql(shop.database().connection(), sql, binds);
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

inline QString scalarText(Shop &shop, const QString &sql, const QVariantList &binds = {})
{
    auto q = execSql(shop.database().connection(), sql, binds);
    return q && q->next() ? q->value(0).toString() : QString();
}

inline qint64 stockOf(Shop &shop, const QString &productId)
{
    return scalar(shop, QStringLiteral("SELECT stock FROM products WHERE id = ?"), {productId});
}

inline qint64 ledgerSum(Shop &shop, const QString &productId)
{
    return scalar(
            shop,
            QStringLiteral("SELECT COALESCE(SUM(delta), 0) FROM stock_ledger WHERE product_id = ?"),
            {productId});
}

inline qint64 coinsOf(Shop &shop, const QString &userId)
{
    auto b = CoinLedger::balance(shop.database().connection(), userId);
    return b ? b.value() : -1;
}

inline bool grantCoins(Shop &shop, const QString &userId, qint64 coins)
{
    return bool(CoinLedger::append(shop.database().connection(), userId, coins,
                                   QStringLiteral("daily")));
}

inline qint64 notificationCount(Shop &shop, const QString &userId, const QString &kind)
{
    return scalar(
            shop,
            QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?"),
            {userId, kind});
}

inline Client clientFor(TestServer &server, const QString &userId, const QString &role)
{
    Client c = server.client();
    c.setToken(server.shop().tokens().issueAccess(userId, role).token);
    return c;
}

inline QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace Mercato::Test
