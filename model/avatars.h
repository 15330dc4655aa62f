#pragma once
// Profile pictures: the image goes to the shop's ImageStore (local or Cloudinary), the
// account keeps its URL and store key, and the picture it replaces is removed.

#include "result.h"

#include <QByteArray>
#include <QString>

namespace Mercato {

class Shop;

class Avatars
{
public:
    explicit Avatars(Shop &shop)
        : m_shop(shop)
    {}

    // Checks the image (415/422), stores it, points the account at it and removes the old
    // one; returns the new URL. 404 when the account is gone.
    Result<QString> set(const QString &userId, const QByteArray &bytes,
                        const QString &declaredType);
    // Removes the picture, if any.
    Status clear(const QString &userId);

private:
    // Points the account at `key`/`url` (empty: none); returns the key it replaced.
    Result<QString> swap(const QString &userId, const QString &key, const QString &url);
    void removeQuietly(const QString &key);

    Shop &m_shop;
};

} // namespace Mercato
