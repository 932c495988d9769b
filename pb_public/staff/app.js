// app.js: signs staff in (once per browser: api.js, idle.js), routes
// between the waiting queue, the list, a report, its case sheet and the
// counts, keeps the list's filters, sort and page in the address (#/?…),
// binds the keyboard, and keeps everything live through PocketBase
// realtime.

import { auth, login, logout, refresh, update, view, list as listRecords, request, whenSignedOut } from './api.js';
import { Realtime } from './realtime.js';
import { ReportList } from './list.js';
import { ReportView } from './report.js';
import { StatsView } from './stats.js';
import { LinksView } from './links.js';
import { readFilters, toFilter, toListQuery, toAddress, fromAddress, writeFilters, SORTS, PAGE_SIZES, DEFAULT_PER } from './filters.js';
import { STATUSES, NEEDS, LANGUAGES, CHANNELS, label, loadLanguage, pickLanguage, lang, say } from './labels.js';
import { PrintSheet } from './print.js';
import { h, replace, announce } from './dom.js';
import { showSetupChecks } from './setup.js';
import { SavedViews } from './views.js';
import { bindKeys } from './keys.js';
import { IdleWatch, idleExpired, forgetUse } from './idle.js';
import { Vault } from './vault.js';
import { KeyringView } from './keyring.js';

const $ = (sel) => document.querySelector(sel);
const pages = ['login', 'reports', 'report', 'stats', 'print', 'links', 'keys'];

/** names knows the embassy's staff, to show and pick assignees. */
const names = {
  staff: [],
  colleague(id) {
    const s = this.staff.find((x) => x.id === id);
    return s ? (s.name || s.email || id) : id;
  },
};
const me = () => (auth.record ? auth.record.id : '');

// The embassy's keys in this browser, which open sealed reports.
const vault = new Vault();
const list = new ReportList($('#list'), names, vault);
const reportView = new ReportView($('#report'), { names, me, vault, back: () => listAddress, print: (id) => printCase(id) });
const printSheet = new PrintSheet($('#print'), { names, vault, back: () => showPage('report') });
const statsView = new StatsView($('#stats'), vault);
const linksView = new LinksView($('#links'));
const keyringView = new KeyringView($('#keys'), vault);
let realtime = null;
let signedIn = false;
const idle = new IdleWatch(() => endSession('idle'));
// The list's state, read from the address: see filters.js.
let current = fromAddress('#/');
let listAddress = '#/';
const scrolls = new Map(); // list address → where the page was scrolled

function showPage(name) {
  for (const p of pages) document.getElementById(p).hidden = p !== name;
  $('[data-signed-in]').hidden = name === 'login';
  document.body.dataset.page = name;
}

function fillSelect(select, values) {
  for (const v of values) select.append(h('option', { value: v }, label(v)));
}

function describeFilters(v) {
  const parts = [];
  if (v.status) parts.push(label(v.status));
  if (v.need) parts.push(say('describe.need', { need: label(v.need) }));
  if (v.urgent) parts.push(say('mark.urgent'));
  if (v.safety) parts.push(say('value.safety_risk_now'));
  if (v.minors) parts.push(say('value.minors_present'));
  if (v.language) parts.push(label(v.language));
  if (v.channel) parts.push(say('describe.channel', { channel: label(v.channel) }));
  if (v.from) parts.push(say('describe.from', { date: v.from }));
  if (v.to) parts.push(say('describe.to', { date: v.to }));
  if (v.q) parts.push(`“${v.q}”`);
  if (v.assigned) parts.push(`${say('filter.assigned')}: ${say(ASSIGNED[v.assigned] || 'filter.assigned.any')}`);
  return parts.join(', ');
}

const form = $('#filters');
const savedViews = new SavedViews($('[data-views]'), { me, address: () => listAddress });
// currentStatsQuery is what the counts and the export get: the search as
// its own q, folded as the list's (any case, any Unicode form; by the
// server for the counts, in this browser for the export's sealed
// reports), and the other filters as an expression.
function currentStatsQuery() {
  const v = readFilters(form);
  return { filter: toFilter({ ...v, q: '' }, me()), q: v.q };
}

