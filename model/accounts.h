#pragma once
// Accounts and sessions: registration, login with daily coins, rotating refresh-token
// families, the access-token check with the account's state, profiles and the coin history.

#include "coinledger.h"
#include "database.h"
#include "notifier.h"
#include "storesettings.h"
#include "tokens.h"

#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace Mercato {

struct Account
{
    QString id;
    QString email;
    QString displayName;
    QString role;   // customer, seller
    QString status; // active, pending (a seller awaiting approval), suspended (a seller), disabled
    QString avatarUrl;
    bool emailVerified = true; // false until the link mailed at registration is followed
    // Access tokens issued before this instant (epoch ms) are refused.
    qint64 tokensValidAfter = 0;
    qint64 createdAt = 0;
    qint64 coins = 0; // the balance, where the call that returns the account says so
};

struct DailyReward
{
    qint64 granted = 0; // coins this login earned (0: today's were given already)
    qint64 balance = 0;
};

struct Session
{
    Account user; // with coins
    QString accessToken;
    QString refreshToken;
    qint64 expiresIn = 0;
    std::optional<DailyReward> dailyReward; // empty when daily coins are off (or a refresh)
};

struct Registration
{
    QString email;
    QString password;
    QString displayName;
    QString role;
    // Through the API, by the person it is for: with verifyNewAccounts the address must be
    // proven. Accounts the owner makes (console, command line, demo) count as verified.
    bool selfService = false;
};

struct ProfileChange
{
    std::optional<QString> displayName;
    std::optional<QString> email;
    std::optional<QString> currentPassword; // needed to change the email
    // A seller's opt-in mails (SellerMail); a customer naming one gets 422.
    std::optional<bool> mailOnSale;
    std::optional<bool> mailOnLowStock;
};

struct CoinPage
{
    qint64 balance = 0;
    QList<CoinEntry> entries; // newest first
    QString nextCursor;       // empty on the last page
};

class Accounts
{
public:
    static constexpr qint64 kRefreshLifetimeMs = 30LL * 24 * 3600 * 1000;
    static constexpr int kMaxPasswordBytes = 1024;
    static constexpr int kMinPasswordChars = 10;
    static constexpr int kMaxDisplayNameChars = 80;
    // How long the link of an email confirmation (a new account's, or a change's) works.
    static constexpr qint64 kConfirmationLifetimeMs = 24LL * 3600 * 1000;

    Accounts(Database &database, const StoreSettings &settings, const TokenService &tokens);

    // Trimmed and lower-cased: the form emails are compared and kept unique in.
    static QString normaliseEmail(const QString &email);
    static bool isValidEmail(const QString &normalisedEmail);
    // What is wrong with a new password (field `field`), given the account's email.
    static QList<FieldError> passwordProblems(const QString &field, const QString &password,
                                              const QString &email);

    // 422 on bad fields, 409 when the email is taken in any case. Counts as the day's first
    // login (daily coins). With sellerApproval a seller starts `pending`. Self-service with
    // verifyNewAccounts: the account starts unverified and a link to confirm its address is
    // queued in the outbox (the caller wakes the mailer).
    Result<Session> registerAccount(const Registration &registration);
    // A self-service seller who waits for the owner's approval: `inTransaction` runs in the
    // registration's transaction (an error rolls it back) and collects notifications that
    // `afterCommit` announces. The shop tells its owner this way.
    using PendingSellerHook = std::function<Status(const QSqlDatabase &db, const Account &seller,
                                                   QList<PendingNotification> *pending)>;
    using AnnounceHook = std::function<void(const QList<PendingNotification> &pending)>;
    void setPendingSellerHook(PendingSellerHook inTransaction, AnnounceHook afterCommit)
    {
        m_pendingSeller = std::move(inTransaction);
        m_pendingSellerAnnounced = std::move(afterCommit);
    }
    // 401 with one and the same error for an unknown email, a wrong password or a disabled
    // account, in about the same time; 403 for a suspended seller with the right password.
    Result<Session> login(const QString &email, const QString &password);
    // Checks a password without opening a session or granting coins (the console's sign-in).
    Result<Account> checkCredentials(const QString &email, const QString &password);
    // Rotates a refresh token; a spent one revokes its whole family. Any refusal is 401, but
    // 403 for a token of a suspended seller.
    Result<Session> refresh(const QString &refreshToken);
    // Revokes the family of `refreshToken` when it belongs to `userId`; else does nothing.
    Status logout(const QString &userId, const QString &refreshToken);

    // The access-token check for every signed-in request: signature and claims, then the
    // account: unknown, disabled or suspended → 401, issued before tokensValidAfter → 401. The
    // principal carries the account's role and status.
    Result<Principal> authenticate(const QString &accessToken);

    Result<Account> account(const QString &userId);       // with coins
    Result<Account> accountByEmail(const QString &email); // without coins
    // A new email is not set here: with the current password, a link is queued to the new
    // address (409 when another account uses it), and the email changes when it is followed.
    Result<Account> updateProfile(const QString &userId, const ProfileChange &change);
    // Follows a link of an email confirmation: the account's address is verified, or the
    // asked-for address becomes the account's (the old address is told by mail). 400 (field
    // token) for an unknown, used or expired token; 409 when the new address was taken since.
    Status confirmEmail(const QString &token);
    // 403 (field currentPassword) when the current password is wrong. Revokes every refresh
    // family and refuses access tokens issued before the change.
    Status changePassword(const QString &userId, const QString &currentPassword,
                          const QString &newPassword);
    // A new password without the old one (password reset, the admin command line), with the
    // same revocations as changePassword. Checks the password policy (422).
    Status setPassword(const QString &userId, const QString &newPassword);
    // Inside the caller's write transaction: revokes every refresh family of the user and
    // refuses access tokens issued until now.
    static Status revokeAllSessions(const QSqlDatabase &db, const QString &userId);

    // The console approves a pending seller (404 unknown, 409 not a pending seller).
    Status approveSeller(const QString &userId);
    Result<QList<Account>> pendingSellers();
    // How many seller accounts exist (the console's first run creates the first one).
    Result<qint64> sellerCount();

    // The coin ledger, newest first, keyset-paged; a cursor not made here → 400 `cursor`.
    Result<CoinPage> coins(const QString &userId, int limit, const QString &cursor);

    // The store-zone calendar day (yyyy-MM-dd) of epoch-ms `ms`.
    QString dayOf(qint64 ms) const;

private:
    Result<std::optional<DailyReward>> grantDaily(const QSqlDatabase &db, const QString &userId);
    Result<QString> newRefreshToken(const QSqlDatabase &db, const QString &userId,
                                    const QString &familyId);
    Session finish(Account account, const QString &refreshToken,
                   std::optional<DailyReward> reward) const;
    Result<std::optional<Account>> findBy(const QString &column, const QString &value,
                                          QString *passwordHash);
    Status storePassword(const QString &userId, const QString &newPassword);
    // Inside the caller's transaction: a confirmation token for `email` and its mail.
    Status queueConfirmation(const QSqlDatabase &db, const Account &account, const QString &kind,
                             const QString &email);

    Database &m_db;
    const StoreSettings &m_settings;
    const TokenService &m_tokens;
    PendingSellerHook m_pendingSeller;
    AnnounceHook m_pendingSellerAnnounced;
};

} // namespace Mercato
