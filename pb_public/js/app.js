// app.js: the reporter app's screens. Everything a person writes is saved
// on the phone first (db.js, outbox.js) and sent by sync.js when a network
// exists; the screens only ever show the state the database holds.

import * as i18n from './i18n.js';
import * as media from './media.js';
import { NEEDS, NATIONALITY_OTHER } from './vocabulary.js';
import { inView } from './inview.js';
import * as draft from './draft.js';

// The store, the queue and the sender are classic scripts the service
// worker shares (see db.js); index.html loads them before this module.
const { db, outbox, sync } = self.homeward;
const { newId, newReceipt, normalizeReceipt, groupReceipt, receiptChecks } = self.homeward.ids;

// CONSENT_VERSION names the consent wording shown in this release; staff
// see which wording a person agreed to.
const CONSENT_VERSION = 'web-1';
const EXIT_URL = 'https://www.google.com/';
// PERIODIC_SYNC is the least time between periodic background sends; the
// browser stretches it by how much the app is used. It is dropped once the
// outbox is empty (sw.js), so a phone with nothing to send stays silent.
const PERIODIC_SYNC = 6 * 60 * 60 * 1000;

const $ = (id) => document.getElementById(id);

export const state = {
  mode: location.pathname.indexOf('/volunteer') === 0 ? 'volunteer' : 'self',
  embassies: [],
  preset: '',     // embassy slug from a QR link
  photos: [],     // shrunk photos of the report being written
  voice: null,
  recorder: null,
  following: '',  // receipt shown on the follow-up screen
  lastReceipt: '',
  lastReport: '',
  volunteerRender: null, // set by volunteer.js in volunteer mode
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function show(id) {
  // The nationality list is fetched when the form first opens, not with
  // the first screen (it is not part of the first load on 2G).
  if (id === 'report' && !countries) renderNationalities();
  document.querySelectorAll('.screen').forEach((s) => { s.hidden = s.id !== id; });
  window.scrollTo(0, 0);
  const h = $(id).querySelector('h1');
  if (h) { h.tabIndex = -1; h.focus(); }
}

// ----- safety -----

function quickExit() {
  try { sessionStorage.clear(); } catch (e) { /* private mode */ }
  // A report being written goes too: asked at once, done now if there is
  // time, else at the next start.
  try { localStorage.setItem(DROP_DRAFTS, '1'); } catch (e) { /* private mode */ }
  clearTimeout(draftTimer);
  dropAllDrafts().catch(() => {});
  // replace(): the app's page leaves the back history.
  location.replace(EXIT_URL);
}

function applyNeutral() {
  const on = localStorage.getItem('hw-neutral') === '1';
  $('neutral').checked = on;
  document.title = on ? i18n.t('app.neutral') : i18n.t('app.name');
  $('brand').textContent = document.title;
  $('icon').href = on ? '/icons/neutral.svg' : '/icons/icon.svg';
}

async function eraseAll() {
  const waiting = (await outbox.list()).length;
  if (!confirm(i18n.t('set.erase_confirm', { n: waiting }))) return;
  await db.erase();
  if ('caches' in window) for (const k of await caches.keys()) await caches.delete(k);
  if (navigator.serviceWorker) for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
  localStorage.clear();
  sessionStorage.clear();
  location.replace('/');
}

// ----- embassies -----

// showSavedEmbassies draws the directory saved on the phone.
async function showSavedEmbassies() {
  state.embassies = (await db.all('embassies')).sort((a, b) => (a.country + a.name).localeCompare(b.country + b.name));
  // On a first visit the phone has none yet: the cards the server wrote
  // into the page stay until loadEmbassies' fetch replaces them.
  if (state.embassies.length || !$('embassies').children.length) renderEmbassies();
}

async function loadEmbassies() {
  await showSavedEmbassies();
  try {
    const res = await fetch('/api/collections/embassies/records?perPage=500&sort=country,name', { credentials: 'omit' });
    if (!res.ok) return;
    const items = (await res.json()).items || [];
    for (const e of state.embassies) if (!items.some((x) => x.id === e.id)) await db.del('embassies', e.id);
    for (const e of items) await db.put('embassies', e);
    state.embassies = items;
    renderEmbassies();
  } catch (e) {
    // offline: the saved directory stays on screen
  }
}

// embassyText is an embassy's field in the page's language: its variant in
// embassies.i18n when one is set, else the field as it is (the server's
// rule: EmbassyText in hooks/qr).
function embassyText(e, field) {
  const v = e.i18n && e.i18n[i18n.lang()] && e.i18n[i18n.lang()][field];
  return (typeof v === 'string' && v.trim()) || e[field] || '';
}

function embassyBySlug(slug) {
  return state.embassies.find((e) => e.slug === slug);
}

function renderEmbassies() {
  const box = $('embassies');
  box.textContent = '';
  $('contacts-note').textContent = i18n.t(state.embassies.length ? 'home.contacts_offline' : 'home.contacts_none');
  // The embassies that answer in the phone's language first (a Burmese
  // phone lists Myanmar's first), then the others; a poster's embassy
  // before all.
  const lang = i18n.lang();
  const speaks = (e) => (e.languages || []).indexOf(lang) >= 0;
  const list = state.embassies.filter(speaks).concat(state.embassies.filter((e) => !speaks(e)));
  const pre = embassyBySlug(state.preset);
  if (pre) list.splice(list.indexOf(pre), 1), list.unshift(pre);
  for (const e of list) box.appendChild(card(e, e === pre));
  const sel = $('f-embassy');
  const keep = sel.value || (pre && pre.id) || '';
  sel.textContent = '';
  sel.appendChild(new Option(i18n.t('f.choose'), ''));
  for (const e of state.embassies) sel.appendChild(new Option(embassyText(e, 'name'), e.id));
  sel.value = keep;
}

function card(e, open) {
  const d = el('details', 'card');
  d.open = open;
  d.appendChild(el('summary', '', embassyText(e, 'name')));
  if (e.demo) d.appendChild(el('p', 'demo', i18n.t('emb.demo')));
  // The messaging contact links as on the contact page: the server builds
  // its tap target by the same rule (messaging_href).
  const rows = [['emb.hotline', e.hotline, 'tel:'], ['emb.messaging', e.messaging, '', e.messaging_href], ['emb.email', e.email, 'mailto:'],
    ['emb.address', e.address], ['emb.hours', embassyText(e, 'hours')], ['emb.bring', embassyText(e, 'what_to_bring')], ['', embassyText(e, 'notes')]];
  const dl = el('dl');
  for (const [k, v, scheme, href] of rows) {
    if (!v) continue;
    if (k) dl.appendChild(el('dt', '', i18n.t(k)));
    const dd = el('dd');
    if ((scheme || href) && !e.demo) {
      const a = el('a', 'big-link', v);
      a.href = href || scheme + v.replace(/[^+0-9@.a-zA-Z_-]/g, '');
      dd.appendChild(a);
    } else dd.textContent = v;
    dl.appendChild(dd);
  }
  d.appendChild(dl);
  const b = el('button', 'big primary', i18n.t('emb.report'));
  b.type = 'button';
  b.addEventListener('click', () => startReport(e.id));
  d.appendChild(b);
  return d;
}

// ----- report form -----

let countries = null; // /i18n/countries.json: the nationality list and its names

// renderNationalities fills the nationality list in the page's language:
// "unknown" (empty) first, the countries by name, "another country" last.
// The codes are the server's (hooks/reports/nationality.go).
async function renderNationalities() {
  const sel = $('f-nationality');
  if (!countries) {
    try {
      countries = await (await fetch('/i18n/countries.json')).json();
    } catch (e) {
      countries = { codes: [], names: {} };
    }
  }
  const l = i18n.lang();
  const names = countries.names[l] || countries.names.en || {};
  const keep = sel.value || state.draftNationality || '';
  state.draftNationality = '';
  sel.textContent = '';
  const opt = (value, text) => {
    const o = el('option', '', text);
    o.value = value;
    sel.appendChild(o);
  };
  opt('', i18n.t('nat.unknown'));
  const byName = new Intl.Collator(l).compare;
  countries.codes.slice().sort((a, b) => byName(names[a] || a, names[b] || b)).forEach((c) => opt(c, names[c] || c));
  opt(NATIONALITY_OTHER, i18n.t('nat.other'));
  sel.value = keep;
}

function renderNeeds() {
  const fs = $('needs');
  fs.querySelectorAll('label').forEach((l) => l.remove());
  for (const n of NEEDS) {
    const l = el('label', 'check');
    const i = el('input');
    i.type = 'checkbox';
    i.name = 'needs';
    i.value = n;
    l.appendChild(i);
    l.appendChild(document.createTextNode(' '));
    const s = el('span', '', i18n.t('need.' + n));
    s.setAttribute('data-i18n', 'need.' + n);
    l.appendChild(s);
    fs.appendChild(l);
  }
}

// ----- the report being written (draft.js) -----

const draftKey = (mode = state.mode) => 'draft:' + mode;
// DROP_DRAFTS (localStorage, written at once) asks the next start to remove
// the drafts: quick exit leaves no time to wait for IndexedDB.
const DROP_DRAFTS = 'hw-drop-drafts';
let draftTimer = 0;
let draftSaving = Promise.resolve();

// keepDraft writes the form down soon after each change: many keystrokes,
// one write.
function keepDraft() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraft, 300);
}

