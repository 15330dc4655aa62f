#pragma once
// Demo data for a first look at Mercato: `--demo` fills an *empty* store (no accounts yet) with
// three sellers, two customers and 200 products with generated pictures and stock, some of it
// low (with their stock.low notifications), shipping options, addresses, payment instructions
// and orders in every state, made through the same services as the API's. A store that
// already has accounts is left untouched, so the flag is safe to keep on a live shop.

#include "result.h"

#include <QString>

namespace Mercato {

class Shop;

struct DemoAccount
{
    QString email;
    QString password;
    QString role;
};

namespace Demo {

// The accounts --demo creates, with their passwords (documented in the README).
QList<DemoAccount> accounts();

// True when something was seeded, false when the store already had accounts. `ownerId`: an
// account that does not count (the first-run wizard's owner, created just before).
Result<bool> seed(Shop &shop, const QString &ownerId = {});

} // namespace Demo
} // namespace Mercato
