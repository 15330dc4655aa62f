#include "shop.h"

#include "cursor.h"

namespace Mercato {

Shop::Shop(ShopOptions options)
    : m_options(std::move(options))
    , m_database(std::make_unique<Database>(m_options.database))
    , m_tokens(m_options.jwtKey)
{
    Cursor::setKey(m_options.jwtKey);
}

Shop::~Shop() = default;

Status Shop::open()
{
    return m_database->open();
}

} // namespace Mercato
