#include "shop.h"

#include "cursor.h"

namespace Mercato {

Shop::Shop(ShopOptions options)
    : m_options(std::move(options))
    , m_database(std::make_unique<Database>(m_options.database))
    , m_tokens(m_options.jwtKey)
    , m_images(std::make_unique<LocalImageStore>(m_options.dataDir + QStringLiteral("/media"),
                                                 m_options.settings.publicUrl))
{
    Cursor::setKey(m_options.jwtKey);
}

Shop::~Shop() = default;

Status Shop::open()
{
    return m_database->open();
}

} // namespace Mercato
