#include "consoleworker.h"

#include "model/database.h"

namespace Mercato {

ConsoleWorker::ConsoleWorker(Database &database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{
    // One thread that never expires: it keeps its database connection between tasks.
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1);
    m_pool.setObjectName(QStringLiteral("console worker"));
}

ConsoleWorker::~ConsoleWorker()
{
    m_pool.start([this] { m_database.releaseThreadConnection(); });
    m_pool.waitForDone();
}

} // namespace Mercato
