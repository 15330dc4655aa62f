#pragma once
// The time source of every rule that depends on "now"; tests move it.

#include <QDateTime>

namespace Mercato::Clock {

qint64 nowMs();
QDateTime nowUtc();
// Tests only: shift "now" by `ms` (cumulative). Thread-safe.
void advanceForTesting(qint64 ms);
// Tests only: stop the clock at `ms` (epoch milliseconds); advanceForTesting still moves it and
// resetForTesting lets it run again from the real time.
void fixForTesting(qint64 ms);
void resetForTesting();
// RFC 3339 UTC text of an epoch-milliseconds value (`2026-11-24T19:20:00Z`).
QString toRfc3339(qint64 ms);

} // namespace Mercato::Clock
