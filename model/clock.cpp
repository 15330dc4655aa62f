#include "clock.h"

#include <atomic>

namespace Mercato::Clock {

namespace {
std::atomic<qint64> s_offset{0};
std::atomic<bool> s_fixed{false};
} // namespace

qint64 nowMs()
{
    const qint64 base
            = s_fixed.load(std::memory_order_relaxed) ? 0 : QDateTime::currentMSecsSinceEpoch();
    return base + s_offset.load(std::memory_order_relaxed);
}

QDateTime nowUtc()
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

void advanceForTesting(qint64 ms)
{
    s_offset.fetch_add(ms);
}

void fixForTesting(qint64 ms)
{
    s_offset.store(ms);
    s_fixed.store(true);
}

void resetForTesting()
{
    s_fixed.store(false);
    s_offset.store(0);
}

QString toRfc3339(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

} // namespace Mercato::Clock
