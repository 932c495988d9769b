// app.js: signs staff in, routes between the list, a report and the counts,
// and keeps everything live through PocketBase realtime.

import { auth, login, logout, refresh, update, view, whenSignedOut } from './api.js';
import { Realtime } from './realtime.js';
import { ReportList } from './list.js';
import { ReportView } from './report.js';
import { StatsView } from './stats.js';
import { readFilters, toFilter, toListQuery } from './filters.js';
import { STATUSES, NEEDS, LANGUAGES, CHANNELS, label, loadCountries } from './labels.js';
import { h, announce } from './dom.js';
import { showSetupChecks } from './setup.js';

const $ = (sel) => document.querySelector(sel);
const pages = ['login', 'reports', 'report', 'stats'];

const list = new ReportList($('#list'));
const reportView = new ReportView($('#report'));
const statsView = new StatsView($('#stats'));
let realtime = null;

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
  return parts.join(', ');
}

const form = $('#filters');
// currentStatsQuery is what the counts and the export get: the search as
// its own q, which the server folds as the list's (any case, any Unicode
// form), and the other filters as an expression.
function currentStatsQuery() {
  const v = readFilters(form);
  return { filter: toFilter({ ...v, q: '' }), q: v.q };
}
function currentListQuery() { return toListQuery(readFilters(form)); }

function route() {
  if (!auth.token) return showPage('login');
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/report\/([a-z0-9]{20})$/);
  if (m) {
    list.unread.delete(m[1]);
    showPage('report');
    reportView.open(m[1]);
  } else if (hash === '#/stats') {
    showPage('stats');
    statsView.open(currentStatsQuery(), describeFilters(readFilters(form)));
  } else {
    showPage('reports');
    list.load();
  }
  window.scrollTo(0, 0);
}

function onRealtime(topic, event) {
  if (topic === 'reports/*') list.onRealtime(event);
  if (topic === 'messages/*') list.onMessage(event);
  reportView.onRealtime(topic, event);
}

async function startSession(record) {
  $('[data-me]').textContent = record.name || record.email;
  $('[data-embassy]').textContent = '';
  $('[data-on-duty]').checked = !!record.on_duty;
  view('embassies', record.embassy).then((e) => { $('[data-embassy]').textContent = e.name; }).catch(() => {});
  const liveLabel = $('[data-live]');
  realtime = new Realtime(['reports/*', 'messages/*', 'report_events/*'], onRealtime, (state) => {
    liveLabel.dataset.state = state;
    liveLabel.textContent = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' }[state];
  });
  realtime.start();
  showSetupChecks($('[data-setup-checks]'), $('[data-duty-label]'));
  list.query = currentListQuery();
  route();
}

function endSession() {
  if (realtime) realtime.stop();
  realtime = null;
  $('[data-setup-checks]').hidden = true;
  logout();
  location.hash = '#/';
  showPage('login');
}

function init() {
  // On a phone the filters start folded, so the reports come first.
  if (matchMedia('(max-width: 600px)').matches) $('[data-filter-box]').open = false;
  fillSelect($('#f-status'), STATUSES);
  fillSelect($('#f-need'), NEEDS);
  fillSelect($('#f-language'), LANGUAGES);
  fillSelect($('#f-channel'), CHANNELS);

  let typing = 0;
  const apply = () => list.setQuery(currentListQuery());
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
  $('[data-logout]').addEventListener('click', endSession);
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
  whenSignedOut(() => { if (realtime) realtime.stop(); showPage('login'); });
  window.addEventListener('hashchange', route);

  if (!auth.token) return showPage('login');
  refresh().then(startSession).catch(() => { auth.clear(); showPage('login'); });
}

// The nationality names come first, so no list is drawn with bare codes.
loadCountries().then(init);
