#include "discountcodes.h"

#include "clock.h"
#include "cursor.h"
#include "ids.h"

#include <QDateTime>
#include <QJsonValue>

#include <cmath>

namespace Mercato {

namespace {

constexpr qint64 kMaxAmount = 100'000'000;
constexpr qint64 kMaxMinimum = 100'000'000'000LL;
constexpr qint64 kMaxUses = 1'000'000'000LL;

const QString kField = QStringLiteral("discountCode");

const QString kColumns = QStringLiteral(
        "id, seller_id, code, kind, value, min_subtotal_cents, starts_at, ends_at, max_uses, "
        "once_per_customer, uses, created_at, updated_at");

std::optional<qint64> optionalInt(const QVariant &v)
{
    return v.isNull() ? std::nullopt : std::optional<qint64>(v.toLongLong());
}

DiscountCode fromRow(const QSqlQuery &q)
{
    DiscountCode c;
    c.id = q.value(0).toString();
    c.sellerId = q.value(1).toString();
    c.code = q.value(2).toString();
    c.kind = q.value(3).toString();
    c.value = q.value(4).toLongLong();
    c.minSubtotalCents = q.value(5).toLongLong();
    c.startsAt = optionalInt(q.value(6));
    c.endsAt = optionalInt(q.value(7));
    c.maxUses = optionalInt(q.value(8));
    c.oncePerCustomer = q.value(9).toInt() != 0;
    c.uses = q.value(10).toLongLong();
    c.createdAt = q.value(11).toLongLong();
    c.updatedAt = q.value(12).toLongLong();
    return c;
}

QVariant column(const std::optional<qint64> &v)
{
    return v ? QVariant(*v) : QVariant();
}

std::optional<qint64> integerOf(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || std::abs(d) > 9.0e15)
        return std::nullopt;
    return qint64(d);
}

// An RFC 3339 date-time with a zone (Z or an offset), as epoch milliseconds.
std::optional<qint64> timeOf(const QJsonValue &v)
{
    const QString s = v.toString();
    if (!v.isString() || !s.contains(QLatin1Char('T')))
        return std::nullopt;
    const QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid() || t.timeSpec() == Qt::LocalTime)
        return std::nullopt;
    return t.toMSecsSinceEpoch();
}

bool isUniqueError(const Error &e)
{
    return e.code == ErrorCode::Conflict;
}

Error duplicate(const QString &code)
{
    return Error{ErrorCode::Conflict,
                 QStringLiteral("the store has a discount code %1 already").arg(code),
                 {{QStringLiteral("code"), QStringLiteral("the store has this code already")}}};
}

// Whether another code (not `exceptId`) of the store has this text, deleted ones included.
Result<bool> taken(const QSqlDatabase &db, const QString &code, const QString &exceptId)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT 1 FROM discount_codes WHERE code_norm = ? AND id <> ?"),
                     {code, exceptId});
    if (!q)
        return q.error();
    return q->next();
}

} // namespace

qint64 DiscountCode::amountOff(qint64 sellerCents) const
{
    if (sellerCents <= 0)
        return 0;
    if (isPercent())
        return sellerCents * std::clamp<qint64>(value, 0, 100) / 100;
    return std::clamp<qint64>(value, 0, sellerCents);
}

QJsonObject DiscountCode::toJson() const
{
    auto time = [](const std::optional<qint64> &ms) {
        return ms ? QJsonValue(Clock::toRfc3339(*ms)) : QJsonValue();
    };
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("code"), code},
                       {QStringLiteral("kind"), kind},
                       {QStringLiteral("value"), value},
                       {QStringLiteral("minSubtotalCents"), minSubtotalCents},
                       {QStringLiteral("startsAt"), time(startsAt)},
                       {QStringLiteral("endsAt"), time(endsAt)},
                       {QStringLiteral("maxUses"), maxUses ? QJsonValue(*maxUses) : QJsonValue()},
                       {QStringLiteral("oncePerCustomer"), oncePerCustomer},
                       {QStringLiteral("uses"), uses},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(createdAt)},
                       {QStringLiteral("updatedAt"), Clock::toRfc3339(updatedAt)}};
}

