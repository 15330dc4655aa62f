#include "accounts.h"
#include "preparedsql.h"
#include "sellermail.h"

#include "clock.h"
#include "cursor.h"
#include "ids.h"
#include "mailer.h"
#include "mailoutbox.h"
#include "passwords.h"

#include <QLoggingCategory>
#include <QRegularExpression>
#include <QTimeZone>

#include <algorithm>
#include <limits>

Q_LOGGING_CATEGORY(lcAccounts, "mercato.accounts")

namespace Mercato {

namespace {

// `suspended` is not a users.status value: a seller is suspended while suspended_at is set.
const QString kUserColumns = QStringLiteral(
        "id, email, display_name, role, CASE WHEN suspended_at IS NOT NULL THEN 'suspended' "
        "ELSE status END, avatar_url, tokens_valid_after, created_at, password_hash, "
        "email_verified");

Account readAccount(const QSqlQuery &q, QString *passwordHash = nullptr)
{
    Account a;
    a.id = q.value(0).toString();
    a.email = q.value(1).toString();
    a.displayName = q.value(2).toString();
    a.role = q.value(3).toString();
    a.status = q.value(4).toString();
    a.avatarUrl = q.value(5).isNull() ? QString() : q.value(5).toString();
    a.tokensValidAfter = q.value(6).toLongLong();
    a.createdAt = q.value(7).toLongLong();
    if (passwordHash)
        *passwordHash = q.value(8).toString();
    a.emailVerified = q.value(9).toInt() != 0;
    return a;
}

Error wrongCredentials()
{
    return makeError(ErrorCode::Unauthenticated, QStringLiteral("wrong email or password"));
}

Error suspendedAccount()
{
    return makeError(ErrorCode::Forbidden,
                     QStringLiteral("the account is suspended by the store's owner"));
}

Error badRefreshToken()
{
    return makeError(ErrorCode::Unauthenticated,
                     QStringLiteral("the refresh token is unknown, spent, revoked or expired"));
}

Error validation(const QList<FieldError> &fields)
{
    QStringList parts;
    for (const FieldError &f : fields)
        parts.append(f.message);
    return Error{ErrorCode::Validation, parts.join(QStringLiteral("; ")), fields};
}

// Whole seconds from which access tokens count: the first second entirely after `ms`.
qint64 validFromSeconds(qint64 tokensValidAfterMs)
{
    return tokensValidAfterMs <= 0 ? 0 : (tokensValidAfterMs + 999) / 1000;
}

QList<FieldError> displayNameProblems(const QString &trimmed)
{
    if (trimmed.isEmpty())
        return {{QStringLiteral("displayName"), QStringLiteral("displayName must not be empty")}};
    if (trimmed.toUcs4().size() > Accounts::kMaxDisplayNameChars)
        return {{QStringLiteral("displayName"),
                 QStringLiteral("displayName must be at most %1 characters")
                         .arg(Accounts::kMaxDisplayNameChars)}};
    for (const QChar c : trimmed) {
        if (c.category() == QChar::Other_Control)
            return {{QStringLiteral("displayName"),
                     QStringLiteral("displayName must not contain control characters")}};
    }
    return {};
}

QList<FieldError> emailProblems(const QString &normalised)
{
    if (normalised.isEmpty())
        return {{QStringLiteral("email"), QStringLiteral("email must not be empty")}};
    if (!Accounts::isValidEmail(normalised))
        return {{QStringLiteral("email"), QStringLiteral("email is not a valid email address")}};
    return {};
}

Error invalidConfirmation()
{
    return Error{ErrorCode::BadRequest,
                 QStringLiteral("the confirmation token is unknown, used or expired"),
                 {{QStringLiteral("token"), QStringLiteral("token is unknown, used or expired")}}};
}

Error emailTaken()
{
    return Error{ErrorCode::Conflict,
                 QStringLiteral("an account with this email exists"),
                 {{QStringLiteral("email"), QStringLiteral("email is already registered")}}};
}

} // namespace

Accounts::Accounts(Database &database, const StoreSettings &settings, const TokenService &tokens)
    : m_db(database)
    , m_settings(settings)
    , m_tokens(tokens)
{}

QString Accounts::normaliseEmail(const QString &email)
{
    return email.trimmed().toLower();
}

bool Accounts::isValidEmail(const QString &normalisedEmail)
{
    static const QRegularExpression re(QStringLiteral(
            "^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
            "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"));
    return normalisedEmail.size() <= 254 && re.match(normalisedEmail).hasMatch()
           && !normalisedEmail.startsWith(QLatin1Char('.'))
           && !normalisedEmail.contains(QLatin1String(".."))
           && !normalisedEmail.contains(QLatin1String(".@"));
}

QList<FieldError> Accounts::passwordProblems(const QString &field, const QString &password,
                                             const QString &email)
{
    if (password.toUtf8().size() > kMaxPasswordBytes)
        return {{field,
                 QStringLiteral("%1 must be at most %2 bytes").arg(field).arg(kMaxPasswordBytes)}};
    if (password.toUcs4().size() < kMinPasswordChars)
        return {{field, QStringLiteral("%1 must be at least %2 characters")
                                .arg(field)
                                .arg(kMinPasswordChars)}};
    if (!email.isEmpty() && normaliseEmail(password) == normaliseEmail(email))
        return {{field, QStringLiteral("%1 must not be the email address").arg(field)}};
    return {};
}

QString Accounts::dayOf(qint64 ms) const
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
            .toTimeZone(m_settings.zone())
            .date()
            .toString(Qt::ISODate);
}