function saveDraft() {
  clearTimeout(draftTimer);
  const fields = draft.snapshot($('report-form'));
  const files = state.photos.length + (state.voice ? 1 : 0);
  const key = draftKey();
  draftSaving = draftSaving.then(() => (draft.worthKeeping(fields, files)
    ? db.put('meta', { fields, photos: state.photos.slice(), voice: state.voice }, key)
    : db.del('meta', key))).catch(() => {});
  return draftSaving;
}

// dropDraft empties the form and removes the draft from the phone (a
// volunteer logging out leaves nothing of a report being written).
export async function dropDraft() {
  clearTimeout(draftTimer);
  await draftSaving;
  emptyForm();
  await db.del('meta', draftKey());
}

// emptyForm clears the report form, its photos and voice note, and the
// word that a draft was kept.
function emptyForm() {
  $('report-form').reset();
  $('f-nationality-other-box').hidden = true;
  $('f-draft').hidden = true;
  state.photos = [];
  state.voice = null;
  renderPhotos();
}

// dropAllDrafts removes the drafts of both modes from the phone.
function dropAllDrafts() {
  return Promise.all(['self', 'volunteer'].map((mode) => db.del('meta', draftKey(mode))));
}

// restoreDraft puts back the report that was being written when the page
// was last left, if any. It runs before the form can be saved again, so a
// draft is never written over before it is back; what was typed before
// the page was ready stays. A nationality waits for the list to load
// (renderNationalities).
async function restoreDraft() {
  if (localStorage.getItem(DROP_DRAFTS) === '1') {
    // Quick exit was pressed: what was being written goes.
    await dropAllDrafts();
    localStorage.removeItem(DROP_DRAFTS);
  }
  const d = await db.get('meta', draftKey());
  if (!d || !d.fields) return;
  draft.fill($('report-form'), d.fields);
  const nat = d.fields.find(([name]) => name === 'nationality');
  if (nat && $('f-nationality').value !== nat[1]) {
    state.draftNationality = nat[1];
    if (countries) renderNationalities();
  }
  $('f-nationality-other-box').hidden = $('f-nationality').value !== NATIONALITY_OTHER && state.draftNationality !== NATIONALITY_OTHER;
  state.photos = (d.photos || []).concat(state.photos);
  state.voice = state.voice || d.voice || null;
  renderPhotos();
  $('f-draft').hidden = false;
}

