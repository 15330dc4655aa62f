// The web shop's pure rules under Node's test runner: the checkout's coin cap, the money
// format, and the catalogue's address as an API query.
import test from 'node:test';
import assert from 'node:assert/strict';
import { coinCap, query, toCents, catalogState, catalogQuery, orderLabel, trackingHref, addressLines, discountReason, cartLineStock, shortLinesText } from '../../resources/storefront/assets/rules.js';
import { money, setCurrency } from '../../resources/storefront/assets/ui.js';

const store = { coinValueCents: 1, maxCoinDiscountPercent: 50 };

test('coins are capped by the balance and by the share of the subtotal', () => {
  assert.equal(coinCap(5000, 10, store), 10);
  assert.equal(coinCap(5000, 9000, store), 2500);
  assert.equal(coinCap(999, 9000, store), 499); // rounded down
  assert.equal(coinCap(5000, 0, store), 0);
  assert.equal(coinCap(5000, 9000, { coinValueCents: 3, maxCoinDiscountPercent: 50 }), 833);
  assert.equal(coinCap(5000, 9000, { coinValueCents: 1, maxCoinDiscountPercent: 0 }), 0);
});

test('coins worth nothing are never spent', () => {
  assert.equal(coinCap(5000, 100, { coinValueCents: 0, maxCoinDiscountPercent: 50 }), 0);
  assert.equal(coinCap(5000, 100, { coinValueCents: undefined, maxCoinDiscountPercent: 50 }), 0);
});

test('money is shown in the currency, from minor units, never through floats that drift', () => {
  setCurrency('USD');
  assert.equal(money(4990).replace(/\s/g, ''), '$49.90');
  assert.equal(money(1).replace(/\s/g, ''), '$0.01');
  assert.equal(money(1999999999).replace(/[\s,]/g, ''), '$19999999.99');
  // A currency without minor units.
  assert.match(money(500, 'JPY'), /500/);
});

test('a query keeps the non-empty values only', () => {
  assert.equal(query({}), '');
  assert.equal(query({ q: '', cursor: null, limit: undefined }), '');
  assert.equal(query({ q: 'tea & cake', limit: 8 }), '?q=tea+%26+cake&limit=8');
  assert.equal(query({ inStock: 'true', sort: 'price' }), '?inStock=true&sort=price');
});

test('prices typed in the major unit become minor units', () => {
  assert.equal(toCents(''), '');
  assert.equal(toCents('12.5'), 1250);
  assert.equal(toCents('0.29'), 29); // 0.29 * 100 is 28.999... in binary
  assert.equal(toCents('19.99'), 1999);
});

test('the catalogue address maps to the API query and back', () => {
  const state = catalogState(new URLSearchParams('q=lamp&min=5&max=20.5&inStock=true&cursor=abc'));
  assert.deepEqual(state, { q: 'lamp', sort: 'relevance', inStock: true, min: '5', max: '20.5', cursor: 'abc' });
  assert.equal(catalogQuery(state, 8),
    '?q=lamp&sort=relevance&inStock=true&minPriceCents=500&maxPriceCents=2050&cursor=abc&limit=8');
  const plain = catalogState(new URLSearchParams(''));
  assert.equal(plain.sort, 'newest');
  assert.equal(catalogQuery(plain, 8), '?sort=newest&limit=8');
  assert.equal(catalogState(new URLSearchParams('sort=-price')).sort, '-price');
  assert.equal(catalogState(new URLSearchParams('inStock=maybe')).inStock, false);
});

test('orders are named by their number, the id only when there is none', () => {
  assert.equal(orderLabel({ id: 'ab12', number: 1001 }), '#1001');
  assert.equal(orderLabel({ id: 'ab12', number: null }), 'ab12');
});