// ---- sessions ---------------------------------------------------------------------------

Result<std::optional<DailyReward>> Accounts::grantDaily(const QSqlDatabase &db,
                                                        const QString &userId)
{
    if (m_settings.dailyCoins <= 0)
        return std::optional<DailyReward>{};
    const qint64 now = Clock::nowMs();
    // The primary key (user_id, day) decides: of concurrent first logins one inserts, the
    // others find the row and grant nothing.
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO daily_rewards (user_id, day, coins, created_at) "
                                    "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, day) DO NOTHING"),
                     {userId, dayOf(now), qint64(m_settings.dailyCoins), now});
    if (!q)
        return q.error();
    DailyReward reward;
    if (q->numRowsAffected() == 1) {
        reward.granted = m_settings.dailyCoins;
        if (auto s = CoinLedger::append(db, userId, reward.granted, QStringLiteral("daily")); !s)
            return s.error();
    }
    auto balance = CoinLedger::balance(db, userId);
    if (!balance)
        return balance.error();
    reward.balance = balance.value();
    return std::optional<DailyReward>{reward};
}

Result<QString> Accounts::newRefreshToken(const QSqlDatabase &db, const QString &userId,
                                          const QString &familyId)
{
    const QString token = Ids::newToken(32);
    const qint64 now = Clock::nowMs();
    auto q = execSql(
            db,
            QStringLiteral("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, "
                           "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
            {Ids::newId(), userId, familyId, Ids::tokenHash(token), now, now + kRefreshLifetimeMs});
    if (!q)
        return q.error();
    return token;
}

Session Accounts::finish(Account account, const QString &refreshToken,
                         std::optional<DailyReward> reward) const
{
    Session s;
    const auto issued = m_tokens.issueAccess(account.id, account.role,
                                             validFromSeconds(account.tokensValidAfter));
    s.accessToken = issued.token;
    s.expiresIn = issued.expiresIn;
    s.refreshToken = refreshToken;
    if (reward)
        account.coins = reward->balance;
    s.user = std::move(account);
    s.dailyReward = reward;
    return s;
}

Result<Session> Accounts::registerAccount(const Registration &registration)
{
    const QString email = normaliseEmail(registration.email);
    const QString displayName = registration.displayName.trimmed();
    QList<FieldError> problems = emailProblems(email);
    problems += passwordProblems(QStringLiteral("password"), registration.password, email);
    problems += displayNameProblems(displayName);
    if (registration.role != QLatin1String("customer")
        && registration.role != QLatin1String("seller"))
        problems.append(
                {QStringLiteral("role"), QStringLiteral("role must be customer or seller")});
    if (!problems.isEmpty())
        return validation(problems);

    const QString hash = Passwords::hash(registration.password, m_settings.passwordHashLogN);
    if (hash.isEmpty())
        return makeError(ErrorCode::Internal, QStringLiteral("could not hash the password"));

    Account account;
    account.id = Ids::newId();
    account.email = email;
    account.displayName = displayName;
    account.role = registration.role;
    account.status = registration.role == QLatin1String("seller") && m_settings.sellerApproval
                             ? QStringLiteral("pending")
                             : QStringLiteral("active");
    account.createdAt = Clock::nowMs();
    account.emailVerified = !(registration.selfService && m_settings.verifyNewAccounts);

    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto q = execSql(tx.db(),
                     QStringLiteral("INSERT INTO users (id, email, email_norm, password_hash, "
                                    "display_name, role, status, tokens_valid_after, created_at, "
                                    "updated_at, email_verified) VALUES (?, ?, ?, ?, ?, ?, ?, 0, "
                                    "?, ?, ?)"),
                     {account.id, account.email, email, hash, account.displayName, account.role,
                      account.status, account.createdAt, account.createdAt,
                      account.emailVerified ? 1 : 0});
    if (!q) {
        if (q.error().code == ErrorCode::Conflict)
            return emailTaken();
        return q.error();
    }
    if (!account.emailVerified) {
        if (auto s = queueConfirmation(tx.db(), account, QStringLiteral("verify"), email); !s)
            return s.error();
    }
    auto reward = grantDaily(tx.db(), account.id);
    if (!reward)
        return reward.error();
    auto refreshToken = newRefreshToken(tx.db(), account.id, Ids::newId());
    if (!refreshToken)
        return refreshToken.error();
    QList<PendingNotification> pending;
    const bool waits = registration.selfService && account.status == QLatin1String("pending");
    if (waits && m_pendingSeller) {
        if (auto s = m_pendingSeller(tx.db(), account, &pending); !s)
            return s.error();
    }
    if (auto s = tx.commit(); !s)
        return s.error();
    if (waits && m_pendingSellerAnnounced)
        m_pendingSellerAnnounced(pending);
    qCInfo(lcAccounts) << "registered" << account.role << account.id;
    return finish(std::move(account), refreshToken.value(), reward.value());
}

Result<std::optional<Account>> Accounts::findBy(const QString &column, const QString &value,
                                                QString *passwordHash)
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("SELECT ") + kUserColumns + QStringLiteral(" FROM users WHERE ")
                             + column + QStringLiteral(" = ?"),
                     {value});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Account>{};
    return std::optional<Account>{readAccount(q.value(), passwordHash)};
}

