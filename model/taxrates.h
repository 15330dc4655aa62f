#pragma once
// The store's tax rates: one per country and a default, set by the owner. Prices contain the
// tax; an order freezes the rate of its shipping country, else the default. Rates are kept
// exactly as thousandths of a percent (7.7% = 7700).

#include "database.h"

#include <QJsonObject>
#include <QList>

#include <optional>

namespace Mercato {

struct TaxRateTable
{
    std::optional<qint64> defaultMilli;      // none: 0
    QList<std::pair<QString, qint64>> rates; // by country, sorted

    // {defaultRatePercent, rates: [{country, ratePercent}]}
    QJsonObject toJson() const;
    // The rate an order shipped to `country` (empty: none) pays.
    qint64 rateFor(const QString &country) const;
};

namespace TaxRates {

// A percent from 0 to 100 with up to 3 decimals, in thousandths; nullopt otherwise.
std::optional<qint64> milliOf(const QJsonValue &percent);
// PUT /owner/tax-rates' body, checked (422 naming the field, e.g. rates[2].ratePercent).
Result<TaxRateTable> fromJson(const QJsonObject &json);
Result<TaxRateTable> load(const QSqlDatabase &db);
// Replaces the whole table.
Status save(Database &database, const TaxRateTable &table);

} // namespace TaxRates

} // namespace Mercato