// discardDraft empties the form and removes the draft from the phone, at
// the person's word (a phone that is not theirs).
async function discardDraft() {
  await dropDraft();
  if (state.mode !== 'volunteer') {
    const pre = embassyBySlug(state.preset);
    if (pre) $('f-embassy').value = pre.id;
  }
  $('f-message').focus();
}

export function startReport(embassyId) {
  $('f-embassy').value = embassyId || $('f-embassy').value;
  showPromise();
  $('f-saved').hidden = true;
  $('form-error').textContent = '';
  show('report');
}

function formData(form) {
  const f = new FormData(form);
  const s = (k) => String(f.get(k) || '').trim();
  const data = {
    embassy: s('embassy'),
    // "Another country" sends what was typed: the server keeps it for
    // staff, or finds the country in its list after all.
    nationality: s('nationality') === NATIONALITY_OTHER ? s('nationality_other') || NATIONALITY_OTHER : s('nationality'),
    people_count: Math.max(1, Math.min(1000, parseInt(s('people_count'), 10) || 1)),
    minors_present: f.get('minors_present') === 'on',
    compound_location: s('compound_location'),
    current_location: s('current_location'),
    needs: f.getAll('needs'),
    safety_risk_now: f.get('safety_risk_now') === 'on',
    passport_held: s('passport_held'),
    message: s('message'),
    contact_name: s('contact_name'),
    contact_phone: s('contact_phone'),
    contact_app: s('contact_app'),
    consent_contact: f.get('consent_contact') === 'on',
    consent_share: f.get('consent_share') === 'on',
    consent_version: CONSENT_VERSION,
    language: i18n.lang(),
    device_created: new Date().toISOString(),
  };
  if (s('left_on')) data.left_on = s('left_on') + ' 00:00:00.000Z';
  return data;
}

async function addPhotos(input) {
  for (const file of Array.from(input.files || [])) {
    try {
      const blob = await media.shrink(file);
      state.photos.push({ blob, name: 'photo-' + (state.photos.length + 1) + '.jpg', mime: 'image/jpeg' });
    } catch (e) {
      $('form-error').textContent = i18n.t('f.photo_bad');
    }
  }
  input.value = '';
  renderPhotos();
  keepDraft();
}

function renderPhotos() {
  const ul = $('photo-list');
  ul.textContent = '';
  const all = state.photos.concat(state.voice ? [state.voice] : []);
  for (const p of all) {
    const li = el('li', '', p.mime.indexOf('audio') === 0 ? i18n.t('f.voice_saved', { s: p.seconds }) : p.name + ' (' + Math.ceil(p.blob.size / 1024) + ' KB)');
    const rm = el('button', 'small', i18n.t('f.remove'));
    rm.type = 'button';
    rm.addEventListener('click', () => {
      if (p === state.voice) state.voice = null;
      else state.photos.splice(state.photos.indexOf(p), 1);
      renderPhotos();
      keepDraft();
    });
    li.appendChild(rm);
    ul.appendChild(li);
  }
}

