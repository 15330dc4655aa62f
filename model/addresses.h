#pragma once
// Postal addresses: the rules every address follows (ISO 3166-1 country, postal code where the
// country has them, field lengths), and the customer's address book (at most 20, one default).

#include "database.h"

#include <QJsonObject>
#include <QList>

namespace Mercato {

// An ISO 3166-1 alpha-2 code that is officially assigned, in upper case ("DE", not "de").
bool isCountryCode(const QString &code);
// False for countries without a postal code system (AE, HK, QA, JM, BS, FJ, ...).
bool countryHasPostalCodes(const QString &code);

struct Address
{
    QString id; // empty: not in an address book (a copy frozen on an order, the store's own)
    QString name;
    QString line1;
    QString line2;
    QString city;
    QString region;
    QString postalCode;
    QString country;
    QString phone;
    bool isDefault = false;

    // {name, line1, line2, city, region, postalCode, country, phone}; empty optional fields null.
    QJsonObject toJson() const;
};

// Reads and checks an address: name, line1, city and country required, postalCode too where
// the country has postal codes, each field a string of at most 200 characters. Field errors
// are named `prefix` + field ("shippingAddress.country"). `base` holds the values a partial
// update leaves as they are.
Result<Address> addressFromJson(const QJsonObject &json, const QString &prefix = {},
                                const Address &base = {});

namespace AddressBook {

inline constexpr int kMaxAddresses = 20;

// Oldest first.
Result<QList<Address>> list(const QSqlDatabase &db, const QString &userId);
// NotFound also for another user's address.
Result<Address> get(const QSqlDatabase &db, const QString &userId, const QString &id);
// The first address is the default, as is one added with makeDefault; the 21st → Conflict.
Result<Address> add(Database &database, const QString &userId, const Address &address,
                    bool makeDefault);
// The fields `patch` names change (validated as a whole); isDefault true makes it the default
// (false on the default is ignored: one address always is the default).
Result<Address> update(Database &database, const QString &userId, const QString &id,
                       const QJsonObject &patch);
// Removing the default makes the newest remaining address the default.
Status remove(Database &database, const QString &userId, const QString &id);

} // namespace AddressBook

} // namespace Mercato
