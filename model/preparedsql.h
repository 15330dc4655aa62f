#pragma once
// Statements of hot paths (the checkout, sign-in checks) prepared once per connection and
// reused, instead of being parsed and planned again on every request. The cache belongs to the
// connection's driver: it goes when the connection is closed, reopened or removed.

#include "database.h"

namespace Mercato {

// Like execSql, but `sql` is prepared once per connection (the calling thread's) and reused.
// The answer is the cached statement itself (owned by the cache): read what you need, then
// call finish() on it (a SQLite write with RETURNING stays active until then), before the
// same SQL text runs again on this connection. Never hold two answers of one SQL text at once.
Result<QSqlQuery *> execPrepared(const QSqlDatabase &db, const QString &sql,
                                 const QVariantList &binds = {});

// How many Transactions the calling thread has begun and not yet ended.
int openTransactionsOnThisThread();

} // namespace Mercato