Result<Account> Accounts::checkCredentials(const QString &email, const QString &password)
{
    const int logN = m_settings.passwordHashLogN;
    if (password.toUtf8().size() > kMaxPasswordBytes) {
        Passwords::verifyDummy(QString(), logN);
        return wrongCredentials();
    }
    QString hash;
    auto found = findBy(QStringLiteral("email_norm"), normaliseEmail(email), &hash);
    if (!found)
        return found.error();
    if (!found->has_value()) {
        Passwords::verifyDummy(password, logN);
        return wrongCredentials();
    }
    Account account = *found.value();
    const auto check = Passwords::verify(password, hash, logN);
    if (!check.matches || account.status == QLatin1String("disabled"))
        return wrongCredentials();
    if (account.status == QLatin1String("suspended")) // told only to who knows the password
        return suspendedAccount();
    if (check.needsRehash) {
        // Stored with weaker parameters than today's: replace it now that we know the password.
        const QString stronger = Passwords::hash(password, logN);
        if (!stronger.isEmpty()) {
            auto q = execSql(m_db.connection(),
                             QStringLiteral("UPDATE users SET password_hash = ? WHERE id = ? AND "
                                            "password_hash = ?"),
                             {stronger, account.id, hash});
            if (!q)
                qCWarning(lcAccounts) << "could not rehash the password of" << account.id;
        }
    }
    return account;
}

