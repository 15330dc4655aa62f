// Pure rules of the web shop, with no page, network or browser state: what the checkout offers
// in coins, and how the catalogue's address maps to its API query. Node's test runner checks
// them (tests/storefront).

// The coins a checkout may use: the balance, within the store's share of the subtotal (the
// server applies the same cap and says what it held).
export function coinCap(subtotalCents, balance, { coinValueCents, maxCoinDiscountPercent }) {
  if (!(coinValueCents > 0)) return 0; // coins worth nothing are not spent
  const byShare = Math.floor((subtotalCents * maxCoinDiscountPercent) / 100 / coinValueCents);
  return Math.max(0, Math.min(balance, byShare));
}

// `?a=1&b=x` of the non-empty values, in the order given; '' when none.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// A price typed in the major unit ("12.5") as minor units (1250); '' stays ''.
export function toCents(value) {
  return value === '' ? '' : Math.round(Number(value) * 100);
}

// The catalogue's state kept in its address (shareable, back-button safe).
export function catalogState(params) {
  const q = params.get('q') || '';
  return {
    q,
    sort: params.get('sort') || (q ? 'relevance' : 'newest'),
    inStock: params.get('inStock') === 'true',
    min: params.get('min') || '',
    max: params.get('max') || '',
    cursor: params.get('cursor') || '',
  };
}

// The API query for that state.
export function catalogQuery(state, limit) {
  return query({ q: state.q, sort: state.sort, inStock: state.inStock ? 'true' : '',
    minPriceCents: toCents(state.min), maxPriceCents: toCents(state.max), cursor: state.cursor, limit });
}

// How people name an order: its number ("#1001"); the id only for an order without one.
export function orderLabel(order) {
  return order.number ? `#${order.number}` : order.id;
}

// A tracking link the page may show: https only (the API refuses others, and the page does not
// trust that), else null.
export function trackingHref(url) {
  if (typeof url !== 'string' || !url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.hostname ? u.href : null;
  } catch {
    return null;
  }
}

// A postal address as the lines written on a parcel, empty parts left out.
export function addressLines(a) {
  if (!a) return [];
  const town = [a.postalCode, a.city].filter((p) => p && String(p).trim()).join(' ');
  return [a.name, a.line1, a.line2, town, a.region, a.country, a.phone]
    .filter((p) => p && String(p).trim()).map((p) => String(p).trim());
}

// Why a discount code does not apply, in plain words for the shopper, from the API's reason
// (the message of its 422 naming the code). `money` formats cents in the store's currency,
// `date` an RFC 3339 time; a reason not known here gets a general sentence, never the API's
// own wording.
export function discountReason(message, money, date) {
  const m = String(message || '');
  let g;
  if (/^no such discount code/i.test(m)) return 'There is no such discount code. Check how it is spelled.';
  if ((g = / starts at (\S+)$/.exec(m))) return `This code can only be used from ${date(g[1])}.`;
  if (/ has ended$/.test(m)) return 'This code has expired.';
  if (/ is used up$/.test(m)) return 'This code has been used as often as it may be.';
  if (/^you have used .* already$/i.test(m)) return 'You have already used this code; it can be used once per customer.';
  if (/ applies to none of the items/.test(m)) return 'This code is for another seller’s products: none of the items in your cart qualifies.';
  if ((g = / worth at least (\d+) cents$/.exec(m))) {
    return `This code needs at least ${money(Number(g[1]))} of its seller’s products in your cart.`;
  }
  return 'This code cannot be used on this order.';
}

// What a cart line may become: `product` is the product as GET /products/{id} gives it, null once
// it is no longer sold. `max` is the most the line may ask for (0: nothing can be ordered),
// `blocked` a line that stops the order as it is, `note` the plain words shown beside it.
export function cartLineStock(quantity, product) {
  if (!product) return { max: 0, blocked: true, note: 'No longer sold: remove it to place your order.' };
  const stock = Math.max(0, Number(product.stock) || 0);
  const max = Math.min(99, stock);
  if (!product.inStock || stock === 0) return { max: 0, blocked: true, note: 'Sold out: remove it to place your order.' };
  if (quantity > stock) {
    return { max, blocked: true, note: `Only ${stock} left: reduce the quantity to ${stock} or fewer to place your order.` };
  }
  return { max, blocked: false, note: stock <= 5 ? `Only ${stock} left.` : '' };
}

// The checkout's refusal for short lines (a 409 whose errors are `items.{productId}`), in plain
// words with the products' names; null for any other problem.
export function shortLinesText(problem, names) {
  const errors = ((problem && problem.errors) || []).filter((e) => /^items\./.test(e.field));
  if (!errors.length) return null;
  return errors.map((e) => {
    const name = names[e.field.slice('items.'.length)] || 'A product in your cart';
    const g = /(\d+) requested, (\d+) in stock$/.exec(e.message || '');
    if (!g) return `${name} is no longer sold: remove it from your cart.`;
    const left = Number(g[2]);
    return left > 0 ? `${name}: only ${left} left, and you asked for ${g[1]}. Reduce the quantity to ${left} or fewer.`
      : `${name} is sold out: remove it from your cart.`;
  }).join(' ');
}
