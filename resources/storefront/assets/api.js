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

function setSession(session) {
  accessToken = session.accessToken;
  if (session.user) user = session.user;
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
        if (!res.ok) return false;
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
  changed();
}

export async function reloadUser() {
  user = await get('/me');
  changed();
  return user;
}

export { query } from './rules.js';
