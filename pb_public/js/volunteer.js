// volunteer.js: volunteer mode, loaded only at /volunteer. A volunteer logs
// in once; the server gives this phone a device credential that lasts for
// days offline. The password is never stored. When the credential is
// refused, the volunteer logs in again and the outbox is kept as it is.

import * as i18n from './i18n.js';
import { state, show, startReport, fillList, trySync, render, eraseReports, dropDraft } from './app.js';
import { refreshKeys } from './qrverify.js';

const { db, outbox, sync } = self.homeward;

const DEVICES = '/api/sync/devices';
// SHIFT keeps when the volunteer's shift began on this phone: the receipt
// list shows the reports filed since.
const SHIFT = 'hw-shift';

const $ = (id) => document.getElementById(id);

export async function start() {
  state.volunteerRender = renderPanel;
  $('vol-login').addEventListener('submit', login);
  $('vol-new').addEventListener('click', () => startReport(''));
  $('vol-sync').addEventListener('click', async () => {
    await outbox.retryNow();
    trySync();
  });
  $('vol-logout').addEventListener('click', logout);
  sync.events.addEventListener('relogin', () => screen());
  $('vol-qr-show').addEventListener('click', showQR);
  $('qr-close').addEventListener('click', () => { $('qr-full').hidden = true; });
  $('vol-print').addEventListener('click', () => window.print());
  $('vol-share').hidden = !navigator.share;
  $('vol-share').addEventListener('click', shareShift);
  $('vol-new-shift').addEventListener('click', newShift);
  if (!localStorage.getItem(SHIFT)) localStorage.setItem(SHIFT, String(Date.now()));
  fillEmbassies();
  await screen();
  show('volunteer');
  saveQRs();
  // The signing keys stay on the phone, so /verify can check a poster
  // at a border post with no signal.
  refreshKeys().catch(() => {});
}

// QR codes of the embassies' contact cards (vCard), kept on the phone so a
// volunteer can show one at a border post with no signal.
function qrKey(slug) {
  return 'qr:' + slug;
}

function fillEmbassies() {
  const sel = $('vol-qr-embassy');
  sel.textContent = '';
  for (const e of state.embassies) sel.appendChild(new Option(e.name, e.slug));
}

async function saveQRs() {
  for (const e of state.embassies) {
    try {
      const res = await fetch('/api/qr/embassy/' + encodeURIComponent(e.slug) + '/vcard.svg', { credentials: 'omit' });
      // 503: the server makes no codes until its public address is set.
      await db.put('meta', res.status === 503, 'qr:unconfigured');
      if (res.ok) await db.put('meta', await res.text(), qrKey(e.slug));
    } catch (err) {
      return; // offline: keep what is saved
    }
  }
}

let qrURL = '';

async function showQR() {
  const slug = $('vol-qr-embassy').value;
  const svg = slug && (await db.get('meta', qrKey(slug)));
  const unconfigured = !svg && (await db.get('meta', 'qr:unconfigured'));
  $('vol-qr-note').textContent = svg ? '' : i18n.t(unconfigured ? 'vol.qr_unconfigured' : 'vol.qr_none');
  if (!svg) return;
  if (qrURL) URL.revokeObjectURL(qrURL);
  qrURL = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  const e = state.embassies.find((x) => x.slug === slug);
  $('qr-name').textContent = e ? e.name : '';
  $('qr-img').alt = i18n.t('vol.qr');
  $('qr-img').src = qrURL;
  $('qr-full').hidden = false;
  $('qr-close').focus();
}

// A phone is handed from volunteer to volunteer at a shelter: what one
// volunteer filed (reports, receipts, replies, what is still to send) is
// theirs. Logging out erases it from the phone, after saying what is not
// sent yet; logging in as another volunteer over a lapsed login does the
// same, so nothing is sent under, or shown to, the wrong volunteer.

// unsentOps are the volunteer's operations still in the outbox.
async function unsentOps() {
  return (await outbox.list()).filter((o) => o.auth === 'volunteer');
}

// eraseVolunteerData removes the volunteer's reports, with their photos,
// messages and queued operations, the pull position and the login. A
// reporter's own reports on the same phone are kept.
async function eraseVolunteerData() {
  const ids = new Set((await db.all('reports')).filter((r) => r.channel === 'volunteer').map((r) => r.id));
  await eraseReports(ids, await unsentOps(), 'cursor:volunteer');
  await db.del('meta', 'credential');
  await dropDraft();
  localStorage.setItem(SHIFT, String(Date.now()));
}

async function logout() {
  const n = (await unsentOps()).length;
  if (!confirm(i18n.t('vol.logout_confirm', { n }))) return;
  await eraseVolunteerData();
  await screen();
}