Result<Session> Accounts::login(const QString &email, const QString &password)
{
    auto account = checkCredentials(email, password);
    if (!account)
        return account.error();
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto reward = grantDaily(tx.db(), account->id);
    if (!reward)
        return reward.error();
    auto refreshToken = newRefreshToken(tx.db(), account->id, Ids::newId());
    if (!refreshToken)
        return refreshToken.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    Session session = finish(account.value(), refreshToken.value(), reward.value());
    if (!session.dailyReward) {
        auto balance = CoinLedger::balance(m_db.connection(), session.user.id);
        if (!balance)
            return balance.error();
        session.user.coins = balance.value();
    }
    return session;
}

Result<Session> Accounts::refresh(const QString &refreshToken)
{
    if (refreshToken.isEmpty() || refreshToken.size() > 200)
        return badRefreshToken();
    const qint64 now = Clock::nowMs();
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto q = execSql(
            tx.db(),
            QStringLiteral("SELECT id, user_id, family_id, expires_at, used_at, revoked_at "
                           "FROM refresh_tokens WHERE token_hash = ?"),
            {Ids::tokenHash(refreshToken)});
    if (!q)
        return q.error();
    if (!q->next())
        return badRefreshToken();
    const QString id = q->value(0).toString();
    const QString userId = q->value(1).toString();
    const QString familyId = q->value(2).toString();
    const qint64 expiresAt = q->value(3).toLongLong();
    const bool used = !q->value(4).isNull();
    const bool revoked = !q->value(5).isNull();
    q->finish();
    {
        // A suspension revoked the token too; its holder is told why.
        auto suspended = execSql(
                tx.db(), QStringLiteral("SELECT suspended_at FROM users WHERE id = ?"), {userId});
        if (!suspended)
            return suspended.error();
        if (suspended->next() && !suspended->value(0).isNull())
            return suspendedAccount();
    }
    if (revoked || expiresAt <= now)
        return badRefreshToken();

    auto revokeFamily = [&]() -> Error {
        auto r = execSql(
                tx.db(),
                QStringLiteral("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? "
                               "AND revoked_at IS NULL"),
                {now, familyId});
        if (!r)
            return r.error();
        if (auto s = tx.commit(); !s)
            return s.error();
        qCWarning(lcAccounts) << "a spent refresh token was used again; revoked the family of"
                              << userId;
        return badRefreshToken();
    };
    if (used)
        return revokeFamily();
    // Conditional, so of two concurrent uses of one token only one rotates it.
    auto spend = execSql(tx.db(),
                         QStringLiteral("UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND "
                                        "used_at IS NULL AND revoked_at IS NULL"),
                         {now, id});
    if (!spend)
        return spend.error();
    if (spend->numRowsAffected() != 1)
        return revokeFamily();

    QString unusedHash;
    auto found = findBy(QStringLiteral("id"), userId, &unusedHash);
    if (!found)
        return found.error();
    if (!found->has_value() || found.value()->status == QLatin1String("disabled"))
        return badRefreshToken();
    Account account = *found.value();
    auto next = newRefreshToken(tx.db(), userId, familyId);
    if (!next)
        return next.error();
    auto balance = CoinLedger::balance(tx.db(), userId);
    if (!balance)
        return balance.error();
    if (auto s = tx.commit(); !s)
        return s.error();
    account.coins = balance.value();
    return finish(std::move(account), next.value(), std::nullopt);
}

