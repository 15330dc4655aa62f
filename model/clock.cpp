#include "clock.h"

#include <atomic>

namespace Mercato::Clock {

namespace {
std::atomic<qint64> s_offset{0};
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch() + s_offset.load(std::memory_order_relaxed);
}

QDateTime nowUtc()
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

void advanceForTesting(qint64 ms)
{
    s_offset.fetch_add(ms);
}

void resetForTesting()
{
    s_offset.store(0);
}

QString toRfc3339(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

} // namespace Mercato::Clock
