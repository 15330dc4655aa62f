#pragma once
// The numbers people see of orders (#1001), for lists that hold only the orders' ids.

#include "database.h"

#include <QHash>
#include <QStringList>

namespace Mercato::OrderNumbers {

// Each known id of `ids` with its number; unknown ids are left out.
Result<QHash<QString, qint64>> of(const QSqlDatabase &db, const QStringList &ids);

} // namespace Mercato::OrderNumbers