async function toggleRecord() {
  const btn = $('rec');
  if (state.recorder) {
    const r = await state.recorder.stop();
    state.recorder = null;
    state.voice = { blob: r.blob, name: 'voice.webm', mime: 'audio/webm', seconds: r.seconds };
    btn.textContent = i18n.t('f.record');
    $('rec-state').textContent = '';
    renderPhotos();
    keepDraft();
    return;
  }
  try {
    state.recorder = await media.record();
    btn.textContent = i18n.t('f.stop');
    $('rec-state').textContent = i18n.t('f.recording');
  } catch (e) {
    $('rec-state').textContent = i18n.t('f.no_mic');
  }
}

// submit saves the report, its receipt, its files and its outbox entry in
// one IndexedDB transaction; only then does the screen say "saved".
async function submit(ev) {
  ev.preventDefault();
  const form = ev.target;
  const data = formData(form);
  if (!data.embassy) {
    $('form-error').textContent = i18n.t('f.need_embassy');
    $('f-embassy').focus();
    return;
  }
  const id = newId();
  const receipt = newReceipt();
  const emb = state.embassies.find((e) => e.id === data.embassy);
  const files = state.photos.concat(state.voice ? [state.voice] : []);
  const report = { id, receipt, channel: state.mode, embassy: data.embassy, embassyName: emb ? embassyText(emb, 'name') : '', data, state: 'saved', status: '', createdAt: Date.now(), files: files.length };
  // A volunteer's report keeps a short label (people, first words) for the
  // shift's receipt list after its content has left the phone.
  if (state.mode === 'volunteer') report.label = whichReport(data);
  const entries = [
    ['reports', report],
    ['outbox', outbox.entry('create', 'reports', id, await sealed(id, data, normalizeReceipt(receipt)), normalizeReceipt(receipt), state.mode)],
  ];
  for (const f of files) {
    // The bytes stored here are the bytes uploaded: sealed once, so a
    // resumed upload sends the same ones.
    const blob = await sealedFile(id, data.embassy, f);
    entries.push(['files', { id: newId(), report: id, blob: blob || f.blob, sealed: !!blob, name: f.name, mime: f.mime, sha256: await media.sha256(blob || f.blob), size: (blob || f.blob).size, state: 'waiting' }]);
  }
  // The draft goes in the same write: a report saved is never offered
  // again as one being written.
  clearTimeout(draftTimer);
  await draftSaving;
  entries.push(['meta', null, draftKey()]);
  await db.putMany(entries);
  askBackgroundSync();
  emptyForm();
  $('f-embassy').value = data.embassy;
  state.lastReceipt = receipt;
  if (state.mode === 'volunteer') {
    // A volunteer files report after report: no receipt screen to leave,
    // the form is ready for the next one at once. The code stays on screen
    // for a person who wants it, and in the shift's list (volunteer.js),
    // which can be printed or shared.
    $('f-saved').textContent = i18n.t('vol.saved', { code: receipt, which: report.label });
    $('f-saved').hidden = false;
    show('report');
    await render();
    trySync();
    return;
  }
  state.lastReport = id;
  $('receipt-code').textContent = receipt;
  $('receipt-ok').checked = false;
  $('receipt-done').disabled = true;
  show('receipt');
  await render();
  trySync();
}

// ----- sealing -----

let keysModule = null;
let keysNow = null; // keys.js, once loaded

// keys loads keys.js (with seal.js and the HPKE library) after the first
// screen, so the first visit on 2G never waits for it.
function keys() {
  if (!keysModule) keysModule = import('./keys.js').then((k) => (keysNow = k), (e) => { keysModule = null; throw e; });
  return keysModule;
}

async function volunteerId() {
  const c = state.mode === 'volunteer' ? await db.get('meta', 'credential') : null;
  return (c && c.volunteer) || '';
}

// sealed returns a new report's data as it goes in the outbox: its private
// fields sealed to its embassy's key when the phone holds one, with the
// reply key derived from its receipt, else as written. Should sealing fail
// here, the report is kept as written: sync.js holds it until a page seals
// it (sealOutbox), never sending it in clear to an embassy with a key.
async function sealed(id, data, receipt) {
  try {
    return (await (await keys()).sealReport(id, data, state.mode, await volunteerId(), receipt)) || data;
  } catch (e) {
    return data;
  }
}

// sealedMessage is sealed for a reporter's message.
async function sealedMessage(id, data, embassy) {
  try {
    return (await (await keys()).sealMessage(id, data, embassy)) || data;
  } catch (e) {
    return data;
  }
}

// sealedFile is a photo or voice note sealed to its report's embassy's
// key, or null when the phone holds none (or sealing failed: sync.js then
// holds the file until a page seals it, as it does a report).
async function sealedFile(report, embassy, f) {
  try {
    return await (await keys()).sealFile(report, embassy, f.blob, f.mime);
  } catch (e) {
    return null;
  }
}

