#pragma once
// What the store tells customers and prints on papers, kept in store_settings so every
// process agrees: its name, currency, logo URL, postal address, tax id, invoice and credit-note
// prefixes and the payment instructions of manual payment. The owner changes them.

#include "addresses.h"
#include "database.h"

#include <QJsonObject>

#include <optional>

namespace Mercato {

struct StoreProfile
{
    QString name;     // empty: not set
    QString currency; // empty: the configured one (MERCATO_CURRENCY)
    QString logoUrl;
    std::optional<Address> address;
    QString taxId;
    QString invoicePrefix;
    QString creditNotePrefix;
    QString paymentInstructions; // empty: the default text of manual payment
};

namespace StoreProfiles {

Result<StoreProfile> load(const QSqlDatabase &db);
// The currency new orders are placed in: the owner's choice, else `configured`.
Result<QString> currency(const QSqlDatabase &db, const QString &configured);
// Applies the fields `patch` names (PATCH /owner/store), checked first (422 naming the
// field); a change of currency (from the owner's or else `configuredCurrency`) once the store
// has an order → Conflict.
Result<StoreProfile> update(Database &database, const QJsonObject &patch,
                            const QString &configuredCurrency);

} // namespace StoreProfiles

} // namespace Mercato