/** defaultLayout is the table on a wide screen, cards on a small one. */
function defaultLayout() {
  return matchMedia('(min-width: 900px)').matches ? 'table' : 'cards';
}

/** go shows a list state: a new address, so Back returns to the one before. */
function go(state) {
  const address = toAddress(state);
  if (address === (location.hash || '#/')) route();
  else location.hash = address;
}

/** fromForm is the state the form shows, in the current queue and layout. */
function fromForm() {
  return { ...readFilters(form), queue: current.queue, layout: current.layout, page: 1 };
}

function route() {
  if (!auth.token) return showPage('login');
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/report\/([a-z0-9]{20})$/);
  if (document.body.dataset.page === 'reports') scrolls.set(listAddress, window.scrollY);
  // A report left is closed: it no longer acts on live events.
  if (!m) reportView.close();
  if (m) {
    showPage('report');
    list.follow(m[1]);
    const at = list.items.findIndex((r) => r.id === m[1]);
    if (at >= 0) list.cursor = at;
    reportView.open(m[1]);
    window.scrollTo(0, 0);
  } else if (hash === '#/stats') {
    showPage('stats');
    statsView.open(currentStatsQuery(), describeFilters(readFilters(form)));
    window.scrollTo(0, 0);
  } else if (hash === '#/links') {
    showPage('links');
    linksView.open();
    window.scrollTo(0, 0);
  } else if (hash === '#/keys') {
    showPage('keys');
    keyringView.open();
    window.scrollTo(0, 0);
  } else {
    showList(hash);
  }
}

/** showList shows the list an address names, and where it was left. */
function showList(hash) {
  current = fromAddress(hash);
  listAddress = hash;
  writeFilters(form, current);
  list.query = toListQuery({ ...current }, me());
  list.perPage = current.per;
  list.layout = current.layout || defaultLayout();
  for (const b of document.querySelectorAll('[data-layout]')) b.setAttribute('aria-pressed', String(b.dataset.layout === list.layout));
  renderQueues();
  showPage('reports');
  const y = scrolls.get(hash) || 0;
  list.load(current.page).then(() => window.scrollTo(0, y));
}

/** ASSIGNED are the assignee filter's values and their words. */
const ASSIGNED = { '': 'filter.assigned.any', me: 'filter.assigned.me', none: 'filter.assigned.none' };
/** QUEUES are the queue tabs' words. */
const QUEUES = { waiting: 'queue.waiting', all: 'queue.all', mine: 'queue.mine', unassigned: 'queue.unassigned' };
/** SORT_WORDS are the sorts' words. */
const SORT_WORDS = {
  '-created': 'sort.-created', created: 'sort.created', '-last_activity': 'sort.-last_activity',
  last_activity: 'sort.last_activity', '-urgent': 'sort.-urgent',
};
/** WHY_KEY keeps why the browser's sign-in ended, for its other tabs. */
const WHY_KEY = 'homeward.staff.signedOutWhy';
/** SIGNED_OUT says why a tab was signed out. */
const SIGNED_OUT = { idle: 'signedOut.idle', elsewhere: 'signedOut.elsewhere', expired: 'signedOut.expired' };
/** LIVE are the realtime states' words. */
const LIVE = { live: 'live.live', connecting: 'live.connecting', offline: 'live.offline' };

/** renderQueues draws the queue tabs, the waiting one with its count. */
function renderQueues() {
  const base = { layout: current.layout };
  const tabs = [
    ['waiting', { ...base, queue: 'waiting' }],
    ['all', { ...base, queue: 'all' }],
    ['mine', { ...base, queue: 'all', assigned: 'me' }],
    ['unassigned', { ...base, queue: 'all', assigned: 'none' }],
  ];
  const here = toAddress({ ...base, queue: current.queue, assigned: current.assigned });
  replace($('[data-queues]'), h('ul', { 'aria-label': say('queue.nav') }, tabs.map(([key, state]) => {
    const address = toAddress(state);
    return h('li', {}, h('a', { href: address, dataset: { queue: key }, 'aria-current': address === here ? 'page' : false },
      say(QUEUES[key]), key === 'waiting' ? h('span', { class: 'badge', 'data-waiting-count': '' }, waiting >= 0 ? String(waiting) : '') : null));
  })));
}

