// keys.js: the QR signing keys screen for superusers (/admin/keys.html),
// over /api/qr/keys. The superuser's token lives in sessionStorage only:
// closing the tab signs out of this screen.

import { h, replace, when } from '/staff/dom.js';

const TOKEN = 'homeward.admin.token';
const $ = (sel) => document.querySelector(sel);

async function call(path, options = {}) {
  const headers = { 'Content-Type': 'application/json' };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = token;
  const res = await fetch(path, { ...options, headers });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 || res.status === 403) {
    sessionStorage.removeItem(TOKEN);
    show();
  }
  if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
  return body;
}

function say(message, isError = false) {
  $('[data-status]').textContent = isError ? '' : message;
  const err = $('[data-error]');
  err.textContent = isError ? message : '';
  err.hidden = !isError;
}

const STATES = {
  signs: 'Signs new codes and verifies',
  verifies: 'Verifies the codes it signed',
  retired: 'Retired: its codes show the warning',
};

function render(list) {
  const rows = list.keys.map((k) => h('tr', { dataset: { kid: k.kid, state: k.state } },
    h('td', {}, h('code', {}, k.kid)),
    h('td', {}, when(k.created)),
    h('td', {}, STATES[k.state] + (k.retired ? ` (${when(k.retired)})` : '')),
    h('td', {}, k.state === 'verifies'
      ? h('button', { type: 'button', 'data-retire': k.kid, onclick: () => retire(k.kid) }, `Retire ${k.kid}`)
      : '')));
  replace($('[data-key-rows]'), rows);
}

async function load() {
  try {
    render(await call('/api/qr/keys'));
  } catch (err) {
    say(err.message, true);
  }
}

async function rotate() {
  if (!confirm('Make a new signing key? New codes are signed with it; codes already printed keep working.')) return;
  try {
    const list = await call('/api/qr/keys/rotate', { method: 'POST' });
    render(list);
    const current = list.keys.find((k) => k.state === 'signs');
    say(`New signing key ${current ? current.kid : ''}. Codes printed before keep working until you retire their key.`);
  } catch (err) {
    say(err.message, true);
  }
}

async function retire(kid) {
  if (!confirm(`Retire key ${kid}? Every code it signed will show the warning page; reprint those posters.`)) return;
  try {
    render(await call(`/api/qr/keys/${encodeURIComponent(kid)}/retire`, { method: 'POST' }));
    say(`Key ${kid} retired. Codes it signed now show a warning; print new ones.`);
  } catch (err) {
    say(err.message, true);
  }
}

function show() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  $('[data-login]').hidden = signedIn;
  $('[data-keys]').hidden = !signedIn;
  if (signedIn) load();
}

$('[data-login-form]').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const res = await call('/api/collections/_superusers/auth-with-password', {
      method: 'POST',
      body: JSON.stringify({ identity: form.get('email'), password: form.get('password') }),
    });
    sessionStorage.setItem(TOKEN, res.token);
    say('');
    show();
  } catch (err) {
    say(err.message, true);
  }
});
$('[data-rotate]').addEventListener('click', rotate);
$('[data-sign-out]').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN);
  show();
});
show();
