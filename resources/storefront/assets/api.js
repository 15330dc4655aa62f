// The REST API client. The access token lives in memory only; the refresh token is an
// HttpOnly cookie the page never sees, sent only to /api/v1/auth.

const BASE = '/api/v1';
// Asks the server to keep the refresh token in its HttpOnly cookie, out of the body.
const COOKIE = { 'Refresh-Token-Transport': 'cookie' };
let accessToken = null;
let user = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function currentUser() { return user; }
export function signedIn() { return accessToken !== null; }
export function onSessionChange(fn) { listeners.add(fn); }
function changed() { for (const fn of listeners) fn(user); }

// A hint, not a secret: localStorage says this browser signed in and has not signed out, so a
// refresh cookie may exist. The page cannot see the HttpOnly cookie itself; without the hint a
// visitor who never signed in would post a refresh that can only fail at every page load.
const HINT = 'mercato.session';
function hint(on) {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch { /* storage off: sessions then end with the page */ }
}
export function maySignIn() {
  try { return localStorage.getItem(HINT) === '1'; } catch { return false; }
}

function setSession(session) {
  accessToken = session.accessToken;
  if (session.user) user = session.user;
  hint(true);
}

async function raw(method, path, { body, headers = {}, auth = true } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body instanceof Blob || body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  if (auth && accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
  return fetch(BASE + path, init);
}

async function parse(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data || { title: res.statusText });
  return data;
}

let refreshing = null;
// Trades the cookie for a new access token; false when there is no live session.
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await raw('POST', '/auth/refresh', { body: {}, auth: false, headers: COOKIE });
        if (!res.ok) { hint(false); return false; }
        setSession(await res.json());
        if (!user) user = await parse(await raw('GET', '/me'));
        changed();
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function api(method, path, options = {}) {
  let res = await raw(method, path, options);
  if (res.status === 401 && accessToken && options.auth !== false) {
    accessToken = null;
    if (await refresh()) res = await raw(method, path, options);
    else { user = null; changed(); }
  }
  return parse(res);
}

// A document the API serves as text (an invoice's HTML), with the session's token; an
// ApiError as api() gives for a refusal.
export async function text(path, accept = 'text/html') {
  const options = { headers: { Accept: accept } };
  let res = await raw('GET', path, options);
  if (res.status === 401 && accessToken) {
    accessToken = null;
    if (await refresh()) res = await raw('GET', path, options);
  }
  if (!res.ok) return parse(res);
  return res.text();
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, { body, headers });
export const put = (path, body) => api('PUT', path, { body });
export const patch = (path, body) => api('PATCH', path, { body });
export const del = (path) => api('DELETE', path);

export async function login(email, password) {
  const session = await api('POST', '/auth/login', { body: { email, password }, auth: false, headers: COOKIE });
  setSession(session);
  changed();
  return session;
}

export async function register(fields) {
  const session = await api('POST', '/auth/register', { body: { ...fields, role: 'customer' }, auth: false, headers: COOKIE });
  setSession(session);
  changed();
  return session;
}

export async function logout() {
  try {
    await api('POST', '/auth/logout', { body: {} });
  } catch { /* the session ends here either way */ }
  accessToken = null;
  user = null;
  hint(false);
  changed();
}

export async function reloadUser() {
  user = await get('/me');
  changed();
  return user;
}

export { query } from './rules.js';
