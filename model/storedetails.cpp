#include "storedetails.h"

namespace Mercato {

namespace {
const QString kName = QStringLiteral("store.name");
const QString kContact = QStringLiteral("store.contact_email");
const QString kDescription = QStringLiteral("store.description");
} // namespace

Result<StoreDetails> loadStoreDetails(Database &database)
{
    auto q = execSql(
            database.connection(),
            QStringLiteral("SELECT name, value FROM store_settings WHERE name IN (?, ?, ?)"),
            {kName, kContact, kDescription});
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
        auto q = execSql(tx.db(),
                         QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?) "
                                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                         {key, value.isNull() ? QStringLiteral("") : value});
        if (!q)
            return q.error();
    }
    return tx.commit();
}

} // namespace Mercato
