#include "passwordresets.h"

#include "accounts.h"
#include "clock.h"
#include "ids.h"
#include "passwords.h"
#include "shop.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcResets, "mercato.accounts.reset")

namespace Mercato {

namespace {
Error invalidToken()
{
    return Error{ErrorCode::BadRequest,
                 QStringLiteral("the reset token is unknown, used or expired"),
                 {{QStringLiteral("token"), QStringLiteral("token is unknown, used or expired")}}};
}
} // namespace

PasswordResets::PasswordResets(Shop &shop)
    : m_shop(shop)
{
    m_thread = std::thread([this] { run(); });
}

PasswordResets::~PasswordResets()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void PasswordResets::request(const QString &email)
{
    {
        std::lock_guard lock(m_mutex);
        m_emails.push_back(email);
    }
    m_wake.notify_all();
}

bool PasswordResets::waitUntilIdle(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                           [this] { return m_emails.empty() && !m_busy; });
}

void PasswordResets::run()
{
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        if (m_emails.empty()) {
            m_idle.notify_all();
            m_wake.wait(lock);
            continue;
        }
        const QString email = m_emails.front();
        m_emails.pop_front();
        m_busy = true;
        lock.unlock();
        handle(email);
        lock.lock();
        m_busy = false;
    }
}

void PasswordResets::handle(const QString &email)
{
    auto account = m_shop.accounts().accountByEmail(Accounts::normaliseEmail(email));
    if (!account) {
        if (account.error().code != ErrorCode::NotFound)
            qCWarning(lcResets).noquote() << "reset request not handled:" << account.error().detail;
        return; // unknown email: nothing to send, and the caller cannot tell
    }
    if (account->status == QLatin1String("disabled"))
        return;

    const QString token = Ids::newToken(kTokenBytes);
    const qint64 now = Clock::nowMs();
    const QString link
            = m_shop.settings().publicUrl + QStringLiteral("/reset-password?token=") + token;
    MailMessage mail;
    mail.to = account->email;
    mail.subject = QStringLiteral("Reset your password");
    mail.textBody
            = QStringLiteral(
                      "Hello %1,\n\n"
                      "someone, hopefully you, asked to reset the password of the account %2.\n\n"
                      "Choose a new password within 30 minutes here:\n%3\n\n"
                      "An app may ask for this reset token instead:\n%4\n\n"
                      "The link works once. If you did not ask for it, ignore this mail: your "
                      "password "
                      "stays as it is.\n")
                      .arg(account->displayName, account->email, link, token);
    // The token and its mail in one transaction: neither exists without the other.
    Transaction tx(m_shop.database());
    Status s = tx.begin();
    if (s) {
        // One mail per account per kMailIntervalMs, whoever asks: a flood of requests sends
        // nothing more (the answer stays the same).
        auto recent = execSql(tx.db(),
                              QStringLiteral("SELECT 1 FROM password_resets WHERE user_id = ? "
                                             "AND created_at > ?"),
                              {account->id, now - kMailIntervalMs});
        if (!recent)
            s = recent.error();
        else if (recent->next()) {
            qCInfo(lcResets) << "password reset mail not sent: one went to account" << account->id
                             << "less than 5 minutes ago";
            return;
        }
    }
    if (s) {
        auto q = execSql(
                tx.db(),
                QStringLiteral("INSERT INTO password_resets (id, user_id, token_hash, created_at, "
                               "expires_at) VALUES (?, ?, ?, ?, ?)"),
                {Ids::newId(), account->id, Ids::tokenHash(token), now, now + kLifetimeMs});
        if (!q)
            s = q.error();
    }
    if (s) {
        if (auto id = MailOutboxTable::add(tx.db(), mail); !id)
            s = id.error();
    }
    if (s)
        s = tx.commit();
    if (!s) {
        qCWarning(lcResets).noquote() << "reset token not stored:" << s.error().detail;
        return;
    }
    m_shop.mail().wake();
    qCInfo(lcResets) << "password reset mail queued for account" << account->id;
}

Status PasswordResets::reset(const QString &token, const QString &newPassword)
{
    // The policy's checks that need no account first, so a bad password spends no token.
    if (auto problems = Accounts::passwordProblems(QStringLiteral("newPassword"), newPassword, {});
        !problems.isEmpty())
        return Error{ErrorCode::Validation, problems.first().message, problems};
    if (token.isEmpty() || token.size() > 200)
        return invalidToken();

    const qint64 now = Clock::nowMs();
    auto found = execSql(
            m_shop.database().connection(),
            QStringLiteral("SELECT r.id, r.user_id, u.email, u.status FROM password_resets r "
                           "JOIN users u ON u.id = r.user_id WHERE r.token_hash = ? AND "
                           "r.used_at IS NULL AND r.expires_at > ?"),
            {Ids::tokenHash(token), now});
    if (!found)
        return found.error();
    if (!found->next() || found->value(3).toString() == QLatin1String("disabled"))
        return invalidToken();
    const QString resetId = found->value(0).toString();
    const QString userId = found->value(1).toString();
    const QString email = found->value(2).toString();
    if (auto problems
        = Accounts::passwordProblems(QStringLiteral("newPassword"), newPassword, email);
        !problems.isEmpty())
        return Error{ErrorCode::Validation, problems.first().message, problems};

    const QString hash = Passwords::hash(newPassword, m_shop.settings().passwordHashLogN);
    if (hash.isEmpty())
        return makeError(ErrorCode::Internal, QStringLiteral("could not hash the password"));

    Transaction tx(m_shop.database());
    if (auto s = tx.begin(); !s)
        return s;
    // Conditional: of two concurrent resets with one token, one wins.
    auto used = execSql(tx.db(),
                        QStringLiteral("UPDATE password_resets SET used_at = ? WHERE id = ? AND "
                                       "used_at IS NULL AND expires_at > ?"),
                        {now, resetId, now});
    if (!used)
        return used.error();
    if (used->numRowsAffected() != 1)
        return invalidToken();
    // Other links still in the user's mailbox die with this reset.
    auto others
            = execSql(tx.db(),
                      QStringLiteral("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND "
                                     "used_at IS NULL"),
                      {now, userId});
    if (!others)
        return others.error();
    auto stored
            = execSql(tx.db(), QStringLiteral("UPDATE users SET password_hash = ? WHERE id = ?"),
                      {hash, userId});
    if (!stored)
        return stored.error();
    if (auto s = Accounts::revokeAllSessions(tx.db(), userId); !s)
        return s;
    if (auto s = tx.commit(); !s)
        return s;
    qCInfo(lcResets) << "password reset for account" << userId;
    return Ok{};
}

} // namespace Mercato
