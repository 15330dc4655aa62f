// Catalog (search, filters, sort, keyset paging with the cursor in the URL) and product pages.
import { get, post, put, query, signedIn, currentUser, ApiError } from './api.js';
import { h, mount, money, stars, when, field, flash, showProblem } from './ui.js';
import { navigate } from './shell.js';
import { catalogState, catalogQuery } from './rules.js';

const SORTS = [['newest', 'Newest'], ['price', 'Price: low to high'], ['-price', 'Price: high to low'],
  ['rating', 'Best rated'], ['relevance', 'Relevance']];

function productImage(p, size) {
  const img = p.images && p.images[0];
  return img
    ? h('img', { src: img.url, alt: p.name, loading: 'lazy', width: size, height: size })
    : h('div', { class: 'noimg', role: 'img', 'aria-label': `${p.name}: no picture`, 'data-initial': p.name.slice(0, 1) });
}

function stockBadge(p) {
  if (!p.inStock) return h('span', { class: 'badge out' }, 'Sold out');
  if (p.stock <= 5) return h('span', { class: 'badge low' }, `Only ${p.stock} left`);
  return h('span', { class: 'badge in' }, 'In stock');
}

export async function catalogPage(params) {
  const state = catalogState(params);
  const { q, sort, inStock, min, max, cursor } = state;
  document.getElementById('search-q').value = q;

  const filters = h('form', { class: 'filters', 'aria-label': 'Filters' },
    field('Sort by', { tag: 'select', name: 'sort', value: sort, options: SORTS.filter(([v]) => q || v !== 'relevance') }),
    field('Min price', { name: 'min', type: 'number', min: 0, step: '0.01', value: min, inputmode: 'decimal' }),
    field('Max price', { name: 'max', type: 'number', min: 0, step: '0.01', value: max, inputmode: 'decimal' }),
    h('div', { class: 'field check' }, h('input', { type: 'checkbox', id: 'f-instock', name: 'inStock', checked: inStock }),
      h('label', { for: 'f-instock' }, 'In stock only')),
    h('button', { type: 'submit' }, 'Apply'));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(filters);
    navigate(`/shop${query({ q, sort: f.get('sort'), min: f.get('min'), max: f.get('max'), inStock: f.get('inStock') ? 'true' : '' })}`);
  });
  filters.querySelector('select').addEventListener('change', () => filters.requestSubmit());

  let page;
  try {
    page = await get(`/products${catalogQuery(state, 8)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      flash(e.message, 'error');
      page = { items: [], nextCursor: null };
    } else throw e;
  }
  const heading = q ? `Results for “${q}”` : 'All products';
  const grid = h('ul', { class: 'grid', 'aria-label': 'Products' }, page.items.map((p) =>
    h('li', { class: 'card' },
      h('a', { href: `/shop/products/${encodeURIComponent(p.id)}`, class: 'card-link' },
        productImage(p, 240),
        h('span', { class: 'card-name' }, p.name)),
      h('span', { class: 'price' }, money(p.priceCents, p.currency)),
      h('span', { class: 'rating', 'aria-label': p.rating.count ? `Rated ${p.rating.average.toFixed(1)} of 5` : 'No ratings yet' },
        p.rating.count ? `${stars(p.rating.average)} (${p.rating.count})` : 'No ratings yet'),
      stockBadge(p))));
  const base = { q, sort: params.get('sort') || '', min, max, inStock: inStock ? 'true' : '' };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: `/shop${query(base)}`, class: 'button secondary' }, 'First page') : null,
    page.nextCursor ? h('a', { href: `/shop${query({ ...base, cursor: page.nextCursor })}`, class: 'button', rel: 'next' }, 'Next page') : null);
  mount(h('h1', {}, heading), filters,
    page.items.length ? grid : h('p', { class: 'empty' }, q ? 'No products match your search.' : 'No products yet.'),
    pager);
  return heading;
}

export async function productPage(id) {
  const p = await get(`/products/${encodeURIComponent(id)}`);
  const reviews = await get(`/products/${encodeURIComponent(id)}/reviews?limit=50`);
  const most = Math.max(1, Math.min(99, p.stock));
  const qty = h('input', { id: 'qty', name: 'quantity', type: 'number', min: 1, max: most, value: 1, inputmode: 'numeric',
    'aria-describedby': 'qty-note' });
  const qtyNote = h('span', { class: 'stock-note', id: 'qty-note' });
  // Asking for more than there is: the most there is, and why.
  qty.addEventListener('change', () => {
    if (Number(qty.value) > most) { qty.value = most; qtyNote.textContent = `Only ${p.stock} left.`; }
    if (!(Number(qty.value) >= 1)) qty.value = 1;
  });
  const addForm = h('form', { class: 'buy' },
    h('label', { for: 'qty' }, 'Quantity'), qty,
    h('button', { type: 'submit', disabled: !p.inStock }, p.inStock ? 'Add to cart' : 'Sold out'), qtyNote);
  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!signedIn()) { navigate(`/shop/login${query({ next: location.pathname })}`); return; }
    try {
      const current = await get('/cart');
      const line = current.items.find((i) => i.productId === p.id);
      const had = line ? line.quantity : 0;
      const wanted = had + Math.max(1, Math.floor(Number(qty.value) || 1));
      const quantity = Math.min(most, wanted);
      if (quantity <= had) { qtyNote.textContent = `Only ${p.stock} left, and your cart already holds ${had}.`; return; }
      await put(`/cart/items/${encodeURIComponent(p.id)}`, { quantity });
      if (quantity < wanted) qtyNote.textContent = `Only ${p.stock} left: your cart now holds ${quantity}.`;
      flash(`Added ${p.name} to your cart.`, 'ok');
      document.dispatchEvent(new CustomEvent('cart-changed'));
    } catch (err) { showProblem(addForm, err.problem || { detail: err.message }); }
  });

  const gallery = h('div', { class: 'gallery' }, p.images.length
    ? p.images.map((img, i) => h('img', { src: img.url, alt: `${p.name}, picture ${i + 1}`, width: 480, height: 480 }))
    : productImage(p, 480));

  mount(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/shop' }, 'Products'), ' / ', p.name),
    h('article', { class: 'product' }, gallery,
      h('div', { class: 'details' },
        h('h1', {}, p.name),
        h('p', { class: 'price big' }, money(p.priceCents, p.currency)),
        h('p', { class: 'rating' }, p.rating.count ? `${stars(p.rating.average)} · ${p.rating.count} review${p.rating.count === 1 ? '' : 's'}` : 'No ratings yet'),
        h('p', {}, stockBadge(p)),
        h('p', { class: 'seller' }, 'Sold by ', p.sellerName),
        h('p', { class: 'description' }, p.description),
        addForm)),
    h('section', { class: 'reviews', 'aria-labelledby': 'reviews-h' },
      h('h2', { id: 'reviews-h' }, 'Reviews'),
      reviewForm(p),
      reviews.items.length
        ? h('ul', { class: 'review-list' }, reviews.items.map((r) => h('li', { class: 'review' },
          h('p', { class: 'review-head' }, h('span', { class: 'stars', 'aria-label': `${r.rating} of 5` }, '★'.repeat(r.rating) + '☆'.repeat(5 - r.rating)),
            ' ', h('strong', {}, r.authorName), r.verifiedPurchase ? h('span', { class: 'badge in' }, 'Verified purchase') : null,
            ' ', h('time', { datetime: r.createdAt }, when(r.createdAt))),
          h('p', { class: 'review-text' }, r.comment))))
        : h('p', { class: 'empty' }, 'No reviews yet.')));
  return p.name;
}

function reviewForm(p) {
  const user = currentUser();
  if (!user || user.role !== 'customer') return null;
  const form = h('form', { class: 'review-form', 'aria-label': 'Write a review' },
    h('h3', {}, 'Write a review'),
    field('Rating', { tag: 'select', name: 'rating', value: '5', options: [['5', '5 – excellent'], ['4', '4 – good'], ['3', '3 – fair'], ['2', '2 – poor'], ['1', '1 – bad']] }),
    field('Your review', { tag: 'textarea', name: 'comment', rows: 3, maxlength: 2000 }),
    h('button', { type: 'submit' }, 'Post review'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      await post(`/products/${encodeURIComponent(p.id)}/reviews`, { rating: Number(f.get('rating')), comment: f.get('comment') });
      flash('Thank you for your review.', 'ok');
      navigate(location.pathname, { replace: true });
    } catch (err) {
      const problem = err.problem || { detail: err.message };
      if (err.status === 403) problem.detail = 'Only customers who bought this product can review it.';
      if (err.status === 409) problem.detail = 'You have already reviewed this product.';
      showProblem(form, problem);
    }
  });
  return form;
}

