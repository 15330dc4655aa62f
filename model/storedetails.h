#pragma once
// The store's own details (name, contact) that the console edits, kept in store_settings.

#include "database.h"

#include <QString>

namespace Mercato {

struct StoreDetails
{
    QString name;
    QString contactEmail;
    QString description;
};

Result<StoreDetails> loadStoreDetails(Database &database);
// Validation (field `name`) when the name is empty or longer than 120 characters.
Status saveStoreDetails(Database &database, const StoreDetails &details);

} // namespace Mercato
