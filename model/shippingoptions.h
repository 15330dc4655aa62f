#pragma once
// The store's shipping options: a name, a price, a free-over threshold, the countries they
// ship to (none named: everywhere) and an estimate of the days in transit. The owner keeps
// them; a store with none takes orders without shipping.

#include "database.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <optional>

namespace Mercato {

struct ShippingOption
{
    QString id;
    QString name;
    qint64 priceCents = 0;
    std::optional<qint64> freeOverCents;
    std::optional<QStringList> countries; // nullopt: ships everywhere
    std::optional<std::pair<int, int>> estimatedDays;

    bool shipsTo(const QString &country) const;
    // {id, name, priceCents, freeOverCents, countries, estimatedDays: {min, max} or null}
    QJsonObject toJson() const;
};

namespace ShippingOptions {

// Reads and checks an option: name (1..200), priceCents (0..100,000,000), freeOverCents
// (null or 0..), countries (null or a non-empty list of assigned codes), estimatedDays (null
// or {min, max} with 0 <= min <= max <= 365). `base` holds what a partial update keeps.
Result<ShippingOption> fromJson(const QJsonObject &json, const ShippingOption &base = {},
                                bool partial = false);

// Oldest first; with `country`, only those that ship there.
Result<QList<ShippingOption>> list(const QSqlDatabase &db, const QString &country = {});
Result<ShippingOption> get(const QSqlDatabase &db, const QString &id);
Result<bool> any(const QSqlDatabase &db);
// The countries some option ships to, sorted; nullopt when one ships everywhere or none exists.
Result<std::optional<QStringList>> shipsTo(const QSqlDatabase &db);

Result<ShippingOption> add(Database &database, const ShippingOption &option);
Result<ShippingOption> update(Database &database, const QString &id, const QJsonObject &patch);
// Orders keep their own copy of the option they chose.
Status remove(Database &database, const QString &id);

} // namespace ShippingOptions

} // namespace Mercato