// waiting is the size of the waiting queue, -1 before it is known.
let waiting = -1;
let waitingTimer = 0;

/** refreshWaiting recounts the waiting queue soon (many events, one count). */
function refreshWaiting(delay = 300) {
  clearTimeout(waitingTimer);
  waitingTimer = setTimeout(async () => {
    if (!signedIn) return; // signed out since: nothing is asked without a token
    try {
      const res = await request('/api/staff/reports', { query: { waiting: 1, total: 1, perPage: 1, fields: 'id' } });
      waiting = res.totalCapped ? say('list.more', { n: res.totalItems }) : res.totalItems;
    } catch {
      return; // the next event or load tries again
    }
    const some = waiting !== 0;
    document.title = some ? say('title.waiting', { n: waiting }) : say('title');
    const badge = $('[data-waiting-badge]');
    badge.textContent = say('waiting.badge', { n: waiting });
    badge.hidden = !some;
    for (const el of document.querySelectorAll('[data-waiting-count]')) el.textContent = String(waiting);
    document.body.dataset.waiting = String(waiting);
  }, delay);
}

/**
 * onResume reads again what the console shows once the live connection is
 * back after a break: the events of the break are lost, and a report that
 * arrived meanwhile must not wait for a reload to be seen.
 */
function onResume() {
  if (!signedIn) return;
  refreshWaiting(0);
  if (document.body.dataset.page === 'reports') list.load();
  reportView.refresh();
}

function onRealtime(topic, event) {
  if (KEY_TOPICS.includes(topic)) return keysChanged();
  if (topic === 'reports/*') list.onRealtime(event);
  if (topic === 'messages/*') list.onMessage(event);
  if (topic === 'reports/*' || topic === 'messages/*') refreshWaiting();
  reportView.onRealtime(topic, event);
}

/**
 * KEY_TOPICS are the embassy's keys as the server holds them: a colleague's
 * new personal key, a grant to this member, a new epoch. Each is read
 * again at once, so a key granted while a sealed report is on screen opens
 * it, and the Keys screen shows a colleague waiting for the key.
 */
const KEY_TOPICS = ['staff_keys/*', 'embassy_key_grants/*', 'embassy_keys/*'];

function keysChanged() {
  // An action of the Keys screen reads the keys again when it ends.
  if (!signedIn || !vault.me || keyringView.busy) return;
  vault.reload()
    .then(() => { if (document.body.dataset.page === 'keys') return keyringView.refresh(); })
    .catch((err) => console.warn(`keys: ${err.message}`));
}

/** loadColleagues reads the embassy's staff, for assigning. */
async function loadColleagues() {
  try {
    const res = await listRecords('staff', { fields: 'id,name,email', sort: 'name', perPage: 200, skipTotal: 1 });
    names.staff = res.items;
  } catch {
    names.staff = auth.record ? [auth.record] : [];
  }
  const bulkAssignee = $('#b-assignee');
  replace(bulkAssignee, h('option', { value: '' }, say('bulk.keep')), h('option', { value: '-' }, say('bulk.unassign')),
    names.staff.map((s) => h('option', { value: s.id }, s.name || s.email)));
}

