#include "shippingoptions.h"

#include "addresses.h"
#include "clock.h"
#include "ids.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace Mercato {

namespace {

constexpr qint64 kMaxPrice = 100'000'000;
constexpr qint64 kMaxThreshold = 100'000'000'000LL;

const QString kColumns
        = QStringLiteral("id, name, price_cents, free_over_cents, countries, min_days, max_days");

ShippingOption fromRow(const QSqlQuery &q)
{
    ShippingOption o;
    o.id = q.value(0).toString();
    o.name = q.value(1).toString();
    o.priceCents = q.value(2).toLongLong();
    if (!q.value(3).isNull())
        o.freeOverCents = q.value(3).toLongLong();
    if (!q.value(4).isNull())
        o.countries = q.value(4).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!q.value(5).isNull() && !q.value(6).isNull())
        o.estimatedDays = std::pair{q.value(5).toInt(), q.value(6).toInt()};
    return o;
}

QVariant countriesColumn(const ShippingOption &o)
{
    if (!o.countries)
        return QVariant();
    return QString(QLatin1Char(',') + o.countries->join(QLatin1Char(',')) + QLatin1Char(','));
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

} // namespace

bool ShippingOption::shipsTo(const QString &country) const
{
    return !countries || countries->contains(country);
}

QJsonObject ShippingOption::toJson() const
{
    QJsonValue list;
    if (countries)
        list = QJsonArray::fromStringList(*countries);
    QJsonValue days;
    if (estimatedDays)
        days = QJsonObject{{QStringLiteral("min"), estimatedDays->first},
                           {QStringLiteral("max"), estimatedDays->second}};
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("priceCents"), priceCents},
                       {QStringLiteral("freeOverCents"),
                        freeOverCents ? QJsonValue(*freeOverCents) : QJsonValue()},
                       {QStringLiteral("countries"), list},
                       {QStringLiteral("estimatedDays"), days}};
}

namespace ShippingOptions {

Result<ShippingOption> fromJson(const QJsonObject &json, const ShippingOption &base, bool partial)
{
    ShippingOption o = base;
    QList<FieldError> errors;
    auto fail = [&](const QString &field, const QString &message) {
        errors.append({field, message});
    };
    const QString nameKey = QStringLiteral("name");
    if (json.contains(nameKey)) {
        const QJsonValue v = json.value(nameKey);
        const QString name = v.toString().trimmed();
        if (!v.isString() || name.isEmpty() || name.size() > 200)
            fail(nameKey, QStringLiteral("name must be a string of 1 to 200 characters"));
        else
            o.name = name;
    } else if (!partial) {
        fail(nameKey, QStringLiteral("name is required"));
    }
    const QString priceKey = QStringLiteral("priceCents");
    if (json.contains(priceKey)) {
        const auto price = integerOf(json.value(priceKey));
        if (!price || *price < 0 || *price > kMaxPrice)
            fail(priceKey,
                 QStringLiteral("priceCents must be an integer from 0 to %1").arg(kMaxPrice));
        else
            o.priceCents = *price;
    } else if (!partial) {
        fail(priceKey, QStringLiteral("priceCents is required"));
    }
    const QString freeKey = QStringLiteral("freeOverCents");
    if (json.contains(freeKey)) {
        const QJsonValue v = json.value(freeKey);
        const auto amount = integerOf(v);
        if (v.isNull())
            o.freeOverCents.reset();
        else if (!amount || *amount < 0 || *amount > kMaxThreshold)
            fail(freeKey, QStringLiteral("freeOverCents must be null or an integer of at least 0"));
        else
            o.freeOverCents = *amount;
    }
    const QString countriesKey = QStringLiteral("countries");
    if (json.contains(countriesKey)) {
        const QJsonValue v = json.value(countriesKey);
        if (v.isNull()) {
            o.countries.reset();
        } else if (!v.isArray() || v.toArray().isEmpty()) {
            fail(countriesKey, QStringLiteral("countries must be null (everywhere) or a non-empty "
                                              "list of ISO 3166-1 alpha-2 codes"));
        } else {
            QStringList codes;
            const QJsonArray array = v.toArray();
            for (qsizetype i = 0; i < array.size(); ++i) {
                const QString code = array.at(i).toString();
                if (!array.at(i).isString() || !isCountryCode(code)) {
                    fail(QStringLiteral("countries[%1]").arg(i),
                         QStringLiteral("countries must be assigned ISO 3166-1 alpha-2 codes in "
                                        "upper case, such as DE or US"));
                    break;
                }
                if (!codes.contains(code))
                    codes.append(code);
            }
            std::sort(codes.begin(), codes.end());
            o.countries = codes;
        }
    }
    const QString daysKey = QStringLiteral("estimatedDays");
    if (json.contains(daysKey)) {
        const QJsonValue v = json.value(daysKey);
        if (v.isNull()) {
            o.estimatedDays.reset();
        } else {
            const QJsonObject days = v.toObject();
            const auto min = integerOf(days.value(QStringLiteral("min")));
            const auto max = integerOf(days.value(QStringLiteral("max")));
            if (!v.isObject() || !min || !max || *min < 0 || *max > 365 || *min > *max)
                fail(daysKey, QStringLiteral("estimatedDays must be null or {min, max} with 0 <= "
                                             "min <= max <= 365"));
            else
                o.estimatedDays = std::pair{int(*min), int(*max)};
        }
    }
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};
    return o;
}

