// The shell's state that pages share: the store's facts, navigation, the sign-in guard and the
// header's badges. Pages import this module, never app.js, so that no module imports its importer.
import { get, signedIn, currentUser } from './api.js';

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
    }
  } catch { /* badges are a convenience */ }
}