namespace DiscountCodes {

bool isCodeText(const QString &text)
{
    if (text.size() < 3 || text.size() > 32)
        return false;
    for (QChar c : text) {
        const bool ok = (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
                        || (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
                        || (c >= QLatin1Char('0') && c <= QLatin1Char('9'))
                        || c == QLatin1Char('-');
        if (!ok)
            return false;
    }
    return true;
}

Result<DiscountCode> fromJson(const QJsonObject &json, const DiscountCode &base, bool partial)
{
    DiscountCode c = base;
    QList<FieldError> errors;
    auto fail = [&](const QString &field, const QString &message) {
        errors.append({field, message});
    };
    auto present = [&](const QString &key) {
        if (json.contains(key))
            return true;
        if (!partial)
            fail(key, key + QStringLiteral(" is required"));
        return false;
    };
    const QString codeKey = QStringLiteral("code");
    if (present(codeKey)) {
        const QString text = json.value(codeKey).toString();
        if (!json.value(codeKey).isString() || !isCodeText(text))
            fail(codeKey, QStringLiteral("code must be 3 to 32 of A-Z, 0-9 and '-'"));
        else
            c.code = text.toUpper();
    }
    const QString kindKey = QStringLiteral("kind");
    if (present(kindKey)) {
        const QString kind = json.value(kindKey).toString();
        if (kind != QLatin1String("percent") && kind != QLatin1String("amount"))
            fail(kindKey, QStringLiteral("kind must be percent or amount"));
        else
            c.kind = kind;
    }
    const QString valueKey = QStringLiteral("value");
    if (present(valueKey)) {
        const auto v = integerOf(json.value(valueKey));
        if (!v)
            fail(valueKey, QStringLiteral("value must be an integer"));
        else
            c.value = *v;
    }
    // The value is checked against the kind it ends up with (a PATCH may change either).
    if (!errors.isEmpty() && errors.last().field == valueKey) {
    } else if (c.kind == QLatin1String("percent") && (c.value < 1 || c.value > 100)) {
        fail(valueKey, QStringLiteral("a percent code's value is from 1 to 100"));
    } else if (c.kind == QLatin1String("amount") && (c.value < 1 || c.value > kMaxAmount)) {
        fail(valueKey,
             QStringLiteral("an amount code's value is from 1 to %1 cents").arg(kMaxAmount));
    }
    const QString minKey = QStringLiteral("minSubtotalCents");
    if (json.contains(minKey)) {
        const QJsonValue v = json.value(minKey);
        const auto min = integerOf(v);
        if (v.isNull())
            c.minSubtotalCents = 0;
        else if (!min || *min < 0 || *min > kMaxMinimum)
            fail(minKey, QStringLiteral("minSubtotalCents must be an integer of at least 0"));
        else
            c.minSubtotalCents = *min;
    }
    for (const auto &[key, slot] : {std::pair{QStringLiteral("startsAt"), &c.startsAt},
                                    std::pair{QStringLiteral("endsAt"), &c.endsAt}}) {
        if (!json.contains(key))
            continue;
        const QJsonValue v = json.value(key);
        const auto t = timeOf(v);
        if (v.isNull())
            slot->reset();
        else if (!t)
            fail(key, key + QStringLiteral(" must be null or an RFC 3339 date-time"));
        else
            *slot = *t;
    }
    if (c.startsAt && c.endsAt && *c.endsAt <= *c.startsAt)
        fail(QStringLiteral("endsAt"), QStringLiteral("endsAt must be after startsAt"));
    const QString usesKey = QStringLiteral("maxUses");
    if (json.contains(usesKey)) {
        const QJsonValue v = json.value(usesKey);
        const auto n = integerOf(v);
        if (v.isNull())
            c.maxUses.reset();
        else if (!n || *n < 1 || *n > kMaxUses)
            fail(usesKey, QStringLiteral("maxUses must be null or an integer of at least 1"));
        else
            c.maxUses = *n;
    }
    const QString onceKey = QStringLiteral("oncePerCustomer");
    if (json.contains(onceKey)) {
        const QJsonValue v = json.value(onceKey);
        if (!v.isBool())
            fail(onceKey, QStringLiteral("oncePerCustomer must be true or false"));
        else
            c.oncePerCustomer = v.toBool();
    }
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};
    return c;
}

Result<DiscountCodePage> list(const QSqlDatabase &db, const QString &sellerId, int limit,
                              const QString &cursor)
{
    return keysetPage<DiscountCode>(
            db, QStringLiteral("discount-codes:") + sellerId,
            QStringLiteral("SELECT ") + kColumns
                    + QStringLiteral(" FROM discount_codes d WHERE d.seller_id = ? AND "
                                     "d.deleted_at IS NULL"),
            {sellerId}, QStringLiteral("d"), limit, cursor, fromRow);
}

Result<DiscountCode> get(const QSqlDatabase &db, const QString &sellerId, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM discount_codes WHERE id = ? AND seller_id = ? "
                                              "AND deleted_at IS NULL"),
                     {id, sellerId});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such discount code"));
    return fromRow(q.value());
}

Result<DiscountCode> add(Database &database, const QString &sellerId, const DiscountCode &code)
{
    DiscountCode c = code;
    c.id = Ids::newId();
    c.sellerId = sellerId;
    c.uses = 0;
    c.createdAt = c.updatedAt = Clock::nowMs();
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto exists = taken(tx.db(), c.code, c.id);
    if (!exists)
        return exists.error();
    if (exists.value())
        return duplicate(c.code);
    auto q = execSql(tx.db(),
                     QStringLiteral("INSERT INTO discount_codes (id, seller_id, code, code_norm, "
                                    "kind, value, min_subtotal_cents, starts_at, ends_at, "
                                    "max_uses, once_per_customer, uses, created_at, updated_at) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"),
                     {c.id, sellerId, c.code, c.code, c.kind, c.value, c.minSubtotalCents,
                      column(c.startsAt), column(c.endsAt), column(c.maxUses),
                      c.oncePerCustomer ? 1 : 0, c.createdAt, c.updatedAt});
    if (!q) {
        // Two sellers adding one code at once: the unique index decides.
        if (isUniqueError(q.error()))
            return duplicate(c.code);
        return q.error();
    }
    if (auto s = tx.commit(); !s)
        return isUniqueError(s.error()) ? duplicate(c.code) : s.error();
    return c;
}