Status Accounts::logout(const QString &userId, const QString &refreshToken)
{
    auto q = execSql(
            m_db.connection(),
            QStringLiteral("UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
                           "AND user_id = ? AND family_id = (SELECT family_id FROM "
                           "refresh_tokens WHERE token_hash = ?)"),
            {Clock::nowMs(), userId, Ids::tokenHash(refreshToken)});
    if (!q)
        return q.error();
    return Ok{};
}

Result<Principal> Accounts::authenticate(const QString &accessToken)
{
    auto principal = m_tokens.verify(accessToken);
    if (!principal)
        return principal.error();
    // Every signed-in request asks this: prepared once per connection, read, then finished.
    auto q = execPrepared(
            m_db.connection(),
            QStringLiteral("SELECT role, CASE WHEN suspended_at IS NOT NULL THEN 'suspended' "
                           "ELSE status END, tokens_valid_after FROM users WHERE id = ?"),
            {principal->userId});
    if (!q)
        return q.error();
    QSqlQuery &row = *q.value();
    const bool found = row.next();
    const QString role = found ? row.value(0).toString() : QString();
    const QString status = found ? row.value(1).toString() : QString();
    const qint64 validAfter = found ? row.value(2).toLongLong() : 0;
    row.finish();
    if (!found)
        return makeError(ErrorCode::Unauthenticated,
                         QStringLiteral("the account no longer exists"));
    if (status == QLatin1String("disabled"))
        return makeError(ErrorCode::Unauthenticated, QStringLiteral("the account is disabled"));
    if (status == QLatin1String("suspended"))
        return makeError(ErrorCode::Unauthenticated,
                         QStringLiteral("the account is suspended; sign in once it is reinstated"));
    if (principal->issuedAt < validFromSeconds(validAfter))
        return makeError(
                ErrorCode::Unauthenticated,
                QStringLiteral("the token was issued before the password changed; sign in again"));
    principal->role = role;
    principal->status = status;
    return principal;
}

// ---- profile ----------------------------------------------------------------------------

Result<Account> Accounts::account(const QString &userId)
{
    auto found = findBy(QStringLiteral("id"), userId, nullptr);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    Account a = *found.value();
    auto balance = CoinLedger::balance(m_db.connection(), userId);
    if (!balance)
        return balance.error();
    a.coins = balance.value();
    return a;
}

Result<Account> Accounts::accountByEmail(const QString &email)
{
    auto found = findBy(QStringLiteral("email_norm"), normaliseEmail(email), nullptr);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    return *found.value();
}

