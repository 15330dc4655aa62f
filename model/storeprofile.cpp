#include "storeprofile.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QUrl>

namespace Mercato {

namespace {

// The same keys as the console's store details (storedetails.cpp) where they overlap.
const QString kName = QStringLiteral("store.name");
const QString kCurrency = QStringLiteral("store.currency");
const QString kLogoUrl = QStringLiteral("store.logo_url");
const QString kAddress = QStringLiteral("store.address");
const QString kTaxId = QStringLiteral("store.tax_id");
const QString kInvoicePrefix = QStringLiteral("store.invoice_prefix");
const QString kCreditNotePrefix = QStringLiteral("store.credit_note_prefix");
const QString kPaymentInstructions = QStringLiteral("store.payment_instructions");

Status put(const QSqlDatabase &db, const QString &key, const QString &value)
{
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO store_settings (name, value) VALUES (?, ?) "
                                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                     {key, value.isNull() ? QStringLiteral("") : value});
    if (!q)
        return q.error();
    return Ok{};
}

// A string field of the patch: null clears it; other JSON types and over-long text are errors.
std::optional<QString> text(const QJsonObject &patch, const QString &field, int maxLen,
                            QList<FieldError> &errors)
{
    const QJsonValue v = patch.value(field);
    if (v.isNull())
        return QString();
    if (!v.isString()) {
        errors.append({field, field + QStringLiteral(" must be a string or null")});
        return std::nullopt;
    }
    const QString s = v.toString().trimmed();
    if (s.size() > maxLen) {
        errors.append(
                {field, QStringLiteral("%1 is longer than %2 characters").arg(field).arg(maxLen)});
        return std::nullopt;
    }
    return s;
}

} // namespace

Result<StoreProfile> StoreProfiles::load(const QSqlDatabase &db)
{
    auto q = execSql(db, QStringLiteral("SELECT name, value FROM store_settings WHERE name LIKE "
                                        "'store.%'"));
    if (!q)
        return q.error();
    StoreProfile p;
    while (q->next()) {
        const QString key = q->value(0).toString();
        const QString value = q->value(1).toString();
        if (key == kName)
            p.name = value;
        else if (key == kCurrency)
            p.currency = value;
        else if (key == kLogoUrl)
            p.logoUrl = value;
        else if (key == kTaxId)
            p.taxId = value;
        else if (key == kInvoicePrefix)
            p.invoicePrefix = value;
        else if (key == kCreditNotePrefix)
            p.creditNotePrefix = value;
        else if (key == kPaymentInstructions)
            p.paymentInstructions = value;
        else if (key == kAddress && !value.isEmpty()) {
            auto a = addressFromJson(QJsonDocument::fromJson(value.toUtf8()).object());
            if (a)
                p.address = a.value();
        }
    }
    return p;
}

Result<QString> StoreProfiles::currency(const QSqlDatabase &db, const QString &configured)
{
    auto q = execSql(db, QStringLiteral("SELECT value FROM store_settings WHERE name = ?"),
                     {kCurrency});
    if (!q)
        return q.error();
    const QString chosen = q->next() ? q->value(0).toString() : QString();
    return chosen.isEmpty() ? configured : chosen;
}

Result<StoreProfile> StoreProfiles::update(Database &database, const QJsonObject &patch,
                                           const QString &configuredCurrency)
{
    QList<FieldError> errors;
    QList<std::pair<QString, QString>> writes;
    auto field = [&](const QString &json, const QString &key, int maxLen) {
        if (!patch.contains(json))
            return;
        if (auto v = text(patch, json, maxLen, errors))
            writes.append({key, *v});
    };
    if (patch.contains(QStringLiteral("name"))) {
        auto v = text(patch, QStringLiteral("name"), 120, errors);
        if (v && v->isEmpty())
            errors.append({QStringLiteral("name"), QStringLiteral("the store needs a name")});
        else if (v)
            writes.append({kName, *v});
    }
    std::optional<QString> newCurrency;
    if (patch.contains(QStringLiteral("currency"))) {
        static const QRegularExpression iso4217(QStringLiteral("^[A-Z]{3}$"));
        const QJsonValue v = patch.value(QStringLiteral("currency"));
        if (!v.isString() || !iso4217.match(v.toString()).hasMatch())
            errors.append({QStringLiteral("currency"),
                           QStringLiteral("currency must be an ISO 4217 code in upper case, "
                                          "such as EUR or USD")});
        else
            newCurrency = v.toString();
    }
    if (patch.contains(QStringLiteral("logoUrl"))) {
        auto v = text(patch, QStringLiteral("logoUrl"), 2000, errors);
        if (v && !v->isEmpty()) {
            const QUrl url(*v, QUrl::StrictMode);
            if (!url.isValid() || url.host().isEmpty()
                || (url.scheme() != QLatin1String("https")
                    && url.scheme() != QLatin1String("http")))
                errors.append({QStringLiteral("logoUrl"),
                               QStringLiteral("logoUrl must be an http(s) URL or null")});
            else
                writes.append({kLogoUrl, *v});
        } else if (v) {
            writes.append({kLogoUrl, *v});
        }
    }
    if (patch.contains(QStringLiteral("address"))) {
        const QJsonValue v = patch.value(QStringLiteral("address"));
        if (v.isNull()) {
            writes.append({kAddress, QString()});
        } else if (!v.isObject()) {
            errors.append({QStringLiteral("address"),
                           QStringLiteral("address must be an object or null")});
        } else {
            auto a = addressFromJson(v.toObject(), QStringLiteral("address."));
            if (!a)
                errors.append(a.error().fields);
            else
                writes.append({kAddress,
                               QString::fromUtf8(
                                       QJsonDocument(a->toJson()).toJson(QJsonDocument::Compact))});
        }
    }
    field(QStringLiteral("taxId"), kTaxId, 64);
    field(QStringLiteral("invoicePrefix"), kInvoicePrefix, 20);
    field(QStringLiteral("creditNotePrefix"), kCreditNotePrefix, 20);
    field(QStringLiteral("paymentInstructions"), kPaymentInstructions, 2000);
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};

    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    if (newCurrency) {
        auto current = execSql(
                db, QStringLiteral("SELECT value FROM store_settings WHERE name = ?"), {kCurrency});
        if (!current)
            return current.error();
        QString was = current->next() ? current->value(0).toString() : QString();
        current->finish();
        if (was.isEmpty())
            was = configuredCurrency;
        if (was != *newCurrency) {
            auto orders = execSql(db, QStringLiteral("SELECT 1 FROM orders LIMIT 1"));
            if (!orders)
                return orders.error();
            const bool any = orders->next();
            orders->finish();
            // Prices, orders and refunds are in one currency: it is chosen before the first sale.
            if (any)
                return makeError(ErrorCode::Conflict,
                                 QStringLiteral("the store has orders; its currency can no longer "
                                                "change"));
            writes.append({kCurrency, *newCurrency});
        }
    }
    for (const auto &[key, value] : std::as_const(writes)) {
        if (auto s = put(db, key, value); !s)
            return s.error();
    }
    auto after = load(db);
    if (!after)
        return after.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    return after;
}

} // namespace Mercato