Result<DiscountCode> update(Database &database, const QString &sellerId, const QString &id,
                            const QJsonObject &patch)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    // The row first: a checkout counting a use waits, so `uses` is the latest.
    auto lock = execSql(tx.db(), QStringLiteral("UPDATE discount_codes SET id = id WHERE id = ?"),
                        {id});
    if (!lock)
        return lock.error();
    auto current = get(tx.db(), sellerId, id);
    if (!current)
        return current.error();
    auto c = fromJson(patch, current.value(), true);
    if (!c)
        return c.error();
    if (c->code != current->code) {
        auto exists = taken(tx.db(), c->code, id);
        if (!exists)
            return exists.error();
        if (exists.value())
            return duplicate(c->code);
    }
    c->updatedAt = Clock::nowMs();
    auto q = execSql(tx.db(),
                     QStringLiteral("UPDATE discount_codes SET code = ?, code_norm = ?, kind = ?, "
                                    "value = ?, min_subtotal_cents = ?, starts_at = ?, ends_at = "
                                    "?, max_uses = ?, once_per_customer = ?, updated_at = ? WHERE "
                                    "id = ?"),
                     {c->code, c->code, c->kind, c->value, c->minSubtotalCents, column(c->startsAt),
                      column(c->endsAt), column(c->maxUses), c->oncePerCustomer ? 1 : 0,
                      c->updatedAt, id});
    if (!q)
        return isUniqueError(q.error()) ? Result<DiscountCode>(duplicate(c->code))
                                        : Result<DiscountCode>(q.error());
    if (auto s = tx.commit(); !s)
        return s.error();
    return c;
}

Status remove(Database &database, const QString &sellerId, const QString &id)
{
    auto q = execSql(database.connection(),
                     QStringLiteral("UPDATE discount_codes SET deleted_at = ?, updated_at = ? "
                                    "WHERE id = ? AND seller_id = ? AND deleted_at IS NULL"),
                     {Clock::nowMs(), Clock::nowMs(), id, sellerId});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such discount code"));
    return Ok{};
}

Result<DiscountCode> forCheckout(const QSqlDatabase &db, Engine engine, const QString &text,
                                 const QString &customerId, qint64 nowMs, bool lock)
{
    if (!isCodeText(text))
        return Error::validation(kField, QStringLiteral("no such discount code"));
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM discount_codes WHERE code_norm = ? AND "
                                              "deleted_at IS NULL")
                             + (lock && engine == Engine::Postgres ? QStringLiteral(" FOR UPDATE")
                                                                   : QString()),
                     {text.toUpper()});
    if (!q)
        return q.error();
    if (!q->next())
        return Error::validation(kField, QStringLiteral("no such discount code"));
    const DiscountCode c = fromRow(q.value());
    q->finish();
    if (c.startsAt && nowMs < *c.startsAt)
        return Error::validation(
                kField,
                QStringLiteral("%1 starts at %2").arg(c.code, Clock::toRfc3339(*c.startsAt)));
    if (c.endsAt && nowMs >= *c.endsAt)
        return Error::validation(kField, QStringLiteral("%1 has ended").arg(c.code));
    if (c.maxUses && c.uses >= *c.maxUses)
        return Error::validation(kField, QStringLiteral("%1 is used up").arg(c.code));
    // An order that holds the use counts (a refunded one too); one cancelled unpaid does not.
    if (c.oncePerCustomer) {
        auto used = execSql(db,
                            QStringLiteral("SELECT 1 FROM orders o WHERE o.discount_code_id = ? "
                                           "AND o.customer_id = ? AND (o.status <> 'cancelled' "
                                           "OR EXISTS (SELECT 1 FROM order_status_history h "
                                           "WHERE h.order_id = o.id AND h.status = 'paid'))"),
                            {c.id, customerId});
        if (!used)
            return used.error();
        if (used->next())
            return Error::validation(kField,
                                     QStringLiteral("you have used %1 already").arg(c.code));
    }
    return c;
}

Status holdUse(const QSqlDatabase &db, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("UPDATE discount_codes SET uses = uses + 1 WHERE id = ? AND "
                                    "(max_uses IS NULL OR uses < max_uses)"),
                     {id});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return Error::validation(kField, QStringLiteral("the discount code is used up"));
    return Ok{};
}

Status releaseUse(const QSqlDatabase &db, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("UPDATE discount_codes SET uses = uses - 1 WHERE id = ? AND "
                                    "uses > 0"),
                     {id});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace DiscountCodes

} // namespace Mercato