// keysWanted reports whether something waits in the outbox (or among the
// files) in plaintext, never tried, for an embassy whose key the phone
// does not hold: its key may have come since (a report written offline on
// a first visit).
async function keysWanted() {
  for (const o of await outbox.list()) {
    if (o.kind !== 'create' || !o.data || o.data.sealed || o.attempts) continue;
    let embassy = o.collection === 'reports' ? o.data.embassy : '';
    if (o.collection === 'messages') {
      const r = await db.get('reports', o.data.report);
      embassy = r && r.embassy;
    }
    if (embassy && !(await db.get('meta', 'keys:' + embassy))) return true;
  }
  for (const f of await db.all('files')) {
    if (f.sealed || f.url || f.state !== 'waiting') continue;
    const r = await db.get('reports', f.report);
    if (r && r.embassy && !(await db.get('meta', 'keys:' + r.embassy))) return true;
  }
  return false;
}

// refreshKeys fetches the embassies' keys, checks their chains, and seals
// the reports written before a key was known.
async function refreshKeys() {
  try {
    const k = await keys();
    await k.refresh();
    await k.sealOutbox(await volunteerId());
    await showPromise();
  } catch (e) {
    // offline and never loaded: the next start tries again
  }
}

// ----- state rendering -----

// showPromise says, above the form, who will be able to read the report
// for the embassy chosen, and only what is true (docs/SECURITY.md, "Sealed
// reports"): sealed on this phone to the key it pinned, with the key's
// fingerprint (the one on the embassy's poster and contact page); not
// receiving reports yet, for an embassy with no key (the report waits on
// the phone); its key not checked yet on this phone (then the server seals
// it on arrival, or it waits); or, for an embassy that takes reports in
// clear until it has a key, readable by those who run the service too.
async function showPromise() {
  const p = $('f-hint');
  const id = $('f-embassy').value;
  const emb = state.embassies.find((e) => e.id === id);
  let key = 'f.hint';
  const vars = {};
  if (emb) {
    vars.embassy = embassyText(emb, 'name');
    const k = await db.get('meta', 'keys:' + id);
    if (k && k.broken) key = 's.key_broken';
    else if (k) {
      key = 'f.sealed';
      vars.key = String(k.first || k.kid).match(/.{1,4}/g).join(' ');
    } else if (!emb.clear_until_keyed) {
      key = (await db.get('meta', 'keys:checked')) ? 'f.no_key' : 'f.key_unchecked';
    }
  }
  if ($('f-embassy').value !== id) return; // chosen again meanwhile
  p.removeAttribute('data-i18n'); // its words depend on the embassy: kept here
  p.dataset.promise = key;
  p.textContent = i18n.t(key, vars);
}

function stateText(r) {
  if (r.state === 'rejected') return i18n.t('s.rejected', { e: r.error || '' });
  return i18n.t('s.' + (r.state || 'saved'));
}

export async function render() {
  const reps = (await db.all('reports')).sort((a, b) => b.createdAt - a.createdAt);
  const files = await db.all('files');
  const msgs = await db.all('messages');
  const mine = reps.filter((r) => r.channel !== 'volunteer');
  $('mine-box').hidden = mine.length === 0;
  fillList($('mine'), mine, files, msgs);
  $('send-now').hidden = !(await outbox.list()).length;
  if (state.lastReport) {
    const r = reps.find((x) => x.id === state.lastReport);
    if (r) {
      $('receipt-state').textContent = stateText(r);
      $('receipt-state').className = 'state state-' + (r.state || 'saved');
    }
  }
  if (state.following) renderFollow(reps, msgs);
  if (state.volunteerRender) state.volunteerRender(reps, files, msgs);
}

export function fillList(ul, reps, files, msgs) {
  ul.textContent = '';
  for (const r of reps) {
    const li = el('li', 'item');
    li.setAttribute('data-report', r.id);
    li.appendChild(el('strong', '', r.embassyName || ''));
    li.appendChild(el('span', 'when', ' ' + new Date(r.createdAt).toLocaleString(i18n.lang())));
    if (r.channel === 'volunteer' && (r.label || r.data)) {
      // Which report this is, for the volunteer who filed many: the short
      // label stays once the server has the report and the phone has
      // dropped its content, so a status or a reply can be told apart.
      li.appendChild(el('p', 'which', r.label || whichReport(r.data)));
    }
    const st = el('p', 'state state-' + (r.state || 'saved'), stateText(r));
    li.appendChild(st);
    const mineFiles = files.filter((f) => f.report === r.id);
    const waiting = mineFiles.filter((f) => f.state !== 'sent' && f.state !== 'rejected');
    if (waiting.length) li.appendChild(el('p', 'hint', i18n.t('s.files_wait', { n: waiting.length })));
    // Each photo or voice note's own progress, as its chunks arrive.
    mineFiles.forEach((f, i) => {
      if (f.state === 'sent' || f.state === 'rejected' || !f.sent || !f.size) return;
      const p = Math.min(99, Math.floor(f.sent * 100 / f.size));
      li.appendChild(el('p', 'hint file-progress', i18n.t('s.file_progress', { i: i + 1, n: mineFiles.length, p })));
    });
    const refused = files.filter((f) => f.report === r.id && f.state === 'rejected').length;
    if (refused) li.appendChild(el('p', 'hint state-rejected files-refused', i18n.t('s.files_refused', { n: refused })));
    if (r.status) li.appendChild(el('p', 'status', i18n.t('st.label') + ': ' + i18n.t('status.' + r.status)));
    const replies = msgs.filter((m) => m.report === r.id && m.direction === 'staff').length;
    if (replies) li.appendChild(el('p', 'replies', i18n.t('s.replies', { n: replies })));
    if (r.receipt) {
      const b = el('button', 'small', i18n.t('home.follow'));
      b.type = 'button';
      b.addEventListener('click', () => openFollow(r.receipt));
      li.appendChild(b);
    }
    ul.appendChild(li);
  }
}