Result<Account> Accounts::updateProfile(const QString &userId, const ProfileChange &change)
{
    QList<FieldError> problems;
    QString displayName;
    if (change.displayName) {
        displayName = change.displayName->trimmed();
        problems += displayNameProblems(displayName);
    }
    QString email;
    if (change.email) {
        email = normaliseEmail(*change.email);
        problems += emailProblems(email);
    }

    QString hash;
    auto found = findBy(QStringLiteral("id"), userId, &hash);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    // Sending the current email back (in any case) is no change and needs no password.
    const bool emailChanges = change.email && email != normaliseEmail(found.value()->email);
    if (emailChanges && (!change.currentPassword || change.currentPassword->isEmpty()))
        problems.append({QStringLiteral("currentPassword"),
                         QStringLiteral("currentPassword is required to change the email")});
    const bool mailChoices = change.mailOnSale || change.mailOnLowStock;
    if (mailChoices && found.value()->role != QLatin1String("seller"))
        problems.append({change.mailOnSale ? QStringLiteral("mailOnSale")
                                           : QStringLiteral("mailOnLowStock"),
                         QStringLiteral("only sellers get sale and low-stock mails")});
    if (!problems.isEmpty())
        return validation(problems);
    if (emailChanges) {
        if (change.currentPassword->toUtf8().size() > kMaxPasswordBytes
            || !Passwords::verify(*change.currentPassword, hash, m_settings.passwordHashLogN)
                        .matches)
            return Error{ErrorCode::Forbidden,
                         QStringLiteral("the current password is wrong"),
                         {{QStringLiteral("currentPassword"),
                           QStringLiteral("currentPassword is wrong")}}};
    }
    if (emailChanges) {
        // Used by another account: say so now, as registration does (and again at the link).
        auto taken = execSql(m_db.connection(),
                             QStringLiteral("SELECT 1 FROM users WHERE email_norm = ? AND id <> ?"),
                             {email, userId});
        if (!taken)
            return taken.error();
        if (taken->next())
            return emailTaken();
    }
    if (change.displayName || emailChanges || mailChoices) {
        Transaction tx(m_db);
        if (auto s = tx.begin(); !s)
            return s.error();
        if (change.displayName) {
            auto q = execSql(
                    tx.db(),
                    QStringLiteral(
                            "UPDATE users SET display_name = ?, updated_at = ? WHERE id = ?"),
                    {displayName, Clock::nowMs(), userId});
            if (!q)
                return q.error();
        }
        if (emailChanges) {
            // The new address takes effect when the link mailed to it is followed; only the
            // newest such link works.
            auto older = execSql(tx.db(),
                                 QStringLiteral("UPDATE email_confirmations SET used_at = ? WHERE "
                                                "user_id = ? AND kind = 'change' AND used_at IS "
                                                "NULL"),
                                 {Clock::nowMs(), userId});
            if (!older)
                return older.error();
            if (auto s
                = queueConfirmation(tx.db(), *found.value(), QStringLiteral("change"), email);
                !s)
                return s.error();
        }
        if (mailChoices) {
            if (auto s
                = SellerMail::setChoices(tx.db(), userId, change.mailOnSale, change.mailOnLowStock);
                !s)
                return s.error();
        }
        if (auto s = tx.commit(); !s)
            return s.error();
    }
    return account(userId);
}

Status Accounts::queueConfirmation(const QSqlDatabase &db, const Account &account,
                                   const QString &kind, const QString &email)
{
    const QString token = Ids::newToken(32);
    const qint64 now = Clock::nowMs();
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO email_confirmations (id, user_id, kind, email, "
                                    "token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, "
                                    "?, ?)"),
                     {Ids::newId(), account.id, kind, email, Ids::tokenHash(token), now,
                      now + kConfirmationLifetimeMs});
    if (!q)
        return q.error();
    const QString link
            = m_settings.publicUrl + QStringLiteral("/shop/confirm-email?token=") + token;
    MailMessage mail;
    mail.to = email;
    if (kind == QLatin1String("verify")) {
        mail.subject = QStringLiteral("Confirm your email address");
        mail.textBody = QStringLiteral("Hello %1,\n\n"
                                       "welcome. Confirm that %2 is your address by opening this "
                                       "link within 24 hours:\n%3\n\n"
                                       "An app may ask for this confirmation code instead:\n%4\n\n"
                                       "If you did not create this account, ignore this mail.\n")
                                .arg(account.displayName, email, link, token);
    } else {
        mail.subject = QStringLiteral("Confirm your new email address");
        mail.textBody
                = QStringLiteral("Hello %1,\n\n"
                                 "someone, hopefully you, asked to use %2 as the email address of "
                                 "the account %3.\n\n"
                                 "Confirm it within 24 hours here:\n%4\n\n"
                                 "An app may ask for this confirmation code instead:\n%5\n\n"
                                 "Until then the account keeps its address. If you did not ask "
                                 "for this, ignore this mail.\n")
                          .arg(account.displayName, email, account.email, link, token);
    }
    if (auto id = MailOutboxTable::add(db, mail); !id)
        return id.error();
    return Ok{};
}

