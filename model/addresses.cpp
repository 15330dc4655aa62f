#include "addresses.h"

#include "clock.h"
#include "ids.h"

#include <QSet>

#include <algorithm>

namespace Mercato {

namespace {

// ISO 3166-1 alpha-2, the officially assigned codes.
const QSet<QString> &countryCodes()
{
    static const QSet<QString> codes = [] {
        const char *const list
                = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
                  "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
                  "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
                  "DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
                  "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
                  "HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP "
                  "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY "
                  "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
                  "NA NC NE NF NG NI NL NO NP NR NU NZ OM "
                  "PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
                  "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
                  "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
                  "UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";
        QSet<QString> out;
        const QStringList parts
                = QString::fromLatin1(list).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &c : parts)
            out.insert(c);
        return out;
    }();
    return codes;
}

// Countries whose post has no postal code system (the list carriers and Shopify use).
const QSet<QString> &withoutPostalCodes()
{
    static const QSet<QString> codes = [] {
        const char *const list = "AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER "
                                 "FJ GA GD GH GM GQ GY HK JM KI KM KN KP LY ML MO MR MW NR NU "
                                 "QA RW SB SC SL SO SR SS ST SY TD TF TG TK TL TO TV UG VU YE "
                                 "ZW";
        QSet<QString> out;
        const QStringList parts
                = QString::fromLatin1(list).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &c : parts)
            out.insert(c);
        return out;
    }();
    return codes;
}

constexpr int kMaxField = 200;

const QString kColumns = QStringLiteral("id, name, line1, line2, city, region, postal_code, "
                                        "country, phone, is_default");

Address fromRow(const QSqlQuery &q)
{
    Address a;
    a.id = q.value(0).toString();
    a.name = q.value(1).toString();
    a.line1 = q.value(2).toString();
    a.line2 = q.value(3).toString();
    a.city = q.value(4).toString();
    a.region = q.value(5).toString();
    a.postalCode = q.value(6).toString();
    a.country = q.value(7).toString();
    a.phone = q.value(8).toString();
    a.isDefault = q.value(9).toInt() != 0;
    return a;
}

QVariant nullable(const QString &s)
{
    return s.isEmpty() ? QVariant() : QVariant(s);
}

Error notFound()
{
    return makeError(ErrorCode::NotFound, QStringLiteral("no such address"));
}

// One change of a customer's book at a time (its count and its default), across processes:
// the customer's row lock on PostgreSQL, the write lock on SQLite.
Status lockBook(const QSqlDatabase &db, const QString &userId)
{
    auto q = execSql(db, QStringLiteral("UPDATE users SET updated_at = updated_at WHERE id = ?"),
                     {userId});
    if (!q)
        return q.error();
    return Ok{};
}

Status makeOnlyDefault(const QSqlDatabase &db, const QString &userId, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("UPDATE addresses SET is_default = CASE WHEN id = ? THEN 1 "
                                    "ELSE 0 END WHERE user_id = ?"),
                     {id, userId});
    if (!q)
        return q.error();
    return Ok{};
}

} // namespace

bool isCountryCode(const QString &code)
{
    return countryCodes().contains(code);
}

bool countryHasPostalCodes(const QString &code)
{
    return !withoutPostalCodes().contains(code);
}

QJsonObject Address::toJson() const
{
    auto v = [](const QString &s) {
        return s.isEmpty() ? QJsonValue() : QJsonValue(s);
    };
    return QJsonObject{
            {QStringLiteral("name"), name},        {QStringLiteral("line1"), line1},
            {QStringLiteral("line2"), v(line2)},   {QStringLiteral("city"), city},
            {QStringLiteral("region"), v(region)}, {QStringLiteral("postalCode"), v(postalCode)},
            {QStringLiteral("country"), country},  {QStringLiteral("phone"), v(phone)}};
}

Result<Address> addressFromJson(const QJsonObject &json, const QString &prefix, const Address &base)
{
    Address a = base;
    QList<FieldError> errors;
    const QList<std::pair<QString, QString *>> fields{
            {QStringLiteral("name"), &a.name},       {QStringLiteral("line1"), &a.line1},
            {QStringLiteral("line2"), &a.line2},     {QStringLiteral("city"), &a.city},
            {QStringLiteral("region"), &a.region},   {QStringLiteral("postalCode"), &a.postalCode},
            {QStringLiteral("country"), &a.country}, {QStringLiteral("phone"), &a.phone}};
    for (const auto &[name, target] : fields) {
        if (!json.contains(name))
            continue;
        const QJsonValue v = json.value(name);
        if (v.isNull()) {
            target->clear();
        } else if (!v.isString()) {
            errors.append({prefix + name, name + QStringLiteral(" must be a string")});
            continue;
        } else {
            *target = v.toString().trimmed();
        }
        if (target->size() > kMaxField)
            errors.append(
                    {prefix + name,
                     QStringLiteral("%1 is longer than %2 characters").arg(name).arg(kMaxField)});
    }
    auto required = [&](const QString &name, const QString &value) {
        if (value.isEmpty()
            && std::none_of(errors.cbegin(), errors.cend(),
                            [&](const FieldError &e) { return e.field == prefix + name; }))
            errors.append({prefix + name, name + QStringLiteral(" is required")});
    };
    required(QStringLiteral("name"), a.name);
    required(QStringLiteral("line1"), a.line1);
    required(QStringLiteral("city"), a.city);
    required(QStringLiteral("country"), a.country);
    if (!a.country.isEmpty() && !isCountryCode(a.country))
        errors.append({prefix + QStringLiteral("country"),
                       QStringLiteral("country must be an assigned ISO 3166-1 alpha-2 code in "
                                      "upper case, such as DE or US")});
    else if (!a.country.isEmpty() && countryHasPostalCodes(a.country))
        required(QStringLiteral("postalCode"), a.postalCode);
    if (!errors.isEmpty())
        return Error{ErrorCode::Validation, errors.first().message, errors};
    return a;
}

