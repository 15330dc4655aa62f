#include "avatars.h"

#include "clock.h"
#include "imagestore.h"
#include "shop.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcAvatars, "mercato.accounts.avatar")

namespace Mercato {

Result<QString> Avatars::swap(const QString &userId, const QString &key, const QString &url)
{
    // Compare-and-set on the old key (the same SQL on both engines): of two concurrent
    // uploads each replaces what it read, so no picture is orphaned.
    for (int attempt = 0; attempt < 5; ++attempt) {
        QSqlDatabase db = m_shop.database().connection();
        auto current = execSql(db, QStringLiteral("SELECT avatar_key FROM users WHERE id = ?"),
                               {userId});
        if (!current)
            return current.error();
        if (!current->next())
            return makeError(ErrorCode::NotFound, QStringLiteral("no such account"));
        const QString old = current->value(0).toString();
        auto q = execSql(
                db,
                QStringLiteral("UPDATE users SET avatar_key = ?, avatar_url = ?, updated_at = ? "
                               "WHERE id = ? AND COALESCE(avatar_key, '-') = ?"),
                {key.isEmpty() ? QVariant() : QVariant(key),
                 url.isEmpty() ? QVariant() : QVariant(url), Clock::nowMs(), userId,
                 old.isEmpty() ? QStringLiteral("-") : old}); // '-' is no store key
        if (!q)
            return q.error();
        if (q->numRowsAffected() == 1)
            return old;
    }
    return makeError(ErrorCode::Conflict,
                     QStringLiteral("the picture changed meanwhile; try again"));
}

void Avatars::removeQuietly(const QString &key)
{
    if (key.isEmpty())
        return;
    if (auto s = m_shop.images().remove(key); !s)
        qCWarning(lcAvatars).noquote() << "could not remove an old picture:" << s.error().detail;
}

Result<QString> Avatars::set(const QString &userId, const QByteArray &bytes,
                             const QString &declaredType)
{
    auto type = checkImage(bytes, declaredType);
    if (!type)
        return type.error();
    auto clean = stripMetadata(bytes, type.value()); // no camera or GPS data is kept
    if (!clean)
        return clean.error();
    auto stored = m_shop.images().store(clean.value(), type.value());
    if (!stored)
        return stored.error();
    auto old = swap(userId, stored->key, stored->url);
    if (!old) {
        removeQuietly(stored->key);
        return old.error();
    }
    removeQuietly(old.value());
    return stored->url;
}

Status Avatars::clear(const QString &userId)
{
    auto old = swap(userId, {}, {});
    if (!old)
        return old.error();
    removeQuietly(old.value());
    return Ok{};
}

} // namespace Mercato
