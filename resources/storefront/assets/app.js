// The shell: the page's frame, the menu with cart and unread counts, and a small history
// router over the pages (shell.js holds what the pages share with it).
import { get, logout, refresh, maySignIn, signedIn, currentUser, onSessionChange, ApiError } from './api.js';
import { store, setStoreFacts, setRenderer, navigate, refreshBadges } from './shell.js';
import { h, mount, setTitle, setCurrency, flash, clearFlash } from './ui.js';
import { catalogPage, productPage } from './catalog.js';
import { loginPage, registerPage, forgotPage, resetPage, confirmEmailPage, profilePage } from './account.js';
import { cartPage, ordersPage, orderPage, refundPage, refundsPage, complaintsPage, complaintPage,
  newComplaintPage, notificationsPage, thanksPage } from './orders.js';


const routes = [
  [/^\/(?:shop\/?)?$/, (m, p) => catalogPage(p)],
  [/^\/shop\/products\/([^/]+)$/, (m) => productPage(decodeURIComponent(m[1]))],
  [/^\/shop\/login$/, (m, p) => loginPage(p)],
  [/^\/shop\/register$/, (m, p) => registerPage(p)],
  [/^\/shop\/forgot$/, () => forgotPage()],
  [/^\/(?:shop\/)?reset-password$/, (m, p) => resetPage(p)],
  [/^\/shop\/confirm-email$/, (m, p) => confirmEmailPage(p)],
  [/^\/shop\/account$/, () => profilePage()],
  [/^\/shop\/cart$/, () => cartPage()],
  [/^\/shop\/orders$/, (m, p) => ordersPage(p)],
  [/^\/shop\/orders\/([^/]+)$/, (m, p) => orderPage(decodeURIComponent(m[1]), p)],
  [/^\/shop\/orders\/([^/]+)\/thanks$/, (m) => thanksPage(decodeURIComponent(m[1]))],
  [/^\/shop\/orders\/([^/]+)\/refund$/, (m, p) => refundPage(decodeURIComponent(m[1]), p)],
  [/^\/shop\/refunds$/, () => refundsPage()],
  [/^\/shop\/complaints$/, () => complaintsPage()],
  [/^\/shop\/complaints\/new$/, (m, p) => newComplaintPage(p)],
  [/^\/shop\/complaints\/([^/]+)$/, (m) => complaintPage(decodeURIComponent(m[1]))],
  [/^\/shop\/notifications$/, (m, p) => notificationsPage(p)],
];

let renderCount = 0;
async function render(moveFocus = true) {
  const id = ++renderCount;
  const params = new URLSearchParams(location.search);
  const path = location.pathname;
  document.body.dataset.page = 'loading';
  document.getElementById('search-q').value = params.get('q') || '';
  let title = null;
  try {
    const route = routes.find(([re]) => re.test(path));
    if (!route) {
      mount(h('h1', {}, 'Page not found'), h('p', {}, 'There is nothing at this address. ', h('a', { href: '/shop' }, 'Go to the shop')));
      title = 'Page not found';
    } else {
      title = await route[1](path.match(route[0]), params);
    }
  } catch (err) {
    if (id !== renderCount) return;
    if (err instanceof ApiError && err.status === 404) {
      mount(h('h1', {}, 'Not found'), h('p', {}, 'This item does not exist or is no longer available. ', h('a', { href: '/shop' }, 'Go to the shop')));
      title = 'Not found';
    } else {
      mount(h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, err.message || String(err)),
        h('p', {}, h('a', { href: location.pathname + location.search }, 'Try again')));
      title = 'Error';
    }
  }
  if (id !== renderCount) return;
  setTitle(title, store().name);
  refreshBadges();
  document.body.dataset.page = 'ready';
  if (moveFocus) {
    const heading = document.querySelector('main h1');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  }
}

function renderMenu() {
  const menu = document.getElementById('menu');
  const user = currentUser();
  if (!signedIn() || !user) {
    menu.replaceChildren(h('a', { href: '/shop/login' }, 'Sign in'), h('a', { href: '/shop/register', class: 'button' }, 'Register'));
    return;
  }
  const items = [];
  if (user.role === 'customer') {
    items.push(h('a', { href: '/shop/cart', id: 'cart-link' }, 'Cart ', h('span', { class: 'count', id: 'cart-count' })));
    items.push(h('a', { href: '/shop/orders' }, 'Orders'));
  }
  items.push(h('a', { href: '/shop/notifications', id: 'notif-link' }, 'Notifications ', h('span', { class: 'count', id: 'notif-count' })));
  items.push(h('a', { href: '/shop/account', class: 'who' },
    user.avatarUrl ? h('img', { src: user.avatarUrl, alt: '', width: 24, height: 24, class: 'avatar' }) : null, user.displayName));
  items.push(h('button', { type: 'button', class: 'link', id: 'logout', onclick: async () => {
    await logout();
    flash('You are signed out.', 'ok');
    navigate('/shop');
  } }, 'Sign out'));
  menu.replaceChildren(...items);
  refreshBadges();
}


function interceptLinks() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    if (a.getAttribute('href').startsWith('#')) {
      // In-page links (the skip link) move focus; they are not pages.
      const target = document.getElementById(a.getAttribute('href').slice(1));
      if (target) { e.preventDefault(); target.focus(); target.scrollIntoView(); }
      return;
    }
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/')) return;
    e.preventDefault();
    clearFlash();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => render(true));
  document.getElementById('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = document.getElementById('search-q').value.trim();
    navigate(q ? `/shop?q=${encodeURIComponent(q)}` : '/shop');
  });
}

async function start() {
  interceptLinks();
  onSessionChange(renderMenu);
  document.addEventListener('cart-changed', refreshBadges);
  setRenderer(render);
  try {
    setStoreFacts(await get('/store'));
  } catch { /* defaults */ }
  const storeFacts = store();
  setCurrency(storeFacts.currency);
  document.getElementById('store-name').textContent = storeFacts.name;
  if (storeFacts.logoUrl) {
    // The seller's logo names the store; the text beside it is then for the eye only.
    const logo = document.getElementById('store-logo');
    logo.removeAttribute('width');
    logo.removeAttribute('height');
    logo.className = 'store-logo';
    logo.src = storeFacts.logoUrl;
    logo.alt = storeFacts.name;
    document.getElementById('store-name').setAttribute('aria-hidden', 'true');
  }
  document.getElementById('store-foot').textContent = `© ${storeFacts.name}`;
  // A session kept in the refresh cookie survives a reload; only asked for when this browser
  // signed in and did not sign out since (no failing request for every other visitor).
  if (maySignIn()) await refresh();
  renderMenu();
  setInterval(refreshBadges, 60000);
  await render(false);
}

start();