namespace AddressBook {

Result<QList<Address>> list(const QSqlDatabase &db, const QString &userId)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM addresses WHERE user_id = ? ORDER BY seq"),
                     {userId});
    if (!q)
        return q.error();
    QList<Address> out;
    while (q->next())
        out.append(fromRow(q.value()));
    return out;
}

Result<Address> get(const QSqlDatabase &db, const QString &userId, const QString &id)
{
    auto q = execSql(db,
                     QStringLiteral("SELECT ") + kColumns
                             + QStringLiteral(" FROM addresses WHERE id = ? AND user_id = ?"),
                     {id, userId});
    if (!q)
        return q.error();
    if (!q->next())
        return notFound();
    return fromRow(q.value());
}

Result<Address> add(Database &database, const QString &userId, const Address &input,
                    bool makeDefault)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    if (auto s = lockBook(db, userId); !s)
        return s.error();
    auto count = execSql(db,
                         QStringLiteral("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM addresses "
                                        "WHERE user_id = ?"),
                         {userId});
    if (!count)
        return count.error();
    const qint64 n = count->next() ? count->value(0).toLongLong() : 0;
    const qint64 seq = count->value(1).toLongLong() + 1;
    count->finish();
    if (n >= kMaxAddresses)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the address book holds at most %1 addresses; delete one "
                                        "first")
                                 .arg(kMaxAddresses));
    Address a = input;
    a.id = Ids::newId();
    a.isDefault = makeDefault || n == 0;
    const qint64 now = Clock::nowMs();
    auto ins = execSql(db,
                       QStringLiteral("INSERT INTO addresses (id, user_id, seq, name, line1, "
                                      "line2, city, region, postal_code, country, phone, "
                                      "is_default, created_at, updated_at) VALUES (?, ?, ?, ?, "
                                      "?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"),
                       {a.id, userId, seq, a.name, a.line1, nullable(a.line2), a.city,
                        nullable(a.region), nullable(a.postalCode), a.country, nullable(a.phone),
                        now, now});
    if (!ins)
        return ins.error();
    if (a.isDefault) {
        if (auto s = makeOnlyDefault(db, userId, a.id); !s)
            return s.error();
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    return a;
}

Result<Address> update(Database &database, const QString &userId, const QString &id,
                       const QJsonObject &patch)
{
    if (patch.contains(QStringLiteral("isDefault"))
        && !patch.value(QStringLiteral("isDefault")).isBool())
        return Error::validation(QStringLiteral("isDefault"),
                                 QStringLiteral("isDefault must be true or false"));
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s.error();
    const QSqlDatabase db = tx.db();
    if (auto s = lockBook(db, userId); !s)
        return s.error();
    auto current = get(db, userId, id);
    if (!current)
        return current.error();
    auto a = addressFromJson(patch, {}, current.value());
    if (!a)
        return a.error();
    auto u = execSql(db,
                     QStringLiteral("UPDATE addresses SET name = ?, line1 = ?, line2 = ?, city = "
                                    "?, region = ?, postal_code = ?, country = ?, phone = ?, "
                                    "updated_at = ? WHERE id = ? AND user_id = ?"),
                     {a->name, a->line1, nullable(a->line2), a->city, nullable(a->region),
                      nullable(a->postalCode), a->country, nullable(a->phone), Clock::nowMs(), id,
                      userId});
    if (!u)
        return u.error();
    if (patch.value(QStringLiteral("isDefault")).toBool(false)) {
        if (auto s = makeOnlyDefault(db, userId, id); !s)
            return s.error();
    }
    auto after = get(db, userId, id);
    if (!after)
        return after.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    return after;
}

Status remove(Database &database, const QString &userId, const QString &id)
{
    Transaction tx(database);
    if (auto s = tx.begin(); !s)
        return s;
    const QSqlDatabase db = tx.db();
    if (auto s = lockBook(db, userId); !s)
        return s;
    auto current = get(db, userId, id);
    if (!current)
        return current.error();
    auto d = execSql(db, QStringLiteral("DELETE FROM addresses WHERE id = ? AND user_id = ?"),
                     {id, userId});
    if (!d)
        return d.error();
    if (current->isDefault) {
        auto newest = execSql(db,
                              QStringLiteral("SELECT id FROM addresses WHERE user_id = ? ORDER "
                                             "BY seq DESC LIMIT 1"),
                              {userId});
        if (!newest)
            return newest.error();
        const QString next = newest->next() ? newest->value(0).toString() : QString();
        newest->finish();
        if (!next.isEmpty()) {
            if (auto s = makeOnlyDefault(db, userId, next); !s)
                return s;
        }
    }
    return tx.commit();
}

} // namespace AddressBook

} // namespace Mercato