async function screen() {
  const cred = await sync.credential();
  const relogin = await db.get('meta', 'relogin');
  const needLogin = !cred || relogin;
  $('vol-login').hidden = !needLogin;
  $('vol-panel').hidden = needLogin;
  $('vol-login-note').textContent = cred && relogin ? i18n.t('vol.relogin') : '';
  if (cred) $('vol-hello').textContent = i18n.t('vol.hello', { name: cred.name || '' });
  await render();
}

async function login(ev) {
  ev.preventDefault();
  const note = $('vol-login-note');
  note.textContent = '';
  try {
    const res = await fetch('/api/collections/volunteers/auth-with-password', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ identity: $('vol-email').value.trim(), password: $('vol-password').value }),
      credentials: 'omit',
    });
    if (!res.ok) throw new Error('login');
    const auth = await res.json();
    if (auth.record && auth.record.approved === false) {
      note.textContent = i18n.t('vol.unapproved');
      return;
    }
    // A lapsed login of another volunteer: their reports are not sent
    // under this one.
    const before = await sync.credential();
    if (before && before.volunteer && auth.record && before.volunteer !== auth.record.id) {
      const n = (await unsentOps()).length;
      if (!confirm(i18n.t('vol.other_volunteer', { name: before.name || '', n }))) return;
      await eraseVolunteerData();
    }
    const dev = await fetch(DEVICES, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: auth.token },
      body: JSON.stringify({ label: $('vol-device').value.trim() || 'phone' }),
      credentials: 'omit',
    });
    if (!dev.ok) throw new Error('device');
    const d = await dev.json();
    // The volunteer's id is part of what a sealed report is bound to
    // (keys.js): the server files the phone's reports under it.
    await db.put('meta', { token: d.token, expires: d.expires || '', name: (auth.record && (auth.record.name || auth.record.email)) || '', volunteer: (auth.record && auth.record.id) || '' }, 'credential');
    await db.put('meta', false, 'relogin');
    $('vol-password').value = '';
    await screen();
    trySync();
  } catch (e) {
    note.textContent = i18n.t(navigator.onLine ? 'vol.login_fail' : 's.offline');
  }
}

// shiftReports are this shift's reports whose receipt this phone holds,
// oldest first: those filed on it. The volunteer's reports filed on
// another phone come with a pull, but their codes stayed there.
function shiftReports(reps) {
  const since = Number(localStorage.getItem(SHIFT)) || 0;
  return reps.filter((r) => r.channel === 'volunteer' && r.receipt && r.createdAt >= since).sort((a, b) => a.createdAt - b.createdAt);
}

function shiftLine(r) {
  return groupCode(r.receipt) + ' · ' + new Date(r.createdAt).toLocaleTimeString(i18n.lang(), { hour: '2-digit', minute: '2-digit' }) +
    (r.label ? ' · ' + r.label : '');
}

function groupCode(code) {
  return self.homeward.ids.groupReceipt(self.homeward.ids.normalizeReceipt(code));
}

// renderShift draws the receipt list; it prints alone (app.css, @media
// print) and is shared as text where the phone can share.
function renderShift(reps) {
  const ol = $('vol-receipts');
  ol.textContent = '';
  for (const r of shiftReports(reps)) {
    const li = document.createElement('li');
    li.className = 'item';
    li.setAttribute('data-report', r.id);
    const code = document.createElement('strong');
    code.className = 'shift-code';
    code.textContent = groupCode(r.receipt);
    li.appendChild(code);
    const rest = document.createElement('p');
    rest.className = 'which';
    rest.textContent = shiftLine(r).slice(code.textContent.length + 3);
    li.appendChild(rest);
    ol.appendChild(li);
  }
  $('vol-shift').hidden = !ol.children.length;
}

async function shareShift() {
  const lines = shiftReports(await db.all('reports')).map(shiftLine);
  try {
    await navigator.share({ title: i18n.t('vol.shift'), text: lines.join('\n') });
  } catch (e) { /* cancelled */ }
}

// newShift empties the list: the labels (first words) leave the phone.
async function newShift() {
  if (!confirm(i18n.t('vol.new_shift_confirm'))) return;
  localStorage.setItem(SHIFT, String(Date.now()));
  const old = (await db.all('reports')).filter((r) => r.label);
  await db.putMany(old.map((r) => { const c = Object.assign({}, r); delete c.label; return ['reports', c]; }));
  await render();
}

function renderPanel(reps, files, msgs) {
  const mine = reps.filter((r) => r.channel === 'volunteer');
  renderShift(reps);
  const sent = mine.filter((r) => r.state === 'sent').length;
  $('vol-count').textContent = i18n.t('vol.outbox', { w: mine.length - sent, s: sent });
  fillList($('vol-list'), mine, files, msgs);
}
