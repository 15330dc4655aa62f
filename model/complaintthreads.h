#pragma once
// The customer's side of a complaint thread after opening it (the sellers' side is
// Complaints::reply and Complaints::resolve).

#include "complaints.h"

namespace Mercato {

class Shop;

namespace ComplaintThreads {

// The complaint's customer writes again: an `answered` complaint is `open` again, a resolved
// one is a Conflict, another customer's is NotFound; the sellers who see the complaint are
// notified (`complaint.message`).
Result<Complaint> customerMessage(Shop &shop, const QString &customerId, const QString &id,
                                  const QString &message);

} // namespace ComplaintThreads
} // namespace Mercato
