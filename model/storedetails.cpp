#include "storedetails.h"

#include "imagestore.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcStoreDetails, "mercato.store")

namespace Mercato {

namespace {
const QString kName = QStringLiteral("store.name");
const QString kContact = QStringLiteral("store.contact_email");
const QString kDescription = QStringLiteral("store.description");
const QString kLogoUrl = QStringLiteral("store.logo_url");
const QString kLogoKey = QStringLiteral("store.logo_key");

Status upsert(QSqlDatabase db, const QString &key, const QString &value)
{
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?) "
                                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                     {key, value.isNull() ? QStringLiteral("") : value});
    if (!q)
        return q.error();
    return Ok{};
}

// Points the store at `key`/`url` (empty: no logo); returns the key it replaced. A
// compare-and-set on the old key, so of two concurrent uploads none leaves an orphan.
Result<QString> swapLogo(Database &database, const QString &key, const QString &url)
{
    for (int attempt = 0; attempt < 5; ++attempt) {
        Transaction tx(database);
        if (auto s = tx.begin(); !s)
            return s.error();
        auto seed
                = execSql(tx.db(),
                          QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, '') "
                                         "ON CONFLICT (name) DO NOTHING"),
                          {kLogoKey});
        if (!seed)
            return seed.error();
        auto current = execSql(tx.db(),
                               QStringLiteral("SELECT value FROM store_settings WHERE name = ?"),
                               {kLogoKey});
        if (!current)
            return current.error();
        const QString old = current->next() ? current->value(0).toString() : QString();
        auto q = execSql(tx.db(),
                         QStringLiteral("UPDATE store_settings SET value = ? "
                                        "WHERE name = ? AND value = ?"),
                         {key.isNull() ? QStringLiteral("") : key, kLogoKey,
                          old.isNull() ? QStringLiteral("") : old});
        if (!q)
            return q.error();
        if (q->numRowsAffected() != 1)
            continue; // changed meanwhile: read again
        if (auto s = upsert(tx.db(), kLogoUrl, url); !s)
            return s.error();
        if (auto s = tx.commit(); !s)
            return s.error();
        return old;
    }
    return makeError(ErrorCode::Conflict, QStringLiteral("the logo changed meanwhile; try again"));
}

void removeQuietly(ImageStore &images, const QString &key)
{
    if (key.isEmpty())
        return;
    if (auto s = images.remove(key); !s)
        qCWarning(lcStoreDetails).noquote() << "could not remove the old logo:" << s.error().detail;
}

} // namespace

Result<StoreDetails> loadStoreDetails(Database &database)
{
    auto q = execSql(database.connection(),
                     QStringLiteral("SELECT name, value FROM store_settings "
                                    "WHERE name IN (?, ?, ?, ?, ?)"),
                     {kName, kContact, kDescription, kLogoUrl, kLogoKey});
    if (!q)
        return q.error();
    StoreDetails out;
    while (q->next()) {
        const QString key = q->value(0).toString();
        const QString value = q->value(1).toString();
        if (key == kName)
            out.name = value;
        else if (key == kContact)
            out.contactEmail = value;
        else if (key == kDescription)
            out.description = value;
        else if (key == kLogoUrl)
            out.logoUrl = value;
        else if (key == kLogoKey)
            out.logoKey = value;
    }
    return out;
}

Status saveStoreDetails(Database &database, const StoreDetails &details)
{
    const QString name = details.name.trimmed();
    if (name.isEmpty())
        return Error::validation(QStringLiteral("name"), QStringLiteral("the store needs a name"));
    if (name.size() > 120)
        return Error::validation(QStringLiteral("name"),
                                 QStringLiteral("the name is longer than 120 characters"));
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s;
    const QList<QPair<QString, QString>> values{{kName, name},
                                                {kContact, details.contactEmail.trimmed()},
                                                {kDescription, details.description.trimmed()}};
    for (const auto &[key, value] : values) {
        if (auto s = upsert(tx.db(), key, value); !s)
            return s;
    }
    return tx.commit();
}

Result<QString> setStoreLogo(Database &database, ImageStore &images, const QByteArray &bytes,
                             const QString &declaredType)
{
    auto type = checkImage(bytes, declaredType);
    if (!type)
        return type.error();
    auto clean = stripMetadata(bytes, type.value()); // no camera or GPS data is kept
    if (!clean)
        return clean.error();
    auto stored = images.store(clean.value(), type.value());
    if (!stored)
        return stored.error();
    auto old = swapLogo(database, stored->key, stored->url);
    if (!old) {
        removeQuietly(images, stored->key);
        return old.error();
    }
    removeQuietly(images, old.value());
    return stored->url;
}

Status clearStoreLogo(Database &database, ImageStore &images)
{
    auto old = swapLogo(database, {}, {});
    if (!old)
        return old.error();
    removeQuietly(images, old.value());
    return Ok{};
}

} // namespace Mercato