test('only https tracking links are shown', () => {
  assert.equal(trackingHref('https://track.example/JD0142?x=1'), 'https://track.example/JD0142?x=1');
  assert.equal(trackingHref('http://track.example/JD0142'), null);
  assert.equal(trackingHref('javascript:alert(1)'), null);
  assert.equal(trackingHref('data:text/html,<b>x</b>'), null);
  assert.equal(trackingHref('//track.example/x'), null);
  assert.equal(trackingHref(''), null);
  assert.equal(trackingHref(null), null);
});

test('an address is shown line by line, empty parts left out', () => {
  assert.deepEqual(addressLines({ name: 'Erika', line1: 'Hauptstrasse 5', line2: null, city: 'Berlin',
    region: '', postalCode: '10115', country: 'DE', phone: null }), ['Erika', 'Hauptstrasse 5', '10115 Berlin', 'DE']);
  assert.deepEqual(addressLines({ name: 'Al', line1: '1 Bay Rd', city: 'Doha', country: 'QA' }), ['Al', '1 Bay Rd', 'Doha', 'QA']);
  assert.deepEqual(addressLines(null), []);
});

test('a discount code that does not apply is explained in plain words', () => {
  const money = (c) => `€${(c / 100).toFixed(2)}`;
  const date = (iso) => iso.slice(0, 10);
  const say = (m) => discountReason(m, money, date);
  assert.match(say('no such discount code'), /no such discount code/);
  assert.equal(say('SPRING starts at 2027-03-01T00:00:00Z'), 'This code can only be used from 2027-03-01.');
  assert.equal(say('SPRING has ended'), 'This code has expired.');
  assert.match(say('SPRING is used up'), /used as often/);
  assert.match(say('the discount code is used up'), /used as often/);
  assert.match(say('you have used SPRING already'), /already used this code/);
  assert.match(say('SPRING applies to none of the items in the cart'), /none of the items in your cart/);
  assert.equal(say('SPRING needs items of its seller worth at least 2500 cents'),
    'This code needs at least €25.00 of its seller’s products in your cart.');
  for (const m of ['discountCode must be 1 to 64 characters', '', undefined]) {
    const s = say(m);
    assert.doesNotMatch(s, /discountCode|cents|\{/);
  }
});

test('a cart line never asks for more than the stock, and says why it stops the order', () => {
  assert.deepEqual(cartLineStock(2, { stock: 40, inStock: true }), { max: 40, blocked: false, note: '' });
  assert.deepEqual(cartLineStock(2, { stock: 3, inStock: true }), { max: 3, blocked: false, note: 'Only 3 left.' });
  assert.equal(cartLineStock(200, { stock: 500, inStock: true }).max, 99);
  const short = cartLineStock(4, { stock: 2, inStock: true });
  assert.equal(short.blocked, true);
  assert.match(short.note, /^Only 2 left: reduce the quantity to 2/);
  assert.deepEqual(cartLineStock(1, { stock: 0, inStock: false }), { max: 0, blocked: true, note: 'Sold out: remove it to place your order.' });
  assert.match(cartLineStock(1, null).note, /^No longer sold/);
});

test('the checkout names short lines by their product, in plain words', () => {
  const problem = { errors: [{ field: 'items.p1', message: 'Sencha: 3 requested, 1 in stock' },
    { field: 'items.p2', message: 'is no longer sold' }, { field: 'items.p3', message: 'Mug: 2 requested, 0 in stock' }] };
  const s = shortLinesText(problem, { p1: 'Sencha', p2: 'Kettle', p3: 'Mug' });
  assert.equal(s, 'Sencha: only 1 left, and you asked for 3. Reduce the quantity to 1 or fewer. '
    + 'Kettle is no longer sold: remove it from your cart. Mug is sold out: remove it from your cart.');
  assert.doesNotMatch(s, /items\.|p1|requested/);
  assert.equal(shortLinesText({ errors: [{ field: 'coinsToUse', message: 'x' }] }, {}), null);
  assert.equal(shortLinesText({}, {}), null);
});