/** bindBulk changes the selected reports' status or assignee at once. */
function bindBulk() {
  const bulk = $('[data-bulk]');
  replace(bulk.elements.status, h('option', { value: '' }, say('bulk.keep')), STATUSES.map((s) => h('option', { value: s }, label(s))));
  list.onSelect = (selected) => {
    bulk.hidden = selected.size === 0;
    $('[data-bulk-count]').textContent = say('bulk.selected', { n: selected.size });
  };
  $('[data-bulk-clear]').addEventListener('click', () => {
    list.selected.clear();
    list.render();
  });
  bulk.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { ids: [...list.selected] };
    if (bulk.elements.status.value) body.status = bulk.elements.status.value;
    const who = bulk.elements.assignee.value;
    if (who) body.assignee = who === '-' ? '' : who;
    try {
      const res = await request('/api/staff/reports/bulk', { method: 'POST', body });
      announce(say('bulk.done', { n: res.items.length }));
      list.selected.clear();
      bulk.reset();
      await list.load();
      refreshWaiting(0);
    } catch (err) {
      announce(say('bulk.failed', { error: err.message }));
    }
  });
}

async function startSession(record) {
  signedIn = true;
  $('[data-signed-out]').hidden = true;
  idle.start(0);
  document.title = say('title');
  $('[data-me]').textContent = record.name || record.email;
  $('[data-embassy]').textContent = '';
  $('[data-on-duty]').checked = !!record.on_duty;
  view('embassies', record.embassy).then((e) => {
    $('[data-embassy]').textContent = e.name;
    if (signedIn) idle.start(e.staff_idle_minutes);
  }).catch(() => {});
  const liveLabel = $('[data-live]');
  realtime = new Realtime(['reports/*', 'messages/*', 'report_events/*', ...KEY_TOPICS], onRealtime, (state) => {
    liveLabel.dataset.state = state;
    liveLabel.textContent = say(LIVE[state]);
  }, onResume);
  realtime.start();
  showSetupChecks($('[data-setup-checks]'), $('[data-duty-label]'));
  // The list draws the clear fields at once and the sealed ones once the
  // keys are open.
  vault.load(record.id).catch((err) => console.warn(`keys: ${err.message}`));
  await loadColleagues();
  savedViews.load();
  refreshWaiting(0);
  route();
}

/**
 * endSession signs this tab out: why is 'idle' (the embassy's idle time
 * passed), 'elsewhere' (another tab signed out) or '' (Sign out here).
 * Dropping the stored sign-in signs out the browser's other tabs too.
 */
function endSession(why = '') {
  signedIn = false;
  clearTimeout(waitingTimer);
  idle.stop();
  if (realtime) realtime.stop();
  realtime = null;
  vault.forget();
  // Nothing of the reports stays in the page, hidden or not, nor a reply
  // or note written and not sent.
  reportView.forget();
  replace($('#report'));
  list.clear();
  $('[data-setup-checks]').hidden = true;
  // The other tabs learn why from this, written before the sign-in goes.
  if (why !== 'elsewhere') localStorage.setItem(WHY_KEY, why === 'idle' ? 'idle' : 'elsewhere');
  logout();
  forgetUse();
  const note = $('[data-signed-out]');
  note.textContent = why ? say(SIGNED_OUT[why]) : '';
  note.dataset.signedOut = why;
  note.hidden = !why;
  if (location.hash !== '#/' && location.hash !== '') location.hash = '#/';
  showPage('login');
}