Status Accounts::confirmEmail(const QString &token)
{
    if (token.isEmpty() || token.size() > 200)
        return invalidConfirmation();
    const qint64 now = Clock::nowMs();
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s;
    auto found = execSql(
            tx.db(),
            QStringLiteral("SELECT c.id, c.user_id, c.kind, c.email, u.email, u.display_name, "
                           "u.status FROM email_confirmations c JOIN users u ON u.id = c.user_id "
                           "WHERE c.token_hash = ? AND c.used_at IS NULL AND c.expires_at > ?"),
            {Ids::tokenHash(token), now});
    if (!found)
        return found.error();
    if (!found->next() || found->value(6).toString() == QLatin1String("disabled"))
        return invalidConfirmation();
    const QString id = found->value(0).toString();
    const QString userId = found->value(1).toString();
    const QString kind = found->value(2).toString();
    const QString email = found->value(3).toString();
    const QString oldEmail = found->value(4).toString();
    const QString displayName = found->value(5).toString();
    // Conditional: of two clicks on one link, one wins.
    auto used = execSql(tx.db(),
                        QStringLiteral("UPDATE email_confirmations SET used_at = ? WHERE id = ? "
                                       "AND used_at IS NULL"),
                        {now, id});
    if (!used)
        return used.error();
    if (used->numRowsAffected() != 1)
        return invalidConfirmation();
    if (kind == QLatin1String("verify")) {
        // A link to an address the account no longer has proves nothing about it.
        if (normaliseEmail(oldEmail) != email)
            return invalidConfirmation();
        auto q = execSql(
                tx.db(),
                QStringLiteral("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?"),
                {now, userId});
        if (!q)
            return q.error();
    } else {
        auto q = execSql(tx.db(),
                         QStringLiteral("UPDATE users SET email = ?, email_norm = ?, "
                                        "email_verified = 1, updated_at = ? WHERE id = ?"),
                         {email, email, now, userId});
        if (!q)
            return q.error().code == ErrorCode::Conflict ? emailTaken() : q.error();
        // Links still on their way to the old address die with it.
        auto others = execSql(tx.db(),
                              QStringLiteral("UPDATE email_confirmations SET used_at = ? WHERE "
                                             "user_id = ? AND used_at IS NULL"),
                              {now, userId});
        if (!others)
            return others.error();
        MailMessage notice;
        notice.to = oldEmail;
        notice.subject = QStringLiteral("Your email address was changed");
        notice.textBody = QStringLiteral("Hello %1,\n\n"
                                         "the email address of your account is now %2 instead of "
                                         "%3.\n\n"
                                         "If you did not change it, someone knows your "
                                         "password: tell the shop at once.\n")
                                  .arg(displayName, email, oldEmail);
        if (auto mailId = MailOutboxTable::add(tx.db(), notice); !mailId)
            return mailId.error();
    }
    if (auto s = tx.commit(); !s)
        return s;
    qCInfo(lcAccounts) << "email confirmed for account" << userId << "(" << kind << ")";
    return Ok{};
}

Status Accounts::revokeAllSessions(const QSqlDatabase &db, const QString &userId)
{
    const qint64 now = Clock::nowMs();
    auto r = execSql(
            db,
            QStringLiteral("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND "
                           "revoked_at IS NULL"),
            {now, userId});
    if (!r)
        return r.error();
    auto u = execSql(
            db,
            QStringLiteral("UPDATE users SET tokens_valid_after = ?, updated_at = ? WHERE id = ?"),
            {now, now, userId});
    if (!u)
        return u.error();
    return Ok{};
}

Status Accounts::storePassword(const QString &userId, const QString &newPassword)
{
    const QString hash = Passwords::hash(newPassword, m_settings.passwordHashLogN);
    if (hash.isEmpty())
        return makeError(ErrorCode::Internal, QStringLiteral("could not hash the password"));
    Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s.error();
    auto q = execSql(tx.db(), QStringLiteral("UPDATE users SET password_hash = ? WHERE id = ?"),
                     {hash, userId});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    if (auto s = revokeAllSessions(tx.db(), userId); !s)
        return s;
    return tx.commit();
}