// whichReport tells a volunteer's reports apart: how many people it is
// about and the first words typed.
export function whichReport(data) {
  const words = String(data.message || '').trim().split(/\s+/).slice(0, 8).join(' ');
  const who = i18n.t('vol.people', { n: data.people_count || 1 });
  return who + (words ? ' · ' + words + (words.length < String(data.message).trim().length ? '…' : '') : '');
}

function onProgress(e) {
  const d = e.detail;
  const txt = d.done < d.total ? i18n.t('s.progress', { i: d.done + 1, n: d.total }) : '';
  $('progress').textContent = txt;
  const vp = $('vol-progress');
  if (vp) vp.textContent = txt;
}

// ----- follow-up -----

async function openFollow(code) {
  state.following = code ? normalizeReceipt(code) : '';
  $('fu-code').value = state.following ? groupReceipt(state.following) : '';
  $('fu-note').textContent = '';
  show('follow');
  if (state.following) await follow();
}

async function follow() {
  await render();
  try {
    await sync.followReceipt(state.following);
    $('fu-note').textContent = '';
  } catch (e) {
    const key = { 400: 'fu.bad', 404: 'fu.unknown', 429: 'fu.limited' }[e.status] || 'fu.offline';
    $('fu-note').textContent = i18n.t(key);
  }
  await render();
}

