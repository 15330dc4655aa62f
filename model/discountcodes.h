#pragma once
// Sellers' discount codes: percent or amount off the owning seller's lines of an order, with a
// minimum, a window of dates, a cap on uses and once per customer. Checkout holds a use in the
// order's transaction (the code's row locked, as stock is) and a cancelled or expired order
// gives it back.

#include "database.h"
#include "keysetpage.h"

#include <QJsonObject>
#include <QList>

#include <optional>

namespace Mercato {

struct DiscountCode
{
    QString id;
    QString sellerId;
    QString code;     // upper case: codes compare case-insensitively
    QString kind;     // "percent" or "amount"
    qint64 value = 0; // percent 1..100, or cents
    qint64 minSubtotalCents = 0;
    std::optional<qint64> startsAt; // epoch ms
    std::optional<qint64> endsAt;
    std::optional<qint64> maxUses;
    bool oncePerCustomer = false;
    qint64 uses = 0;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    bool isPercent() const { return kind == QLatin1String("percent"); }
    // What the code takes off lines of its seller worth `sellerCents` in all: ⌊total × percent
    // ÷ 100⌋, or the amount capped at the total.
    qint64 amountOff(qint64 sellerCents) const;
    // {id, code, kind, value, minSubtotalCents, startsAt, endsAt, maxUses, oncePerCustomer,
    //  uses, createdAt, updatedAt}
    QJsonObject toJson() const;
};

using DiscountCodePage = KeysetPage<DiscountCode>; // nextCursor empty: last page

namespace DiscountCodes {

// Reads and checks a code: code (3..32 of A-Z, 0-9 and '-', any case), kind, value (percent
// 1..100; amount 1..100,000,000 cents), minSubtotalCents, startsAt/endsAt (RFC 3339 or null;
// endsAt after startsAt), maxUses (null or at least 1), oncePerCustomer. 422 naming the field.
// `base` holds what a partial update keeps.
Result<DiscountCode> fromJson(const QJsonObject &json, const DiscountCode &base = {},
                              bool partial = false);
// True for text of the code's form (3..32 of A-Z, a-z, 0-9 and '-').
bool isCodeText(const QString &text);

// A seller's codes, newest first, keyset-paged.
Result<DiscountCodePage> list(const QSqlDatabase &db, const QString &sellerId, int limit,
                              const QString &cursor);
// One of the seller's codes (NotFound for another seller's or a deleted one).
Result<DiscountCode> get(const QSqlDatabase &db, const QString &sellerId, const QString &id);
// Conflict when another code of the store has the same text.
Result<DiscountCode> add(Database &database, const QString &sellerId, const DiscountCode &code);
Result<DiscountCode> update(Database &database, const QString &sellerId, const QString &id,
                            const QJsonObject &patch);
// Ends the code: no order may use it any more; orders that used it keep showing it.
Status remove(Database &database, const QString &sellerId, const QString &id);

// At checkout, inside the order's transaction: the code named `text`, its row locked until
// the transaction ends (PostgreSQL; SQLite's write lock serialises checkouts), checked for
// being usable now by `customerId`: unknown, not started, ended, used up or already used by
// this customer (oncePerCustomer) → 422 naming discountCode. With `lock` false (the cart's
// preview) it only reads.
Result<DiscountCode> forCheckout(const QSqlDatabase &db, Engine engine, const QString &text,
                                 const QString &customerId, qint64 nowMs, bool lock);
// Counts a use of the code for an order (inside its transaction); 422 when it is used up.
Status holdUse(const QSqlDatabase &db, const QString &id);
// Gives an order's use back (its order was cancelled or expired).
Status releaseUse(const QSqlDatabase &db, const QString &id);

} // namespace DiscountCodes

} // namespace Mercato
