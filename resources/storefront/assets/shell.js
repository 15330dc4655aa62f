// The shell's state that pages share: the store's facts, navigation, the sign-in guard and the
// header's badges. Pages import this module, never app.js, so that no module imports its importer.
import { get, put, signedIn, currentUser } from './api.js';
import { h, toast } from './ui.js';

let storeFacts = { name: 'Shop', currency: 'USD', maxCoinDiscountPercent: 50, coinValueCents: 1, dailyCoins: 0 };
export const store = () => storeFacts;
export function setStoreFacts(facts) { storeFacts = { ...storeFacts, ...facts }; }

// app.js hands over the function that draws the current address.
let render = () => {};
export function setRenderer(fn) { render = fn; }

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render(!replace);
}

// Pages that need an account send the visitor to sign in first, then back.
export function requireSignIn() {
  if (signedIn()) return true;
  const next = location.pathname + location.search;
  history.replaceState(null, '', `/shop/login?next=${encodeURIComponent(next)}`);
  render(false);
  return false;
}

export async function refreshBadges() {
  if (!signedIn()) return;
  try {
    const [n, cart] = await Promise.all([get('/notifications?unread=true&limit=1'),
      currentUser() && currentUser().role === 'customer' ? get('/cart').catch(() => null) : null]);
    const nc = document.getElementById('notif-count');
    if (nc) {
      nc.textContent = n.unreadCount ? String(n.unreadCount) : '';
      document.getElementById('notif-link').setAttribute('aria-label', `Notifications, ${n.unreadCount} unread`);
    }
    const cc = document.getElementById('cart-count');
    if (cc && cart) {
      const count = cart.items.reduce((s, i) => s + i.quantity, 0);
      cc.textContent = count ? String(count) : '';
      document.getElementById('cart-link').setAttribute('aria-label', `Cart, ${count} item${count === 1 ? '' : 's'}`);
      return count;
    }
  } catch { /* badges are a convenience */ }
}

// Add to cart's answer where the shopper is looking: a note at the bottom of the screen with
// the cart's new count and a way to it; the header's count follows.
export async function addedToCart(name) {
  const count = await refreshBadges();
  toast(`Added ${name} to your cart.${count ? ` It holds ${count} item${count === 1 ? '' : 's'}.` : ''}`,
    h('a', { href: '/shop/cart', class: 'button secondary', id: 'toast-cart' }, 'View cart'));
}

// A guest's Add to cart, kept through the sign-in it leads to.
export const PENDING_ADD = 'mercato.pendingAdd';
export async function addPendingToCart() {
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_ADD) || 'null');
    sessionStorage.removeItem(PENDING_ADD);
  } catch { return; }
  const user = currentUser();
  if (!pending || !signedIn() || !user || user.role !== 'customer') return;
  try {
    const [cart, product] = await Promise.all([get('/cart'), get(`/products/${encodeURIComponent(pending.productId)}`)]);
    const line = cart.items.find((i) => i.productId === product.id);
    const had = line ? line.quantity : 0;
    const quantity = Math.min(99, product.stock, had + pending.quantity);
    if (quantity <= had) { toast(`Only ${product.stock} of ${product.name} left, and your cart already holds ${had}.`); return; }
    await put(`/cart/items/${encodeURIComponent(product.id)}`, { quantity });
    await addedToCart(product.name);
  } catch { toast('The product you chose could not be added to your cart. Open it again to add it.'); }
}