function renderFollow(reps, msgs) {
  const r = reps.find((x) => x.receipt && normalizeReceipt(x.receipt) === state.following);
  $('fu-result').hidden = !r;
  if (!r) {
    if (!$('fu-note').textContent) $('fu-note').textContent = i18n.t('fu.unknown');
    return;
  }
  $('fu-status').textContent = r.status ? i18n.t('status.' + r.status) : stateText(r);
  const ul = $('fu-messages');
  ul.textContent = '';
  const list = msgs.filter((m) => m.report === r.id).sort((a, b) => String(a.created).localeCompare(String(b.created)));
  if (!list.length) ul.appendChild(el('li', 'hint', i18n.t('fu.none')));
  markShown(r, list).catch(() => {});
  // A sealed reply is opened with the receipt by keys.js (drawn again once loaded).
  const had = keysNow;
  if (list.some((m) => m.sealed && !m.body)) keys().then((k) => (had ? k.openReplies(list, state.following, render) : render())).catch(() => {});
  for (const m of list) {
    const li = el('li', 'msg msg-' + m.direction);
    li.appendChild(el('strong', '', i18n.t(m.direction === 'staff' ? 'fu.embassy' : 'fu.you') + ': '));
    li.appendChild(keysNow && m.sealed && !m.body ? keysNow.sealedText(m, i18n.t) : el('span', '', m.body));
    const at = Date.parse(String(m.created).replace(' ', 'T'));
    if (at) li.appendChild(el('time', 'when', ' ' + new Date(at).toLocaleString(i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' })));
    if (m.direction === 'reporter' && m.state !== 'sent') li.appendChild(el('p', 'state', stateText(m)));
    ul.appendChild(li);
  }
}

// markShown tells the embassy, through the outbox, that the replies now on
// the screen were shown: each staff reply is marked once. On the screen
// means the follow-up screen of this receipt, in a page in view: a reply
// that a sync brings while the phone is locked, or while another screen
// is open, is marked when it is seen.
const marking = new Set(); // reply ids being queued, against two renders at once

async function markShown(r, list) {
  const code = state.following;
  await inView();
  if (state.following !== code || $('follow').hidden) return;
  const auth = r.channel === 'volunteer' ? 'volunteer' : 'self';
  // A sealed reply counts as shown once it is open on the screen.
  const shown = (m) => m.body || !m.sealed || (keysNow && keysNow.opened(m));
  const fresh = list.filter((m) => m.direction === 'staff' && shown(m) && !m.read_by_reporter && !m.readQueued && !marking.has(m.id));
  if (!fresh.length) return;
  fresh.forEach((m) => marking.add(m.id));
  await db.putMany(fresh.flatMap((m) => [
    ['messages', Object.assign({}, m, { readQueued: true })],
    ['outbox', outbox.entry('update', 'messages', m.id, { read_by_reporter: true }, state.following, auth)],
  ]));
  askBackgroundSync();
  trySync();
}

// eraseReports removes reports (ids) from the phone with their messages
// and files, the queued operations ops, and the pull position cursorKey.
export async function eraseReports(ids, ops, cursorKey) {
  for (const o of ops) await db.del('outbox', o.op);
  for (const name of ['messages', 'files']) {
    for (const x of await db.all(name)) if (ids.has(x.report)) await db.del(name, x.id);
  }
  for (const id of ids) await db.del('reports', id);
  await db.del('meta', cursorKey);
}

// forgetFollowed removes the code on the follow-up screen from the phone:
// its report, replies and files, anything still to send with it, and its
// pull position. A code looked up on a borrowed phone leaves no way there
// to read the embassy's replies; the server keeps them all.
async function forgetFollowed() {
  const code = state.following;
  if (!code) return;
  const ids = new Set((await db.all('reports')).filter((r) => r.receipt && normalizeReceipt(r.receipt) === code).map((r) => r.id));
  const ops = (await outbox.list()).filter((o) => ids.has(o.id) || (o.data && ids.has(o.data.report)) || (o.receipt && normalizeReceipt(o.receipt) === code));
  if (!confirm(i18n.t('fu.forget_confirm', { n: ops.length }))) return;
  // A pull of the code under way (the follow-up screen's, a sync's) stores
  // nothing more of it.
  sync.forget(code);
  state.following = '';
  await eraseReports(ids, ops, 'cursor:r:' + code);
  $('fu-code').value = '';
  $('fu-result').hidden = true;
  show('home');
  await render();
}

async function reply(ev) {
  ev.preventDefault();
  const body = $('fu-reply').value.trim();
  const reps = await db.all('reports');
  const r = reps.find((x) => x.receipt && normalizeReceipt(x.receipt) === state.following);
  if (!body || !r) return;
  const id = newId(15);
  const data = { report: r.id, body };
  await db.putMany([
    ['messages', { id, report: r.id, direction: 'reporter', body, created: new Date().toISOString(), state: 'saved' }],
    ['outbox', outbox.entry('create', 'messages', id, await sealedMessage(id, data, r.embassy), state.following, r.channel === 'volunteer' ? 'volunteer' : 'self')],
  ]);
  $('fu-reply').value = '';
  askBackgroundSync();
  await render();
  trySync();
}

// ----- sync scheduling -----

// askBackgroundSync asks the browser to wake the service worker when the
// network is back (Background Sync, Chrome 49+), which sends the outbox
// itself when no page is open; periodic sync (Chrome 80+, installed apps
// only) is a second chance. Elsewhere `online`, the backoff timer and the
// next start do the work.
function askBackgroundSync() {
  if (!navigator.serviceWorker) return;
  navigator.serviceWorker.ready.then((r) => {
    if (r.periodicSync) r.periodicSync.register('outbox', { minInterval: PERIODIC_SYNC }).catch(() => {});
    return r.sync && r.sync.register('outbox');
  }).catch(() => {});
}

let timer = 0;
let fileTries = 0;

// trySync runs a sync pass now and schedules the next one from the
// outbox's backoff; an unreachable server is normal, not an error.
export async function trySync() {
  clearTimeout(timer);
  if (navigator.onLine === false) {
    // Known offline: keep "saved on this phone" and wait for `online`.
    $('net').textContent = i18n.t('s.offline');
    $('net').hidden = false;
    await render();
    return;
  }
  // Before sending in plaintext, a last look for the embassy's key.
  if (await keysWanted()) await refreshKeys();
  try {
    await sync.run();
    // A pass begun online can end after the connection went: the notice
    // the offline event showed stays.
    $('net').hidden = navigator.onLine !== false;
  } catch (e) {
    // fetch rejects with a TypeError only when no answer came back at all;
    // a server error shows on each report as "failed, will retry".
    $('net').textContent = i18n.t('s.offline');
    $('net').hidden = navigator.onLine !== false && !(e instanceof TypeError);
  }
  await render();
  let wait = await outbox.nextDelay(Date.now());
  // Photos are not in the outbox; while any wait, retry them with backoff too.
  const files = (await db.all('files')).filter((f) => f.state !== 'sent' && f.state !== 'rejected');
  fileTries = files.length ? fileTries + 1 : 0;
  if (files.length) wait = wait < 0 ? outbox.backoff(fileTries) : Math.min(wait, outbox.backoff(fileTries));
  if (wait >= 0) timer = setTimeout(trySync, Math.max(1000, wait));
}

async function sendNow() {
  await outbox.retryNow();
  trySync();
}

// ----- start -----

function wire() {
  $('exit').addEventListener('click', quickExit);
  $('lang').addEventListener('change', async (e) => {
    localStorage.setItem('hw-lang', e.target.value);
    await i18n.load(e.target.value);
    const ticked = draft.snapshot($('report-form'));
    renderNeeds();
    draft.fill($('report-form'), ticked);
    if (countries) await renderNationalities();
    applyNeutral();
    renderEmbassies();
    await render();
    await showPromise();
  });
  $('f-embassy').addEventListener('change', showPromise);
  document.querySelectorAll('[data-go]').forEach((b) => b.addEventListener('click', () => {
    const to = b.getAttribute('data-go');
    if (to === 'follow') return openFollow('');
    // An embassy card the server wrote into the page (see loadEmbassies).
    if (to === 'report' && b.hasAttribute('data-embassy')) return startReport(b.getAttribute('data-embassy'));
    if (to === 'home' && state.mode === 'volunteer') return show('volunteer');
    show(to);
  }));
  $('report-form').addEventListener('submit', submit);
  $('report-form').addEventListener('input', keepDraft);
  $('report-form').addEventListener('change', keepDraft);
  $('f-draft-discard').addEventListener('click', discardDraft);
  $('f-nationality').addEventListener('change', (e) => { $('f-nationality-other-box').hidden = e.target.value !== NATIONALITY_OTHER; });
  $('f-photos').addEventListener('change', (e) => addPhotos(e.target));
  $('rec').addEventListener('click', toggleRecord);
  $('voice').hidden = !media.canRecord();
  $('receipt-ok').addEventListener('change', (e) => { $('receipt-done').disabled = !e.target.checked; });
  $('receipt-done').addEventListener('click', () => {
    state.lastReport = '';
    show(state.mode === 'volunteer' ? 'volunteer' : 'home');
  });
  $('follow-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const code = normalizeReceipt($('fu-code').value);
    $('fu-older').hidden = true;
    if (!code) {
      $('fu-note').textContent = i18n.t('fu.bad');
      return;
    }
    $('fu-code').value = groupReceipt(code);
    if (!receiptChecks(code)) {
      // Caught on the phone, before any request: one wrong digit or two
      // swapped. A code made before receipts had a check digit may fail
      // too, so the person can still look it up.
      $('fu-note').textContent = i18n.t('fu.typo');
      $('fu-older').hidden = false;
      return;
    }
    openFollow(code);
  });
  $('fu-older').addEventListener('click', () => {
    $('fu-older').hidden = true;
    openFollow(normalizeReceipt($('fu-code').value));
  });
  $('reply-form').addEventListener('submit', reply);
  $('fu-forget').addEventListener('click', forgetFollowed);
  $('neutral').addEventListener('change', (e) => {
    localStorage.setItem('hw-neutral', e.target.checked ? '1' : '0');
    applyNeutral();
  });
  $('erase').addEventListener('click', eraseAll);
  $('send-now').addEventListener('click', sendNow);
  window.addEventListener('online', sendNow);
  window.addEventListener('offline', () => {
    $('net').textContent = i18n.t('s.offline');
    $('net').hidden = false;
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) trySync(); });
  sync.events.addEventListener('change', () => {
    render();
    // A sync is under way: the follow-up screen's "could not reach the
    // server" may be stale, so it asks again (and says so again if it
    // still cannot).
    if (state.following && !$('follow').hidden && $('fu-note').textContent === i18n.t('fu.offline')) follow().catch(() => {});
  });
  sync.events.addEventListener('progress', onProgress);
  // Burmese typed in Zawgyi is offered a conversion (zawgyi-check.js,
  // loaded on the first Burmese letter).
  document.addEventListener('input', (e) => {
    const f = e.target;
    if (f.id && (f.tagName === 'TEXTAREA' || f.type === 'text') && /[\u1000-\u109F]/.test(f.value)) {
      import('./zawgyi-check.js').then((m) => m.check(f)).catch(() => {});
    }
  });
  // From here app.js runs the page; js/first-screen.js steps aside.
  document.documentElement.setAttribute('data-wired', '1');
}

async function start() {
  const q = new URLSearchParams(location.search);
  const m = location.pathname.match(/^\/e\/([a-z0-9-]+)/);
  state.preset = q.get('embassy') || (m ? m[1] : '');
  const l = i18n.pick(q.get('lang'));
  $('lang').value = l;
  await i18n.load(l);
  renderNeeds();
  applyNeutral();
  await showSavedEmbassies();
  await restoreDraft();
  wire();
  // Opened with no connection: say so before the page is ready, not after
  // the first sync finds it out, so the buttons do not move under a thumb.
  if (navigator.onLine === false) {
    $('net').textContent = i18n.t('s.offline');
    $('net').hidden = false;
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(() => {});
    // Background Sync says the network is back: a visible page sends itself
    // (and shows progress); after the worker has sent, pages redraw.
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data === 'sync') sendNow();
      else if (e.data === 'changed') render();
    });
  }
  // Ask the browser not to evict reports under storage pressure.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  await sync.recover();
  await loadEmbassies();
  if (state.mode === 'volunteer') {
    const v = await import('./volunteer.js');
    await v.start();
  } else if (location.hash === '#report') {
    startReport(''); // "File a report" on an embassy's contact page
  } else if (!$('home').hidden) {
    show('home'); // unless the person already moved on (js/first-screen.js)
  }
  if (!$('report').hidden && !countries) await renderNationalities(); // opened before app.js
  await render();
  document.documentElement.setAttribute('data-ready', '1');
  await refreshKeys();
  trySync();
}

start();
