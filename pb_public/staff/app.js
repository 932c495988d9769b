// app.js: signs staff in (once per browser, see api.js and idle.js), routes between the waiting queue, the list, a
// report and the counts, keeps the list's filters, sort and page in the
// address (#/?…), binds the keyboard, and keeps everything live through
// PocketBase realtime.

import { auth, login, logout, refresh, update, view, list as listRecords, request, whenSignedOut } from './api.js';
import { Realtime } from './realtime.js';
import { ReportList } from './list.js';
import { ReportView } from './report.js';
import { StatsView } from './stats.js';
import { readFilters, toFilter, toListQuery, toAddress, fromAddress, writeFilters, SORTS, PAGE_SIZES, DEFAULT_PER } from './filters.js';
import { STATUSES, NEEDS, LANGUAGES, CHANNELS, label, loadCountries, say } from './labels.js';
import { h, replace, announce } from './dom.js';
import { showSetupChecks } from './setup.js';
import { SavedViews } from './views.js';
import { bindKeys } from './keys.js';
import { IdleWatch, idleExpired, forgetUse } from './idle.js';

const $ = (sel) => document.querySelector(sel);
const pages = ['login', 'reports', 'report', 'stats'];

/** names knows the embassy's staff, to show and pick assignees. */
const names = {
  staff: [],
  colleague(id) {
    const s = this.staff.find((x) => x.id === id);
    return s ? (s.name || s.email || id) : id;
  },
};
const me = () => (auth.record ? auth.record.id : '');

const list = new ReportList($('#list'), names);
const reportView = new ReportView($('#report'), { names, me, back: () => listAddress });
const statsView = new StatsView($('#stats'));
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
  if (v.need) parts.push(`need: ${label(v.need)}`);
  if (v.urgent) parts.push('urgent');
  if (v.safety) parts.push('safety risk now');
  if (v.minors) parts.push('minors');
  if (v.language) parts.push(label(v.language));
  if (v.channel) parts.push(`by ${label(v.channel)}`);
  if (v.from) parts.push(`from ${v.from}`);
  if (v.to) parts.push(`to ${v.to}`);
  if (v.q) parts.push(`“${v.q}”`);
  if (v.assigned) parts.push(`${say('filter.assigned')}: ${say(`filter.assigned.${v.assigned}`)}`);
  return parts.join(', ');
}

const form = $('#filters');
const savedViews = new SavedViews($('[data-views]'), { me, address: () => listAddress });
// currentStatsQuery is what the counts and the export get: the search as
// its own q, which the server folds as the list's (any case, any Unicode
// form), and the other filters as an expression.
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
      say(`queue.${key}`), key === 'waiting' ? h('span', { class: 'badge', 'data-waiting-count': '' }, waiting >= 0 ? String(waiting) : '') : null));
  })));
}

// waiting is the size of the waiting queue, -1 before it is known.
let waiting = -1;
let waitingTimer = 0;

/** refreshWaiting recounts the waiting queue soon (many events, one count). */
function refreshWaiting(delay = 300) {
  clearTimeout(waitingTimer);
  waitingTimer = setTimeout(async () => {
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

function onRealtime(topic, event) {
  if (topic === 'reports/*') list.onRealtime(event);
  if (topic === 'messages/*') list.onMessage(event);
  if (topic === 'reports/*' || topic === 'messages/*') refreshWaiting();
  reportView.onRealtime(topic, event);
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
  realtime = new Realtime(['reports/*', 'messages/*', 'report_events/*'], onRealtime, (state) => {
    liveLabel.dataset.state = state;
    liveLabel.textContent = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' }[state];
  });
  realtime.start();
  showSetupChecks($('[data-setup-checks]'), $('[data-duty-label]'));
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
  idle.stop();
  if (realtime) realtime.stop();
  realtime = null;
  $('[data-setup-checks]').hidden = true;
  logout();
  forgetUse();
  const note = $('[data-signed-out]');
  note.textContent = why ? say(`signedOut.${why}`) : '';
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
  for (const el of document.querySelectorAll('[data-say]')) el.textContent = say(el.dataset.say);
  for (const [v, key] of [['', 'filter.assigned.any'], ['me', 'filter.assigned.me'], ['none', 'filter.assigned.none']]) {
    $('#f-assigned').append(h('option', { value: v }, say(key)));
  }
  for (const v of SORTS) $('#f-sort').append(h('option', { value: v }, say(`sort.${v}`)));
  for (const n of PAGE_SIZES) $('#f-per').append(h('option', { value: String(n), selected: n === DEFAULT_PER }, String(n)));
  for (const b of document.querySelectorAll('[data-layout]')) {
    b.addEventListener('click', () => go({ ...fromForm(), layout: b.dataset.layout, page: current.page }));
  }
  list.onPage = (page) => go({ ...fromForm(), page });
  bindBulk();
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
      await startSession(record);
    } catch (ex) {
      err.textContent = ex.status === 400 ? 'Wrong e-mail or password.' : `Could not sign in: ${ex.message}`;
      err.hidden = false;
    } finally {
      f.querySelector('button').disabled = false;
    }
  });
  $('[data-logout]').addEventListener('click', () => endSession());
  auth.onChange((token, record) => {
    if (!token && signedIn) endSession('elsewhere');
    else if (token && !signedIn && record) startSession(record);
  });
  $('[data-on-duty]').addEventListener('change', async (e) => {
    const box = e.target;
    try {
      const record = await update('staff', auth.record.id, { on_duty: box.checked });
      auth.save(auth.token, record);
      const noMail = $('[data-duty-label]').dataset.noMail === 'true';
      announce(!record.on_duty ? 'You are off duty.'
        : noMail ? 'You are on duty, but no mail server is set: no e-mail can be sent until your administrator sets one.'
          : 'You are on duty: urgent reports will be e-mailed to you.');
    } catch (err) {
      box.checked = !box.checked;
      announce(`Could not change your duty: ${err.message}`);
    }
  });
  whenSignedOut(() => endSession('expired'));
  window.addEventListener('hashchange', route);

  // A sign-in left unused past the idle time is dropped before it is used.
  if (auth.token && idleExpired()) endSession('idle');
  if (!auth.token) return showPage('login');
  refresh().then(startSession).catch(() => { auth.clear(); showPage('login'); });
}

// The nationality names come first, so no list is drawn with bare codes.
loadCountries().then(init);
