#pragma once
// The store's own details (name, contact, logo) that the console edits, kept in store_settings.

#include "database.h"

#include <QByteArray>
#include <QString>

namespace Mercato {

class ImageStore;

struct StoreDetails
{
    QString name;
    QString contactEmail;
    QString description;
    // Read only here: set with setStoreLogo / clearStoreLogo, not by saveStoreDetails.
    QString logoUrl; // empty: no logo
    QString logoKey; // the image store's key of the logo
};

Result<StoreDetails> loadStoreDetails(Database &database);
// Validation (field `name`) when the name is empty or longer than 120 characters.
Status saveStoreDetails(Database &database, const StoreDetails &details);

// Checks the picture (415/422 as for any upload), stores it through `images`, makes it the
// store's logo and removes the one it replaces; returns the new URL.
Result<QString> setStoreLogo(Database &database, ImageStore &images, const QByteArray &bytes,
                             const QString &declaredType = {});
// The store has no logo afterwards; its picture is removed from the image store.
Status clearStoreLogo(Database &database, ImageStore &images);

} // namespace Mercato
