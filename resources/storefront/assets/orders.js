// Cart, checkout with coins and shipping, orders (history, cancel, pay), refund requests and complaints
// with photos, notifications.
import { get, post, put, del, api, text, reloadUser, query } from './api.js';
import { h, mount, money, when, field, flash, showProblem, statusLabel } from './ui.js';
import { navigate, requireSignIn, store, refreshBadges } from './shell.js';
import { coinCap, orderLabel, trackingHref, addressLines, discountReason, cartLineStock, shortLinesText } from './rules.js';

const enc = encodeURIComponent;


export async function cartPage() {
  if (!requireSignIn()) return 'Sign in';
  const [cart, me, shipping, book] = await Promise.all([get('/cart'), reloadUser(),
    get('/shipping-options'), get('/me/addresses')]);
  if (!cart.items.length) {
    mount(h('h1', {}, 'Your cart'), h('p', { class: 'empty' }, 'Your cart is empty. ', h('a', { href: '/shop' }, 'Browse the products')));
    return 'Cart';
  }
  const currency = store().currency;
  // Each line's stock, read from the product (a product no longer sold is a 404).
  const products = await Promise.all(cart.items.map((item) => get(`/products/${enc(item.productId)}`)
    .catch((err) => { if (err.status === 404) return null; throw err; })));
  const names = Object.fromEntries(cart.items.map((i) => [i.productId, i.name]));
  const lines = cart.items.map((item, n) => ({ item, ...cartLineStock(item.quantity, products[n]) }));
  const rows = lines.map(({ item, max, blocked, note }) => {
    const qty = h('input', { type: 'number', min: 1, max: Math.max(1, max), value: item.quantity, id: `q-${item.productId}`,
      class: 'qty', inputmode: 'numeric', disabled: max === 0, 'aria-describedby': `s-${item.productId}` });
    const stockNote = h('span', { class: `stock-note${blocked ? ' bad' : ''}`, id: `s-${item.productId}` }, note);
    qty.addEventListener('change', async () => {
      let wanted = Math.floor(Number(qty.value) || 1);
      if (wanted > max) {
        // More than there is: the most there is, and why.
        wanted = max;
        qty.value = max;
        stockNote.textContent = `Only ${max} left.`;
        stockNote.classList.remove('bad');
        flash(`Only ${max} of ${item.name} left: your cart holds ${max}.`, 'info');
      }
      if (wanted < 1) { wanted = 1; qty.value = 1; }
      try {
        await put(`/cart/items/${enc(item.productId)}`, { quantity: wanted });
        document.dispatchEvent(new CustomEvent('cart-changed'));
        if (wanted !== item.quantity) navigate('/shop/cart', { replace: true });
      } catch (err) { flash(err.message, 'error'); }
    });
    return h('tr', { class: blocked ? 'unavailable' : null },
      h('td', {}, h('a', { href: `/shop/products/${enc(item.productId)}` }, item.name), h('br'), stockNote),
      h('td', { class: 'num' }, money(item.unitPriceCents, currency)),
      h('td', {}, h('label', { for: `q-${item.productId}`, class: 'sr' }, `Quantity of ${item.name}`), qty),
      h('td', { class: 'num' }, money(item.lineTotalCents, currency)),
      h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${item.name}`, onclick: async () => {
        await del(`/cart/items/${enc(item.productId)}`);
        document.dispatchEvent(new CustomEvent('cart-changed'));
        navigate('/shop/cart', { replace: true });
      } }, 'Remove')));
  });
  const blockedLines = lines.filter((l) => l.blocked);
  const capText = h('p', { id: 'coin-cap' });
  const coinsInput = h('input', { id: 'coins', name: 'coinsToUse', type: 'number', min: 0, inputmode: 'numeric' });
  // The coins allowed: a share of the subtotal after the code's amount (the server's rule).
  let cap = 0;
  const setCap = (codeCents) => {
    const was = cap;
    cap = coinCap(cart.subtotalCents - codeCents, me.coins, store());
    coinsInput.max = cap;
    capText.dataset.cap = cap;
    capText.textContent = `You have ${me.coins} coins. Coins pay at most ${store().maxCoinDiscountPercent}% of an order${codeCents ? ' after its discount code' : ''}: you can use up to ${cap} here.`;
    if (coinsInput.value === '' || Number(coinsInput.value) === was) coinsInput.value = cap;
  };
  setCap(0);
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  // Delivery, once the store has shipping options: a saved address or a new one, and an option.
  const delivery = shipping.items.length ? deliveryFields(shipping.items, book.items, currency) : null;
  const coinsWanted = () => Math.max(0, Math.min(cap, Math.floor(Number(coinsInput.value) || 0)));
  const codes = discountField();
  let shown = 0;
  // Every change is priced by the server as the order would be (GET /cart's preview): the
  // code's amount, the coins, shipping and the tax the total contains.
  const update = async () => {
    const used = coinsWanted();
    const turn = ++shown;
    const where = delivery ? delivery.previewQuery() : {};
    const ask = (code, place) => get(`/cart${query({ ...place, coinsToUse: used, discountCode: code })}`);
    // With the delivery chosen, else (an incomplete address) priced without shipping.
    const attempt = async (code) => {
      try {
        return await ask(code, where);
      } catch (err) {
        if (!delivery || codeProblem(err) !== null) throw err;
      }
      return ask(code, {});
    };
    const tried = codes.pending();
    let preview = null;
    try {
      preview = await attempt(tried);
      if (turn !== shown) return;
      if (tried) codes.accepted(tried);
    } catch (err) {
      if (turn !== shown) return;
      const reason = tried ? codeProblem(err) : null;
      if (reason !== null) {
        // Refused: the reason beside the field, the totals without the code.
        codes.refused(reason);
        preview = await attempt(undefined).catch(() => null);
        if (turn !== shown) return;
      } else if (tried) codes.refused('The code could not be checked just now. Try again.');
    }
    const codeCents = preview ? amountOf(preview, 'code') : 0;
    if (cap !== coinCap(cart.subtotalCents - codeCents, me.coins, store())) {
      setCap(codeCents);
      update();
      return;
    }
    const coinsUsed = preview ? preview.coinsUsed : used;
    const coinCents = preview ? amountOf(preview, 'coins') : used * store().coinValueCents;
    const shippingCents = preview ? preview.shippingCents : 0;
    const total = preview ? preview.totalCents : cart.subtotalCents - coinCents;
    const applied = preview && codeCents ? preview.discounts.find((d) => d.kind === 'code') : null;
    summary.replaceChildren(...[h('span', {}, `Subtotal ${money(cart.subtotalCents, currency)}`), h('br'),
      applied ? [h('span', { id: 'code-discount', 'data-cents': codeCents }, `Discount code ${applied.code} (−\u2060${money(codeCents, currency)})`), h('br')] : null,
      h('span', { id: 'coins-used', 'data-coins': coinsUsed }, `Coins used ${coinsUsed} (−\u2060${money(coinCents, currency)})`), h('br'),
      delivery ? [h('span', { id: 'shipping-cost', 'data-cents': shippingCents }, `Shipping ${money(shippingCents, currency)}`), h('br')] : null,
      h('strong', { id: 'order-total' }, `Total ${money(total, currency)}`),
      preview && preview.taxCents ? [h('br'), taxNote(preview.taxCents, currency, 'tax-included')] : null].flat().filter(Boolean));
  };
  codes.onChange(update);
  coinsInput.addEventListener('input', update);
  if (delivery) delivery.element.addEventListener('change', update);
  update();
  const checkout = h('form', { class: 'panel checkout', 'aria-labelledby': 'checkout-h' },
    h('h2', { id: 'checkout-h' }, 'Checkout'),
    capText,
    h('div', { class: 'field' }, h('label', { for: 'coins' }, 'Coins to use'), coinsInput, h('span', { class: 'field-error', 'data-for': 'coinsToUse' })),
    codes.element,
    delivery ? delivery.element : null,
    summary,
    blockedLines.length ? h('p', { class: 'form-error', id: 'cart-blocked', role: 'alert' },
      `${blockedLines.map((l) => l.item.name).join(', ')} cannot be ordered as it is: remove ${blockedLines.length === 1 ? 'it' : 'them'} or reduce the quantity to place your order.`) : null,
    h('button', { type: 'submit', disabled: blockedLines.length > 0, 'aria-describedby': blockedLines.length ? 'cart-blocked' : null }, 'Place order'));
  checkout.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = checkout.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
      const body = { coinsToUse: Math.max(0, Math.floor(Number(coinsInput.value) || 0)), discountCode: codes.forOrder(),
        ...(delivery ? await delivery.choice() : {}) };
      const order = await post('/orders', body, { 'Idempotency-Key': key });
      refreshBadges();
      navigate(`/shop/orders/${enc(order.id)}/thanks`);
    } catch (err) {
      button.disabled = false;
      const problem = err.problem || { detail: err.message };
      if (err.status === 409 && !problem.errors) problem.detail = problem.detail || 'Some items are no longer available.';
      const short = err.status === 409 ? shortLinesText(problem, names) : null;
      if (short !== null) {
        // Stock ran out since the cart was shown: which product, in plain words.
        showProblem(checkout, { detail: short });
        return;
      }
      const reason = codeProblem(err);
      if (reason !== null) {
        // A code typed but not applied, or one used up since the preview: say why beside it.
        problem.errors = problem.errors.filter((x) => x.field !== 'discountCode');
        problem.detail = 'The discount code cannot be used on this order: clear it or try another one.';
        showProblem(checkout, problem);
        codes.refused(reason);
      } else showProblem(checkout, problem);
    }
  });
  mount(h('h1', {}, 'Your cart'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'lines' },
      h('caption', { class: 'sr' }, 'Items in your cart'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col' }, 'Quantity'), h('th', { scope: 'col', class: 'num' }, 'Total'), h('th', { scope: 'col' }, h('span', { class: 'sr' }, 'Actions')))),
      h('tbody', {}, rows))),
    checkout);
  return 'Cart';
}

// "includes €1.23 tax": prices contain their tax, the total says how much (nothing in a store
// that charges none).
function taxNote(cents, currency, id) {
  if (!cents) return null;
  return h('span', { class: 'tax', id, 'data-cents': cents }, `includes ${money(cents, currency)} tax`);
}

function amountOf(priced, kind) {
  return (priced.discounts || []).filter((d) => d.kind === kind).reduce((s, d) => s + d.amountCents, 0);
}

// The plain-words reason when the API refused the discount code (its 422 names the code);
// null for any other problem.
function codeProblem(err) {
  const errors = (err && err.status === 422 && err.problem && err.problem.errors) || [];
  const mine = errors.find((x) => x.field === 'discountCode');
  return mine ? discountReason(mine.message, (c) => money(c, store().currency), when) : null;
}

// The discount code part of the checkout: the field, Apply, and once a code applies, Remove.
// The code is only held as applied after the server priced the cart with it.
function discountField() {
  const input = h('input', { id: 'discount-code', name: 'discountCode', type: 'text', maxlength: 64, autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'discount-code-note' });
  const note = h('p', { id: 'discount-code-note', class: 'code-note', 'aria-live': 'polite' });
  let applied = null;
  let pending;
  let changed = () => {};
  const apply = h('button', { type: 'button', class: 'secondary', id: 'apply-code' }, 'Apply');
  const remove = h('button', { type: 'button', class: 'link', id: 'remove-code', hidden: true }, 'Remove code');
  // A new state of the code ends a checkout error about the old one.
  const clearBanner = () => {
    const banner = input.closest('form') && input.closest('form').querySelector('.form-error');
    if (banner) banner.textContent = '';
  };
  const show = (message, bad) => {
    note.textContent = message;
    note.classList.toggle('bad', bad);
    if (bad) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  const tryCode = () => {
    const code = input.value.trim();
    if (!code) { show('Type a discount code first.', true); return; }
    if (code.length > 64) { show('There is no such discount code. Check how it is spelled.', true); return; }
    pending = code;
    show('Checking the code…', false);
    changed();
  };
  apply.addEventListener('click', tryCode);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); tryCode(); } });
  remove.addEventListener('click', () => {
    applied = null;
    pending = undefined;
    input.value = '';
    input.readOnly = false;
    remove.hidden = true;
    apply.hidden = false;
    show('', false);
    clearBanner();
    changed();
    input.focus();
  });
  const element = h('div', { class: 'field code' }, h('label', { for: 'discount-code' }, 'Discount code'),
    h('div', { class: 'code-row' }, input, apply, remove), note);
  return {
    element,
    onChange: (fn) => { changed = fn; },
    // The code to price the cart with: the one being tried, else the applied one.
    pending: () => (pending !== undefined ? pending : applied) || undefined,
    // What the order asks for: the applied code, else one typed but not applied yet (the
    // server then says whether it applies), never silently dropped.
    forOrder: () => applied || input.value.trim() || undefined,
    accepted: (code) => {
      if (!code || code === applied) { pending = undefined; return; }
      applied = code;
      pending = undefined;
      input.value = code.toUpperCase();
      input.readOnly = true;
      apply.hidden = true;
      remove.hidden = false;
      show(`Code ${code.toUpperCase()} applied.`, false);
      clearBanner();
    },
    refused: (reason) => {
      applied = null;
      pending = undefined;
      input.readOnly = false;
      apply.hidden = false;
      remove.hidden = true;
      show(reason, true);
    },
  };
}

// The delivery part of the checkout form: where to (a saved address, or a new one typed in)
// and how (the options that ship there).
function deliveryFields(options, addresses, currency) {
  const NEW = '';
  const saved = addresses.map((a) => [a.id, [a.name, a.line1, a.city, a.country].join(', ')]);
  const preferred = addresses.find((a) => a.isDefault) || addresses[0];
  const where = field('Ship to', { tag: 'select', name: 'shippingAddressId', id: 'ship-address',
    options: [...saved, [NEW, 'A new address']], value: preferred ? preferred.id : NEW });
  const inputs = {};
  const line = (label, name, attrs = {}) => {
    const f = field(label, { name: `shippingAddress.${name}`, id: `ship-${name}`, maxlength: 200, ...attrs });
    inputs[name] = f.querySelector('input');
    return f;
  };
  const fresh = h('div', { id: 'new-address' },
    line('Recipient name', 'name', { autocomplete: 'name' }),
    line('Street and number', 'line1', { autocomplete: 'address-line1' }),
    line('Address line 2 (optional)', 'line2', { autocomplete: 'address-line2' }),
    line('City', 'city', { autocomplete: 'address-level2' }),
    line('Region (optional)', 'region', { autocomplete: 'address-level1' }),
    line('Postal code', 'postalCode', { autocomplete: 'postal-code' }),
    line('Country code (such as US or DE)', 'country', { autocomplete: 'country', maxlength: 2 }),
    line('Phone (optional)', 'phone', { type: 'tel', autocomplete: 'tel' }),
    h('div', { class: 'field check' }, h('input', { type: 'checkbox', id: 'ship-save', name: 'saveAddress', checked: true }),
      h('label', { for: 'ship-save' }, 'Save this address for next time')));
  const select = where.querySelector('select');
  const countryOf = () => {
    const a = addresses.find((x) => x.id === select.value);
    return a ? a.country : inputs.country.value.trim().toUpperCase();
  };
  const how = field('Shipping', { tag: 'select', name: 'shippingOptionId', id: 'ship-option', options: [] });
  const optionSelect = how.querySelector('select');
  const fillOptions = () => {
    const country = countryOf();
    const chosen = optionSelect.value;
    const fit = options.filter((o) => !country || !o.countries || o.countries.includes(country));
    optionSelect.replaceChildren(...fit.map((o) => h('option', { value: o.id, selected: o.id === chosen },
      `${o.name}: ${money(o.priceCents, currency)}${o.freeOverCents !== null ? ` (free from ${money(o.freeOverCents, currency)})` : ''}`
      + (o.estimatedDays ? `, ${o.estimatedDays.min === o.estimatedDays.max
        ? `${o.estimatedDays.min} day${o.estimatedDays.min === 1 ? '' : 's'}`
        : `${o.estimatedDays.min}–${o.estimatedDays.max} days`}` : ''))));
  };
  const sync = () => { fresh.hidden = select.value !== NEW; fillOptions(); };
  select.addEventListener('change', sync);
  inputs.country.addEventListener('input', fillOptions);
  sync();
  const element = h('fieldset', { class: 'delivery' }, h('legend', {}, 'Delivery'), where, fresh, how);
  const address = () => Object.fromEntries(Object.entries(inputs)
    .map(([k, el]) => [k, k === 'country' ? el.value.trim().toUpperCase() : el.value.trim()])
    .filter(([, v]) => v !== ''));
  const save = fresh.querySelector('#ship-save');
  return {
    element,
    // A new address is saved to the address book first when asked (its problems are named as
    // the order's would be), then the order ships to it.
    choice: async () => {
      const shippingOptionId = optionSelect.value || undefined;
      if (select.value !== NEW) return { shippingOptionId, shippingAddressId: select.value };
      if (!save.checked) return { shippingOptionId, shippingAddress: address() };
      try {
        const saved = await post('/me/addresses', address());
        return { shippingOptionId, shippingAddressId: saved.id };
      } catch (err) {
        if (err.problem && err.problem.errors) {
          err.problem.errors = err.problem.errors.map((e) => ({ ...e, field: `shippingAddress.${e.field}` }));
        }
        throw err;
      }
    },
    previewQuery: () => ({ shippingOptionId: optionSelect.value || undefined,
      ...(select.value !== NEW ? { shippingAddressId: select.value } : { country: /^[A-Z]{2}$/.test(countryOf()) ? countryOf() : undefined }) }),
  };
}

export async function ordersPage(params) {
  if (!requireSignIn()) return 'Sign in';
  const cursor = params.get('cursor') || '';
  const page = await get(`/orders${query({ cursor, limit: 20 })}`);
  mount(h('h1', {}, 'Your orders'),
    page.items.length ? h('ul', { class: 'orders' }, page.items.map((o) => h('li', { class: 'order-row' },
      h('a', { href: `/shop/orders/${enc(o.id)}` }, `Order ${orderLabel(o)} of ${when(o.createdAt)}`),
      h('span', { class: `status s-${o.status}` }, statusLabel(o.status)),
      h('span', { class: 'num' }, money(o.totalCents, o.currency)),
      h('span', { class: 'muted' }, o.items.map((i) => `${i.quantity} × ${i.name}`).join(', ')))))
      : h('p', { class: 'empty' }, 'No orders yet.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      cursor ? h('a', { href: '/shop/orders', class: 'button secondary' }, 'Newest orders') : null,
      page.nextCursor ? h('a', { href: `/shop/orders${query({ cursor: page.nextCursor })}`, class: 'button' }, 'Older orders') : null));
  return 'Orders';
}

async function payment(order, box) {
  const start = await post(`/orders/${enc(order.id)}/checkout`, {});
  if (start.provider === 'stripe') await cardForm(order, start, box);
  else box.replaceChildren(...howToPay(order, start));
}

// The date and time in the customer's own words and zone: "Monday, 7 December 2026 at 20:32".
function longWhen(iso) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso));
}

// What to pay, how, what to quote and by when (manual payment), as POST /checkout answered it.
function howToPay(order, start) {
  if (start.provider !== 'manual') {
    return [h('h2', {}, 'Payment'), h('p', { class: 'instructions' }, start.instructions || 'Nothing is left to pay.')];
  }
  return [h('h2', { id: 'pay-h' }, 'How to pay'),
    h('p', { class: 'instructions', id: 'pay-instructions' }, start.instructions || 'The seller will contact you about payment.'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Amount'), h('dd', { id: 'pay-amount' }, money(start.amountCents, start.currency)),
      h('dt', {}, 'Reference to quote'), h('dd', { id: 'pay-reference' }, start.reference),
      start.payBefore ? h('dt', {}, 'Pay by') : null,
      start.payBefore ? h('dd', {}, h('time', { id: 'pay-before', datetime: start.payBefore }, longWhen(start.payBefore))) : null),
    h('p', { class: 'muted' }, start.payBefore
      ? 'An order not paid by then is cancelled and its items go back on sale. Your order page shows it as paid once the seller confirms your payment.'
      : 'Your order page shows it as paid once the seller confirms your payment.')];
}

// Right after the order is placed: its number, and how to pay it.
export async function thanksPage(id) {
  if (!requireSignIn()) return 'Sign in';
  const o = await get(`/orders/${enc(id)}`);
  const label = orderLabel(o);
  const payBox = h('section', { class: 'panel pay', 'aria-live': 'polite', 'aria-labelledby': 'pay-h' });
  let start = null;
  if (o.status === 'pending_payment') {
    start = await post(`/orders/${enc(o.id)}/checkout`, {});
    if (start.provider === 'stripe') {
      // The card form lives on the order's page.
      navigate(`/shop/orders/${enc(o.id)}${query({ pay: '1' })}`, { replace: true });
      return 'Order';
    }
    payBox.replaceChildren(...howToPay(o, start));
  }
  const lines = addressLines(o.shippingAddress);
  mount(h('div', { class: 'panel thanks' },
    h('h1', {}, 'Thank you for your order'),
    h('p', { class: 'lead' }, 'Your order number is ', h('strong', { id: 'order-number' }, label), '. Quote it whenever you write to us about this order. We have also sent it to you by email.'),
    h('p', {}, `Total ${money(o.totalCents, o.currency)}`, o.shipping ? `, with shipping: ${o.shipping.name}` : '', '.'),
    lines.length ? h('p', { class: 'address', id: 'thanks-address' }, 'It goes to: ', lines.join(', '), '.') : null),
    start ? payBox : null,
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: `/shop/orders/${enc(o.id)}`, id: 'see-order' }, `See order ${label}`),
      h('a', { class: 'button secondary', href: '/shop' }, 'Continue shopping')));
  return `Order ${label} placed`;
}

// Stripe's Payment Element, loaded from Stripe. When Stripe.js cannot load (offline, blocked,
// or too slow) the page says so and offers another try, instead of waiting for ever.
async function cardForm(order, start, box) {
  box.replaceChildren(h('h2', {}, 'Pay by card'), h('p', { class: 'muted', id: 'pay-loading' }, 'Loading the secure card form from Stripe…'));
  try {
    await loadStripe();
  } catch (err) {
    box.replaceChildren(h('h2', {}, 'Pay by card'),
      h('p', { class: 'form-error', role: 'alert', id: 'pay-error' },
        `The card form could not be loaded from Stripe (${err.message}). Check your connection, or any content blocker, and try again. Your order is kept: you can pay later from this page.`),
      h('button', { type: 'button', id: 'pay-retry', onclick: () => cardForm(order, start, box) }, 'Try again'));
    return;
  }
  box.replaceChildren(h('h2', {}, 'Pay by card'), h('div', { id: 'payment-element' }), h('button', { type: 'button', id: 'pay-now' }, 'Pay now'),
    h('p', { class: 'form-error', role: 'alert', id: 'pay-error' }));
  const stripe = window.Stripe(start.publishableKey);
  const elements = stripe.elements({ clientSecret: start.clientSecret });
  elements.create('payment').mount('#payment-element');
  box.querySelector('#pay-now').addEventListener('click', async () => {
    const { error } = await stripe.confirmPayment({ elements, redirect: 'if_required',
      confirmParams: { return_url: `${location.origin}/shop/orders/${enc(order.id)}` } });
    if (error) box.querySelector('#pay-error').textContent = error.message;
    else { flash('Payment sent. The order turns paid once Stripe confirms it.', 'ok'); waitForPaid(order.id); }
  });
}

const STRIPE_TIMEOUT_MS = 10000;
function loadStripe() {
  if (window.Stripe) return Promise.resolve();
  document.querySelectorAll('script[data-stripe]').forEach((s) => s.remove());
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    const timer = setTimeout(() => { s.remove(); reject(new Error('no answer within 10 seconds')); }, STRIPE_TIMEOUT_MS);
    s.src = 'https://js.stripe.com/v3/';
    s.dataset.stripe = '1';
    s.onload = () => {
      clearTimeout(timer);
      if (window.Stripe) resolve(); else reject(new Error('Stripe.js did not start'));
    };
    s.onerror = () => { clearTimeout(timer); s.remove(); reject(new Error('it did not answer')); };
    document.head.append(s);
  });
}

function waitForPaid(id, tries = 20) {
  setTimeout(async () => {
    const o = await get(`/orders/${enc(id)}`);
    if (o.status !== 'pending_payment' || tries <= 0) {
      if (location.pathname === `/shop/orders/${id}`) navigate(location.pathname, { replace: true });
    } else waitForPaid(id, tries - 1);
  }, 3000);
}

export async function orderPage(id, params) {
  if (!requireSignIn()) return 'Sign in';
  const o = await get(`/orders/${enc(id)}`);
  const refunds = await get('/refund-requests?limit=100').catch(() => ({ items: [] }));
  const mine = refunds.items.filter((r) => r.orderId === o.id);
  const refundable = ['paid', 'partially_shipped', 'shipped', 'delivered'].includes(o.status);
  const payBox = h('section', { class: 'panel pay', 'aria-live': 'polite' });
  const actions = [];
  if (o.status === 'pending_payment') {
    actions.push(h('button', { type: 'button', id: 'pay', onclick: () => payment(o, payBox).catch((err) => flash(err.message, 'error')) }, 'Pay'));
    actions.push(h('button', { type: 'button', class: 'secondary', id: 'cancel-order', onclick: async () => {
      if (!confirm('Cancel this order? Its items go back on sale and your coins come back.')) return;
      try { await post(`/orders/${enc(o.id)}/cancel`, {}); flash('Your order is cancelled.', 'ok'); navigate(location.pathname, { replace: true }); } catch (err) { flash(err.message, 'error'); }
    } }, 'Cancel order'));
  }
  // Once paid, the invoice beside the order's money.
  const invoice = o.invoiceNumber ? h('p', { class: 'actions invoice' }, h('button', { type: 'button', class: 'secondary', id: 'invoice',
    'aria-label': `Invoice ${o.invoiceNumber} (opens in a new tab)`, onclick: () => openInvoice(o) }, 'Invoice')) : null;
  const label = orderLabel(o);
  const names = new Map(o.items.map((i) => [i.id, i.name]));
  mount(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/shop/orders' }, 'Orders'), ' / ', `Order ${label}`),
    h('h1', {}, `Order ${label} `, h('span', { class: `status s-${o.status}`, id: 'order-status' }, statusLabel(o.status))),
    sellerChanges(o, names),
    h('div', { class: 'table-wrap' }, h('table', { class: 'lines' },
      h('caption', { class: 'sr' }, 'Items in this order'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Quantity'), h('th', { scope: 'col', class: 'num' }, 'Shipped'), h('th', { scope: 'col', class: 'num' }, 'Total'), h('th', { scope: 'col' }, 'Refund'))),
      h('tbody', {}, o.items.map((item) => h('tr', {},
        h('td', {}, h('a', { href: `/shop/products/${enc(item.productId)}` }, item.name)),
        h('td', { class: 'num' }, String(item.quantity), item.refundedQuantity ? ` (${item.refundedQuantity} refunded)` : ''),
        h('td', { class: 'num shipped' }, item.quantity > (item.refundedQuantity || 0)
          ? `${item.shippedQuantity || 0} of ${item.quantity - (item.refundedQuantity || 0)}` : '—'),
        h('td', { class: 'num' }, money(item.lineTotalCents, o.currency)),
        h('td', {}, refundable ? h('a', { href: `/shop/orders/${enc(o.id)}/refund${query({ item: item.id })}`, 'aria-label': `Ask for a refund of ${item.name}` }, 'Ask for a refund') : '—')))))),
    orderSummary(o),
    invoice,
    delivery(o, names),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
    payBox,
    mine.length ? h('section', { class: 'panel', 'aria-labelledby': 'rr-h' }, h('h2', { id: 'rr-h' }, 'Refund requests'), refundList(mine)) : null,
    h('section', { class: 'panel', 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'History'),
      h('ol', { class: 'history' }, (o.statusHistory || []).map((s) => h('li', {}, h('span', { class: 'status' }, statusLabel(s.status)), ' ', h('time', { datetime: s.at }, when(s.at)))))),
    h('p', {}, h('a', { href: `/shop/complaints/new${query({ order: o.id })}` }, 'Report a problem with this order')));
  if (o.status === 'pending_payment' && params.get('pay') === '1') payment(o, payBox).catch((err) => flash(err.message, 'error'));
  return `Order ${label}`;
}

// The order's money in one line: subtotal, each discount, shipping, the total and the tax it
// contains.
function orderSummary(o) {
  const code = (o.discounts || []).find((d) => d.kind === 'code');
  const coinCents = amountOf(o, 'coins');
  return h('p', { class: 'summary' }, `Subtotal ${money(o.subtotalCents, o.currency)}`,
    code ? [' · ', h('span', { id: 'order-code' }, `code ${code.code} (−\u2060${money(code.amountCents, o.currency)})`)] : '',
    o.coinsUsed || !code ? ` · coins used ${o.coinsUsed} (−\u2060${money(o.discounts ? coinCents : o.discountCents, o.currency)})` : '',
    o.shipping ? ` · shipping ${o.shippingCents ? money(o.shippingCents, o.currency) : 'free'}` : '', ' · ',
    h('strong', {}, `Total ${money(o.totalCents, o.currency)}`),
    o.taxCents ? [' (', taxNote(o.taxCents, o.currency, 'order-tax'), ')'] : null);
}

// The invoice is served only with the customer's bearer token, which lives in this page's
// memory (never in a cookie or the address), so a plain link cannot carry it: the page fetches
// the HTML with the token and shows it in a new tab from a blob URL. The tab is opened at the
// click, before the fetch, so that pop-up blockers allow it. A blob document keeps this page's
// Content-Security-Policy, which refuses inline styles: the invoice's own <style> is swapped
// for the same rules in invoice.css, served with the page's assets.
const INVOICE_CSS = new URL('./invoice.css', import.meta.url).href;
async function openInvoice(o) {
  const tab = window.open('', '_blank');
  try {
    const html = (await text(`/orders/${enc(o.id)}/invoice`))
      .replace(/<style>[\s\S]*?<\/style>/, `<link rel="stylesheet" href="${INVOICE_CSS}">`);
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    if (tab) tab.location.href = url;
    else window.location.href = url;
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    if (tab) tab.close();
    flash(err.status === 409 ? 'The invoice is made once the order is paid.' : 'The invoice could not be opened. Try again.', 'error');
  }
}

// Where the order goes, how, and the parcels on their way with their tracking.
function delivery(o, names) {
  const lines = addressLines(o.shippingAddress);
  const shipments = o.shipments || [];
  if (!lines.length && !shipments.length) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'delivery-h' },
    h('h2', { id: 'delivery-h' }, 'Delivery'),
    lines.length ? h('address', { class: 'address', id: 'shipping-address' }, lines.map((l, i) => [i ? h('br') : null, l])) : null,
    o.shipping ? h('p', { class: 'muted', id: 'shipping-option' }, `${o.shipping.name} · ${o.shipping.priceCents ? money(o.shipping.priceCents, o.currency) : 'free'}`) : null,
    shipments.length ? h('ul', { class: 'plain shipments' }, shipments.map((s, n) => shipmentItem(s, n, names)))
      : h('p', { class: 'muted' }, o.status === 'cancelled' ? 'Nothing was shipped.' : 'Nothing has shipped yet.'));
}

function shipmentItem(s, n, names) {
  const href = trackingHref(s.trackingUrl);
  const what = (s.items || []).map((i) => `${i.quantity} × ${names.get(i.orderItemId) || 'item'}`).join(', ');
  return h('li', { class: 'shipment' },
    h('p', {}, h('strong', {}, `Parcel ${n + 1}`), ' · shipped ', h('time', { datetime: s.shippedAt }, when(s.shippedAt)), ' · ',
      s.deliveredAt ? ['delivered ', h('time', { datetime: s.deliveredAt }, when(s.deliveredAt))] : 'on its way'),
    what ? h('p', { class: 'muted' }, what) : null,
    s.carrier || s.trackingNumber ? h('p', {}, [s.carrier, s.trackingNumber ? `tracking number ${s.trackingNumber}` : null].filter(Boolean).join(', '),
      href ? [' · ', h('a', { href, class: 'tracking', target: '_blank', rel: 'noopener noreferrer',
        'aria-label': `Track parcel ${n + 1}${s.trackingNumber ? ` (${s.trackingNumber})` : ''} on the carrier's site` }, 'Track the parcel')] : null)
      : h('p', { class: 'muted' }, 'Sent without tracking.'));
}

// Refunds a seller made without being asked (a cancelled line, a refund), told plainly.
function sellerChanges(o, names) {
  const mine = (o.refunds || []).filter((r) => !r.refundRequestId);
  if (!mine.length) return null;
  const cancelledAll = o.status === 'cancelled';
  return h('div', { class: 'notice changes', role: 'note', id: 'seller-changes' },
    h('p', {}, h('strong', {}, cancelledAll ? 'The seller cancelled this order and refunded it.'
      : 'A seller cancelled or refunded part of this order.')),
    h('ul', { class: 'plain' }, mine.map((r) => h('li', {},
      (r.items || []).map((i) => `${i.quantity} × ${names.get(i.orderItemId) || 'item'}`).join(', '),
      ` — refunded ${money(r.amountCents, r.currency || o.currency)}`, r.coinsReturned ? ` and ${r.coinsReturned} coins` : '',
      ` on ${when(r.createdAt)}`, r.reason ? ` (reason: ${r.reason})` : '', '.'))));
}

function refundList(items) {
  return h('ul', { class: 'plain refunds' }, items.map((r) => h('li', { class: 'refund' },
    h('p', {}, h('strong', {}, `${r.quantity} × ${r.productName}`), ' ', h('span', { class: `status s-${r.status}` }, statusLabel(r.status)),
      r.amountCents !== null && r.amountCents !== undefined ? ` · ${money(r.amountCents, r.currency)}` : ''),
    h('p', { class: 'muted' }, 'Your reason: ', r.reason),
    r.note ? h('p', { class: 'answer' }, 'Seller: ', r.note) : null,
    r.images && r.images.length ? h('p', { class: 'thumbs' }, r.images.map((img) => h('img', { src: img.url, alt: 'Your photo', width: 64, height: 64 }))) : null)));
}

function photoField() {
  return h('div', { class: 'field' }, h('label', { for: 'photos' }, 'Photos (up to 5, optional)'),
    h('input', { type: 'file', id: 'photos', name: 'photos', accept: 'image/png,image/jpeg,image/webp', multiple: true }),
    h('span', { class: 'field-error', 'data-for': 'file' }));
}

async function uploadPhotos(path, form) {
  const files = [...form.querySelector('#photos').files].slice(0, 5);
  for (const file of files) await api('POST', path, { body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
}

export async function refundPage(orderId, params) {
  if (!requireSignIn()) return 'Sign in';
  const o = await get(`/orders/${enc(orderId)}`);
  const itemId = params.get('item') || (o.items[0] && o.items[0].id);
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'refund-h', novalidate: true },
    h('h1', { id: 'refund-h' }, 'Ask for a refund'),
    field('Item', { tag: 'select', name: 'orderItemId', value: itemId, options: o.items.map((i) => [i.id, `${i.name} (${i.quantity})`]) }),
    field('Quantity', { name: 'quantity', type: 'number', min: 1, value: 1, inputmode: 'numeric' }),
    field('Why do you want a refund?', { tag: 'textarea', name: 'reason', rows: 3, required: true, maxlength: 2000 }),
    photoField(),
    h('button', { type: 'submit' }, 'Send request'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const rr = await post(`/orders/${enc(o.id)}/refund-requests`, { orderItemId: f.get('orderItemId'), quantity: Number(f.get('quantity')), reason: f.get('reason') });
      await uploadPhotos(`/refund-requests/${enc(rr.id)}/images`, form);
      flash('Your refund request is sent. The seller will answer here.', 'ok');
      navigate(`/shop/orders/${enc(o.id)}`);
    } catch (err) { showProblem(form, err.problem || { detail: err.message }); }
  });
  mount(form);
  return 'Refund';
}

export async function refundsPage() {
  if (!requireSignIn()) return 'Sign in';
  const page = await get('/refund-requests?limit=100');
  mount(h('h1', {}, 'Your refund requests'), page.items.length ? refundList(page.items) : h('p', { class: 'empty' }, 'No refund requests.'));
  return 'Refunds';
}

export async function complaintsPage() {
  if (!requireSignIn()) return 'Sign in';
  const page = await get('/complaints?limit=100');
  mount(h('h1', {}, 'Your complaints'),
    page.items.length ? h('ul', { class: 'orders' }, page.items.map((c) => h('li', { class: 'order-row' },
      h('a', { href: `/shop/complaints/${enc(c.id)}` }, c.subject),
      h('span', { class: `status s-${c.status}` }, statusLabel(c.status)),
      h('time', { datetime: c.createdAt }, when(c.createdAt)))))
      : h('p', { class: 'empty' }, 'No complaints. To report a problem, open the order concerned.'));
  return 'Complaints';
}

export async function complaintPage(id) {
  if (!requireSignIn()) return 'Sign in';
  const c = await get(`/complaints/${enc(id)}`);
  // The thread starts with the customer's own opening message, shown above already.
  const thread = c.messages.filter((m, i) => !(i === 0 && m.authorRole === 'customer' && m.message === c.message));
  mount(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/shop/complaints' }, 'Complaints'), ' / ', c.subject),
    h('h1', {}, c.subject, ' ', h('span', { class: `status s-${c.status}` }, statusLabel(c.status))),
    h('p', { class: 'message' }, c.message),
    c.images.length ? h('p', { class: 'thumbs' }, c.images.map((img) => h('img', { src: img.url, alt: 'Your photo', width: 96, height: 96 }))) : null,
    h('h2', {}, 'Answers'),
    thread.length ? h('ul', { class: 'plain' }, thread.map((m) => h('li', { class: 'answer' },
      h('strong', {}, m.authorName), ` (${m.authorRole}) · `, h('time', { datetime: m.createdAt }, when(m.createdAt)), h('p', {}, m.message))))
      : h('p', { class: 'empty' }, 'No answer yet.'),
    h('p', {}, h('a', { href: `/shop/orders/${enc(c.orderId)}` }, 'See the order')));
  return c.subject;
}

export async function newComplaintPage(params) {
  if (!requireSignIn()) return 'Sign in';
  const o = await get(`/orders/${enc(params.get('order') || '')}`);
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'complaint-h', novalidate: true },
    h('h1', { id: 'complaint-h' }, 'Report a problem'),
    field('About', { tag: 'select', name: 'orderItemId', value: '', options: [['', 'The whole order'], ...o.items.map((i) => [i.id, i.name])] }),
    field('Subject', { name: 'subject', required: true, maxlength: 200 }),
    field('What happened?', { tag: 'textarea', name: 'message', rows: 4, required: true }),
    photoField(),
    h('button', { type: 'submit' }, 'Send'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const body = { orderId: o.id, subject: f.get('subject'), message: f.get('message') };
      if (f.get('orderItemId')) body.orderItemId = f.get('orderItemId');
      const c = await post('/complaints', body);
      await uploadPhotos(`/complaints/${enc(c.id)}/images`, form);
      flash('Your complaint is sent.', 'ok');
      navigate(`/shop/complaints/${enc(c.id)}`);
    } catch (err) { showProblem(form, err.problem || { detail: err.message }); }
  });
  mount(form);
  return 'Report a problem';
}