function init() {
  // On a phone the filters start folded, so the reports come first.
  if (matchMedia('(max-width: 600px)').matches) $('[data-filter-box]').open = false;
  fillSelect($('#f-status'), STATUSES);
  fillSelect($('#f-need'), NEEDS);
  fillSelect($('#f-language'), LANGUAGES);
  fillSelect($('#f-channel'), CHANNELS);
  for (const [v, key] of Object.entries(ASSIGNED)) $('#f-assigned').append(h('option', { value: v }, say(key)));
  for (const v of SORTS) $('#f-sort').append(h('option', { value: v }, say(SORT_WORDS[v])));
  for (const n of PAGE_SIZES) $('#f-per').append(h('option', { value: String(n), selected: n === DEFAULT_PER }, String(n)));
  for (const b of document.querySelectorAll('[data-layout]')) {
    b.addEventListener('click', () => go({ ...fromForm(), layout: b.dataset.layout, page: current.page }));
  }
  list.onPage = (page) => go({ ...fromForm(), page });
  bindBulk();
  bindLanguage();
  bindKeys({ list, reportView, form, go: () => go({ ...current, queue: 'waiting', page: 1 }), listAddress: () => listAddress });

  let typing = 0;
  const apply = () => go(fromForm());
  form.addEventListener('change', (e) => { if (e.target.name !== 'q') apply(); });
  form.addEventListener('input', (e) => {
    if (e.target.name !== 'q') return;
    clearTimeout(typing);
    typing = setTimeout(apply, 300);
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  form.addEventListener('reset', () => setTimeout(apply));

  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    const err = $('[data-login-error]');
    err.hidden = true;
    f.querySelector('button').disabled = true;
    try {
      const record = await login(f.elements.email.value.trim(), f.elements.password.value);
      f.reset();
      // The console is drawn in the language picked before sign-in: in
      // another, it is drawn again, signed in.
      if (pickLanguage(record) !== lang()) return location.reload();
      await startSession(record);
    } catch (ex) {
      err.textContent = ex.status === 400 ? say('login.wrong') : say('login.failed', { error: ex.message });
      err.hidden = false;
    } finally {
      f.querySelector('button').disabled = false;
    }
  });
  $('[data-logout]').addEventListener('click', () => endSession());
  auth.onChange((token, record) => {
    if (!token && signedIn) endSession(localStorage.getItem(WHY_KEY) === 'idle' ? 'idle' : 'elsewhere');
    else if (token && !signedIn && record) {
      if (pickLanguage(record) !== lang()) location.reload();
      else startSession(record);
    }
  });
  $('[data-on-duty]').addEventListener('change', async (e) => {
    const box = e.target;
    try {
      const record = await update('staff', auth.record.id, { on_duty: box.checked });
      auth.save(auth.token, record);
      const noMail = $('[data-duty-label]').dataset.noMail === 'true';
      announce(say(!record.on_duty ? 'duty.off' : noMail ? 'duty.onNoMail' : 'duty.on'));
    } catch (err) {
      box.checked = !box.checked;
      announce(say('duty.failed', { error: err.message }));
    }
  });
  whenSignedOut(() => endSession('expired'));
  window.addEventListener('hashchange', route);

  // A sign-in left unused past the idle time is dropped before it is used.
  if (auth.token && idleExpired()) endSession('idle');
  if (!auth.token) return showPage('login');
  refresh().then((record) => {
    // The profile's language changed since this browser stored it: draw
    // the console again in it (once, should its file fail to load).
    const wanted = pickLanguage(record);
    if (wanted !== lang() && sessionStorage.getItem(LANG_RELOAD) !== wanted) {
      sessionStorage.setItem(LANG_RELOAD, wanted);
      return location.reload();
    }
    sessionStorage.removeItem(LANG_RELOAD);
    return startSession(record);
  }).catch(() => { auth.clear(); showPage('login'); });
}

// LANG_RELOAD marks the language the console reloaded itself for.
const LANG_RELOAD = 'homeward.staff.langReload';

/** printCase shows a report's case sheet and opens the print dialog. */
function printCase(id) {
  showPage('print');
  window.scrollTo(0, 0);
  return printSheet.open(id);
}

/** bindLanguage lets staff pick the console's language, kept on their profile. */
function bindLanguage() {
  const pick = $('[data-lang-pick]');
  pick.value = lang();
  pick.addEventListener('change', async () => {
    try {
      const record = await update('staff', auth.record.id, { language: pick.value });
      auth.save(auth.token, record);
      location.reload();
    } catch (err) {
      pick.value = lang();
      announce(say('lang.failed', { error: err.message }));
    }
  });
}

// The words (in the staff member's language, else the browser's) and the
// nationality names come first, so nothing is drawn in another language.
loadLanguage(pickLanguage(auth.record)).then(init);
