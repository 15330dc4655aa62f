#pragma once
// The packing slip of one seller's part of an order: a printable HTML page (the API serves it,
// the console prints it) with the order, the customer and the seller's own lines.

#include <QString>

namespace Mercato {

struct Order;

// `sellerView` is the order as its seller sees it (only its own lines). Every text a person
// typed is HTML-escaped.
QString packingSlipHtml(const Order &sellerView);

} // namespace Mercato