Status Accounts::changePassword(const QString &userId, const QString &currentPassword,
                                const QString &newPassword)
{
    QString hash;
    auto found = findBy(QStringLiteral("id"), userId, &hash);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    const auto problems
            = passwordProblems(QStringLiteral("newPassword"), newPassword, found.value()->email);
    if (!problems.isEmpty())
        return validation(problems);
    if (currentPassword.toUtf8().size() > kMaxPasswordBytes
        || !Passwords::verify(currentPassword, hash, m_settings.passwordHashLogN).matches)
        return Error{
                ErrorCode::Forbidden,
                QStringLiteral("the current password is wrong"),
                {{QStringLiteral("currentPassword"), QStringLiteral("currentPassword is wrong")}}};
    return storePassword(userId, newPassword);
}

Status Accounts::setPassword(const QString &userId, const QString &newPassword)
{
    auto found = findBy(QStringLiteral("id"), userId, nullptr);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    const auto problems
            = passwordProblems(QStringLiteral("newPassword"), newPassword, found.value()->email);
    if (!problems.isEmpty())
        return validation(problems);
    return storePassword(userId, newPassword);
}

Status Accounts::approveSeller(const QString &userId)
{
    auto q = execSql(
            m_db.connection(),
            QStringLiteral("UPDATE users SET status = 'active', updated_at = ? WHERE id = ? "
                           "AND role = 'seller' AND status = 'pending' AND suspended_at IS NULL"),
            {Clock::nowMs(), userId});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 1)
        return Ok{};
    auto found = findBy(QStringLiteral("id"), userId, nullptr);
    if (!found)
        return found.error();
    if (!found->has_value())
        return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
    return makeError(ErrorCode::Conflict, QStringLiteral("not a seller waiting for approval"));
}

Result<QList<Account>> Accounts::pendingSellers()
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("SELECT ") + kUserColumns
                             + QStringLiteral(" FROM users WHERE role = 'seller' AND status = "
                                              "'pending' AND suspended_at IS NULL "
                                              "ORDER BY created_at, id"));
    if (!q)
        return q.error();
    QList<Account> out;
    while (q->next())
        out.append(readAccount(q.value()));
    return out;
}

Result<qint64> Accounts::sellerCount()
{
    auto q = execSql(m_db.connection(),
                     QStringLiteral("SELECT COUNT(*) FROM users WHERE role = 'seller'"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

// ---- coins ------------------------------------------------------------------------------

Result<CoinPage> Accounts::coins(const QString &userId, int limit, const QString &cursor)
{
    const QString scope = QStringLiteral("coins:") + userId;
    qint64 beforeId = std::numeric_limits<qint64>::max();
    if (!cursor.isEmpty()) {
        const auto values = Cursor::decode(scope, cursor);
        bool ok = false;
        if (values && values->size() == 1)
            beforeId = values->at(0).toLongLong(&ok);
        if (!ok)
            return Error{ErrorCode::BadRequest,
                         QStringLiteral("cursor is not valid"),
                         {{QStringLiteral("cursor"), QStringLiteral("cursor is not valid")}}};
    }
    limit = std::clamp(limit, 1, 100);
    CoinPage page;
    auto balance = CoinLedger::balance(m_db.connection(), userId);
    if (!balance)
        return balance.error();
    page.balance = balance.value();
    auto q = execSql(
            m_db.connection(),
            QStringLiteral("SELECT id, delta, reason, order_id, created_at FROM coin_ledger "
                           "WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?"),
            {userId, beforeId, limit + 1});
    if (!q)
        return q.error();
    while (q->next()) {
        if (page.entries.size() == limit) {
            page.nextCursor = Cursor::encode(scope, {page.entries.last().id});
            break;
        }
        CoinEntry e;
        e.id = q->value(0).toLongLong();
        e.delta = q->value(1).toLongLong();
        e.reason = q->value(2).toString();
        e.orderId = q->value(3).isNull() ? QString() : q->value(3).toString();
        e.createdAt = q->value(4).toLongLong();
        page.entries.append(e);
    }
    return page;
}

} // namespace Mercato
