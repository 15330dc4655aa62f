#pragma once
// Which threads hold a connection of a Database right now, for the pool gauge of /metrics.

#include <QStringList>

namespace Mercato {

class Database;

// One entry per open per-thread connection: the owning thread's name (`thread` if unnamed).
QStringList connectionThreads(const Database &database);

} // namespace Mercato