Result<QList<ShippingOption>> list(const QSqlDatabase &db, const QString &country)
{
    QString sql = QStringLiteral("SELECT ") + kColumns + QStringLiteral(" FROM shipping_options");
    QVariantList binds;
    if (!country.isEmpty()) {
        sql += QStringLiteral(" WHERE countries IS NULL OR countries LIKE ?");
        binds << QString(QStringLiteral("%,") + country + QStringLiteral(",%"));
    }
    sql += QStringLiteral(" ORDER BY created_at, id");
    auto q = execSql(db, sql, binds);
    if (!q)
        return q.error();
    QList<ShippingOption> out;
    while (q->next())
        out.append(fromRow(q.value()));
    return out;
}

Result<ShippingOption> get(const QSqlDatabase &db, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM shipping_options WHERE id = ?"),
                     {id});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such shipping option"));
    return fromRow(q.value());
}

Result<bool> any(const QSqlDatabase &db)
{
    auto q = execSql(db, QStringLiteral("SELECT 1 FROM shipping_options LIMIT 1"));
    if (!q)
        return q.error();
    return q->next();
}

Result<std::optional<QStringList>> shipsTo(const QSqlDatabase &db)
{
    auto all = list(db);
    if (!all)
        return all.error();
    if (all->isEmpty())
        return std::optional<QStringList>{};
    QSet<QString> codes;
    for (const ShippingOption &o : std::as_const(all.value())) {
        if (!o.countries)
            return std::optional<QStringList>{};
        for (const QString &c : *o.countries)
            codes.insert(c);
    }
    QStringList out(codes.begin(), codes.end());
    std::sort(out.begin(), out.end());
    return std::optional<QStringList>{out};
}

Result<ShippingOption> add(Database &database, const ShippingOption &option)
{
    ShippingOption o = option;
    o.id = Ids::newId();
    const qint64 now = Clock::nowMs();
    auto q = execSql(database.connection(),
                     QStringLiteral("INSERT INTO shipping_options (id, name, price_cents, "
                                    "free_over_cents, countries, min_days, max_days, created_at, "
                                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                     {o.id, o.name, o.priceCents,
                      o.freeOverCents ? QVariant(*o.freeOverCents) : QVariant(), countriesColumn(o),
                      o.estimatedDays ? QVariant(o.estimatedDays->first) : QVariant(),
                      o.estimatedDays ? QVariant(o.estimatedDays->second) : QVariant(), now, now});
    if (!q)
        return q.error();
    return o;
}

Result<ShippingOption> update(Database &database, const QString &id, const QJsonObject &patch)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto current = get(tx.db(), id);
    if (!current)
        return current.error();
    auto o = fromJson(patch, current.value(), true);
    if (!o)
        return o.error();
    auto q = execSql(tx.db(),
                     QStringLiteral("UPDATE shipping_options SET name = ?, price_cents = ?, "
                                    "free_over_cents = ?, countries = ?, min_days = ?, max_days "
                                    "= ?, updated_at = ? WHERE id = ?"),
                     {o->name, o->priceCents,
                      o->freeOverCents ? QVariant(*o->freeOverCents) : QVariant(),
                      countriesColumn(o.value()),
                      o->estimatedDays ? QVariant(o->estimatedDays->first) : QVariant(),
                      o->estimatedDays ? QVariant(o->estimatedDays->second) : QVariant(),
                      Clock::nowMs(), id});
    if (!q)
        return q.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    return o;
}

Status remove(Database &database, const QString &id)
{
    auto q = execSql(database.connection(),
                     QStringLiteral("DELETE FROM shipping_options WHERE id = ?"), {id});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such shipping option"));
    return Ok{};
}

} // namespace ShippingOptions

} // namespace Mercato
