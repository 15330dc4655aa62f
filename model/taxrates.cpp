#include "taxrates.h"

#include "addresses.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace Mercato {

namespace {

const QString kDefaultSetting = QStringLiteral("tax.default_rate_milli");

QJsonValue percentJson(qint64 milli)
{
    // Exact for up to 3 decimals: the shortest double that reads back as milli / 1000.
    return QJsonValue(double(milli) / 1000.0);
}

} // namespace

QJsonObject TaxRateTable::toJson() const
{
    QJsonArray list;
    for (const auto &[country, milli] : rates)
        list.append(QJsonObject{{QStringLiteral("country"), country},
                                {QStringLiteral("ratePercent"), percentJson(milli)}});
    return QJsonObject{{QStringLiteral("defaultRatePercent"),
                        defaultMilli ? percentJson(*defaultMilli) : QJsonValue()},
                       {QStringLiteral("rates"), list}};
}

qint64 TaxRateTable::rateFor(const QString &country) const
{
    for (const auto &[c, milli] : rates) {
        if (c == country)
            return milli;
    }
    return defaultMilli.value_or(0);
}

namespace TaxRates {

std::optional<qint64> milliOf(const QJsonValue &percent)
{
    if (!percent.isDouble())
        return std::nullopt;
    const double scaled = percent.toDouble() * 1000.0;
    const double rounded = std::round(scaled);
    if (!std::isfinite(scaled) || std::abs(scaled - rounded) > 1e-6 || rounded < 0
        || rounded > 100'000)
        return std::nullopt;
    return qint64(rounded);
}

Result<TaxRateTable> fromJson(const QJsonObject &json)
{
    TaxRateTable t;
    QList<FieldError> errors;
    const QString message
            = QStringLiteral("a rate is a percent from 0 to 100 with at most 3 decimals");
    const QString defaultKey = QStringLiteral("defaultRatePercent");
    const QJsonValue d = json.value(defaultKey);
    if (!d.isNull() && !d.isUndefined()) {
        if (auto milli = milliOf(d))
            t.defaultMilli = *milli;
        else
            errors.append({defaultKey, message});
    }
    const QJsonValue list = json.value(QStringLiteral("rates"));
    if (!list.isUndefined() && !list.isNull() && !list.isArray()) {
        errors.append({QStringLiteral("rates"),
                       QStringLiteral("rates must be a list of {country, ratePercent}")});
    } else {
        const QJsonArray array = list.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QString at = QStringLiteral("rates[%1].").arg(i);
            const QJsonObject r = array.at(i).toObject();
            const QString country = r.value(QStringLiteral("country")).toString();
            if (!array.at(i).isObject() || !isCountryCode(country)) {
                errors.append({at + QStringLiteral("country"),
                               QStringLiteral("country must be an assigned ISO 3166-1 alpha-2 "
                                              "code in upper case")});
                continue;
            }
            const bool twice = std::any_of(t.rates.cbegin(), t.rates.cend(),
                                           [&](const auto &p) { return p.first == country; });
            if (twice) {
                errors.append({at + QStringLiteral("country"),
                               QStringLiteral("%1 has a rate already").arg(country)});
                continue;
            }
            const auto milli = milliOf(r.value(QStringLiteral("ratePercent")));
            if (!milli) {
                errors.append({at + QStringLiteral("ratePercent"), message});
                continue;
            }
            t.rates.append({country, *milli});
        }
    }
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};
    std::sort(t.rates.begin(), t.rates.end());
    return t;
}

Result<TaxRateTable> load(const QSqlDatabase &db)
{
    TaxRateTable t;
    auto q = execSql(db, QStringLiteral("SELECT country, rate_milli FROM tax_rates ORDER BY "
                                        "country"));
    if (!q)
        return q.error();
    while (q->next())
        t.rates.append({q->value(0).toString(), q->value(1).toLongLong()});
    auto d = execSql(db, QStringLiteral("SELECT value FROM store_settings WHERE name = ?"),
                     {kDefaultSetting});
    if (!d)
        return d.error();
    if (d->next())
        t.defaultMilli = d->value(0).toLongLong();
    return t;
}

Status save(Database &database, const TaxRateTable &table)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s;
    const QSqlDatabase db = tx.db();
    if (auto q = execSql(db, QStringLiteral("DELETE FROM tax_rates")); !q)
        return q.error();
    for (const auto &[country, milli] : table.rates) {
        if (auto q = execSql(db,
                             QStringLiteral("INSERT INTO tax_rates (country, rate_milli) VALUES "
                                            "(?, ?)"),
                             {country, milli});
            !q)
            return q.error();
    }
    if (auto q = execSql(db, QStringLiteral("DELETE FROM store_settings WHERE name = ?"),
                         {kDefaultSetting});
        !q)
        return q.error();
    if (table.defaultMilli) {
        if (auto q = execSql(db,
                             QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, "
                                            "?)"),
                             {kDefaultSetting, QString::number(*table.defaultMilli)});
            !q)
            return q.error();
    }
    return tx.commit();
}

} // namespace TaxRates

} // namespace Mercato