export async function notificationsPage(params) {
  if (!requireSignIn()) return 'Sign in';
  const unread = params.get('unread') === 'true';
  const page = await get(`/notifications${query({ unread: unread ? 'true' : '', cursor: params.get('cursor'), limit: 30 })}`);
  const list = h('ul', { class: 'notifications' }, page.items.map((n) => h('li', { class: n.readAt ? 'read' : 'unread' },
    h('p', {}, h('strong', {}, n.title), ' ', h('time', { datetime: n.createdAt }, when(n.createdAt))),
    h('p', {}, n.body),
    h('p', {}, linkFor(n),
      n.readAt ? null : h('button', { type: 'button', class: 'link', onclick: async () => {
        await post(`/notifications/${enc(n.id)}/read`, {}); refreshBadges(); navigate(location.pathname + location.search, { replace: true });
      } }, 'Mark as read')))));
  mount(h('h1', {}, `Notifications (${page.unreadCount} unread)`),
    h('p', { class: 'actions' },
      h('a', { href: unread ? '/shop/notifications' : '/shop/notifications?unread=true' }, unread ? 'Show all' : 'Show unread only'),
      page.unreadCount ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await post('/notifications/read-all', {}); refreshBadges(); navigate(location.pathname + location.search, { replace: true });
      } }, 'Mark all as read') : null),
    page.items.length ? list : h('p', { class: 'empty' }, 'Nothing here.'),
    page.nextCursor ? h('nav', { class: 'pager' }, h('a', { class: 'button', href: `/shop/notifications${query({ unread: unread ? 'true' : '', cursor: page.nextCursor })}` }, 'Older')) : null);
  return 'Notifications';
}

function linkFor(n) {
  const d = n.data || {};
  if (d.orderId) return h('a', { href: `/shop/orders/${enc(d.orderId)}` }, 'Open the order');
  if (d.complaintId) return h('a', { href: `/shop/complaints/${enc(d.complaintId)}` }, 'Open the complaint');
  if (d.productId) return h('a', { href: `/shop/products/${enc(d.productId)}` }, 'Open the product');
  return null;
}
