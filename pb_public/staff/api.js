// api.js: a small client for the parts of PocketBase's REST API the console
// uses. The sign-in is kept as PocketBase's JS SDK keeps it (LocalAuthStore):
// the token and the staff record in localStorage, one sign-in per browser,
// shared by every tab and kept across reloads; a `storage` event tells the
// other tabs of a sign-in or a sign-out. idle.js ends it after the
// embassy's idle time, on every tab.

const AUTH_KEY = 'homeward.staff.auth';

/** ApiError carries PocketBase's JSON error: status, message, data. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status}).`);
    this.status = status;
    this.data = (body && body.data) || {};
  }
}

function stored() {
  try {
    const v = JSON.parse(localStorage.getItem(AUTH_KEY) || 'null');
    return v && typeof v.token === 'string' ? v : { token: '', record: null };
  } catch {
    return { token: '', record: null };
  }
}

export const auth = {
  get token() { return stored().token; },
  get record() { return stored().record; },
  save(token, record) {
    localStorage.setItem(AUTH_KEY, JSON.stringify({ token, record }));
  },
  clear() {
    localStorage.removeItem(AUTH_KEY);
  },
  /**
   * onChange calls fn(token, record) when another tab of this browser signs
   * in, renews the token or signs out (token '').
   */
  onChange(fn) {
    window.addEventListener('storage', (e) => {
      if (e.key !== AUTH_KEY && e.key !== null) return; // null: storage cleared
      const { token, record } = stored();
      fn(token, record);
    });
  },
};

/** onSignedOut is called when the server no longer accepts the token. */
let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

/**
 * request sends a JSON request with the staff token and returns the parsed
 * answer; a non-2xx answer throws ApiError.
 */
export async function request(path, { method = 'GET', body, query, raw = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = {};
  if (auth.token) headers.Authorization = auth.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (raw && res.ok) return res;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    if (res.status === 401 && auth.token) {
      auth.clear();
      onSignedOut();
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

export async function login(email, password) {
  const res = await request('/api/collections/staff/auth-with-password', {
    method: 'POST',
    body: { identity: email, password },
  });
  auth.save(res.token, res.record);
  return res.record;
}

/** refresh checks the stored token and renews it. */
export async function refresh() {
  const res = await request('/api/collections/staff/auth-refresh', { method: 'POST' });
  auth.save(res.token, res.record);
  return res.record;
}

export function logout() { auth.clear(); }

const records = (collection) => `/api/collections/${encodeURIComponent(collection)}/records`;

export const list = (collection, query) => request(records(collection), { query });
export const view = (collection, id, query) => request(`${records(collection)}/${encodeURIComponent(id)}`, { query });
export const create = (collection, body) => request(records(collection), { method: 'POST', body });
/**
 * update sets the fields in body. The server refuses (409) a change that
 * met another one being written to the same record (hooks/reports,
 * stale.go); body names only the fields this change sets, so sending it
 * again does what was asked, now over the other change.
 */
export async function update(collection, id, body) {
  for (let tries = 1; ; tries++) {
    try {
      return await request(`${records(collection)}/${encodeURIComponent(id)}`, { method: 'PATCH', body });
    } catch (err) {
      if (err.status !== 409 || tries === 3) throw err;
    }
  }
}

/** fileToken returns a short-lived token for protected files (attachments). */
export async function fileToken() {
  const res = await request('/api/files/token', { method: 'POST' });
  return res.token;
}

export function fileURL(record, filename, token) {
  const path = `/api/files/${encodeURIComponent(record.collectionId)}/${encodeURIComponent(record.id)}/${encodeURIComponent(filename)}`;
  return `${path}?token=${encodeURIComponent(token)}`;
}

/** quote makes a string literal for a PocketBase filter expression. */
export function quote(value) {
  return '"' + String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export const remove = (collection, id) =>
  request(`${records(collection)}/${encodeURIComponent(id)}`, { method: 'DELETE' });
