// report.js: one report with everything staff need to act on it: every
// field, the attachments, the conversation with the reporter, the status
// history, the status workflow, internal notes, replies and duplicates.
// Every write goes through the records API; the server checks the rules
// and writes the audit events. A sealed report's private fields are opened
// here, in the browser (vault.js); one that does not open says so.

import { auth, view, list, create, update, fileToken, fileURL, quote } from './api.js';
import { unseal, messageText, noteText, newId } from './vault.js';
import { isSealed, openAttachment } from './files.js';
import { suggest as suggestDuplicates, reasonKey } from './duplicates.js';
import { routeCard } from './route.js';
import { h, replace, keepTyped, when, day, announce } from './dom.js';
import { STATUSES, WORKFLOW, label, nationality, urgencyReasons, say } from './labels.js';
import { inView } from '/js/inview.js';
import { SEALED_REPORT_FIELDS } from '/js/seal.js';

/** SECTIONS groups the report's fields as a caseworker reads them. */
export const SECTIONS = [
  ['section.triage', ['status', 'urgent', 'safety_risk_now', 'minors_present', 'needs', 'people_count', 'duplicate_of']],
  ['section.people', ['nationality', 'nationality_original', 'language', 'gender', 'age_band', 'passport_held']],
  ['section.where', ['compound_location', 'compound_point', 'current_location', 'left_on']],
  ['section.contact', ['contact_name', 'contact_phone', 'contact_app', 'consent_contact', 'consent_share', 'consent_version']],
  ['section.source', ['channel', 'volunteer', 'device_created', 'created', 'updated', 'version', 'id']],
];

/** FIELD_NAMES are the fields' words, by field. */
const FIELD_NAMES = {
  status: 'col.status', urgent: 'mark.urgent', safety_risk_now: 'value.safety_risk_now', minors_present: 'field.minors_present',
  needs: 'col.needs', people_count: 'col.people', duplicate_of: 'field.duplicate_of', nationality: 'col.nationality',
  nationality_original: 'field.nationality_original', language: 'lang.label', gender: 'field.gender', age_band: 'field.age_band',
  passport_held: 'field.passport_held', compound_location: 'field.compound_location', compound_point: 'field.compound_point',
  current_location: 'field.current_location', left_on: 'field.left_on', contact_name: 'field.contact_name',
  contact_phone: 'field.contact_phone', contact_app: 'field.contact_app', consent_contact: 'field.consent_contact',
  consent_share: 'field.consent_share', consent_version: 'field.consent_version', channel: 'field.channel',
  volunteer: 'value.volunteer', device_created: 'field.device_created', created: 'field.created', updated: 'field.updated',
  version: 'field.version', id: 'field.id',
};

/** fieldName is a field's word. */
export function fieldName(name) {
  return FIELD_NAMES[name] ? say(FIELD_NAMES[name]) : name;
}

const SELECT_FIELDS = new Set(['status', 'language', 'gender', 'age_band', 'passport_held', 'channel']);
const DATE_FIELDS = new Set(['device_created', 'created', 'updated']);
// DAY_FIELDS are calendar days the reporter picked, with no time of day.
const DAY_FIELDS = new Set(['left_on']);

/** show is a field's value as the report shows it. */
export function show(name, value) {
  if (DATE_FIELDS.has(name)) return value ? when(value) : '—';
  if (DAY_FIELDS.has(name)) return value ? day(value) : '—';
  if (name === 'needs') return (value || []).map(label).join(', ') || '—';
  if (name === 'compound_point') {
    return value && (value.lat || value.lon) ? `${value.lat}, ${value.lon}` : '—';
  }
  if (name === 'duplicate_of') return value ? h('a', { href: `#/report/${value}` }, value) : '—';
  if (typeof value === 'boolean') return label(value);
  if (SELECT_FIELDS.has(name)) return label(value);
  if (name === 'nationality') return nationality(value);
  if (value === 0 || value) return String(value);
  return '—';
}

export class ReportView {
  /**
   * @param {HTMLElement} root
   * @param {{names: {staff: object[], colleague: (id: string) => string}, me: () => string, back: () => string}} ctx
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.report = null;
    this.seal = '';
    // Keys opened after the report was drawn open it then.
    this.blobs = []; // blob URLs of the opened sealed attachments, revoked when redrawn
    this.filesWaiting = false; // a sealed attachment waits for keys
    this.dupsWaiting = false; // a sealed duplicate candidate waits for keys
    // Replies and notes written and not sent, by report, kept while the
    // console goes to another report or the list and back; in this page's
    // memory only, and gone at sign-out (forget).
    this.drafts = new Map();
    ctx.vault.onChange(async () => {
      // Duplicate candidates sealed to keys opened since are compared now.
      if (this.report && this.dupsWaiting && (this.seal === 'open' || this.seal === '')) this.loadDuplicates();
      if (this.report && this.filesWaiting && (this.seal === 'open' || this.seal === '')) {
        this.loadAttachments();
        return;
      }
      if (!this.report || this.seal === 'open' || this.seal === '') return;
      await this.take(this.report);
      this.render();
      this.loadAttachments(); this.loadMessages(); this.loadHistory(); this.loadDuplicates();
    });
  }

  /**
   * close forgets the report when the console leaves it. A report no one
   * is looking at must not act on live events: its messages shown here
   * count as read by staff (loadMessages), and a reporter's message that
   * arrives while staff are on the list must stay unread and waiting.
   */
  close() {
    this.keepDraft();
    this.opening = null;
    this.report = null;
    this.seal = '';
    this.filesWaiting = false;
    this.dupsWaiting = false;
    for (const u of this.blobs.splice(0)) URL.revokeObjectURL(u);
  }

  /** forget closes the report and drops every reply and note not sent. */
  forget() {
    this.close();
    this.drafts.clear();
  }

  /** keepDraft keeps the open report's reply and note not sent yet. */
  keepDraft() {
    if (!this.report) return;
    const before = this.drafts.get(this.report.id) || { reply: '', note: '' };
    const typed = (sel, was) => {
      const el = this.root.querySelector(sel);
      return el ? el.value : was;
    };
    const draft = { reply: typed('#reply-body', before.reply), note: typed('#note-body', before.note) };
    if (draft.reply.trim() || draft.note.trim()) this.drafts.set(this.report.id, draft);
    else this.drafts.delete(this.report.id);
  }

  /**
   * sentDraft forgets text, the reply or note (field) of report id, once
   * it is sent: left while it was on its way, the report must not offer it
   * again as not sent.
   */
  sentDraft(id, field, text) {
    const draft = this.drafts.get(id);
    if (draft && draft[field].trim() === text) {
      draft[field] = '';
      if (!draft.reply.trim() && !draft.note.trim()) this.drafts.delete(id);
    }
    const box = this.id === id && this.root.querySelector(field === 'reply' ? '#reply-body' : '#note-body');
    if (box && box.value.trim() === text) box.value = '';
  }

  /** putDraft writes back what was written on this report and not sent. */
  putDraft() {
    const draft = this.report && this.drafts.get(this.report.id);
    if (!draft) return;
    for (const [sel, text] of [['#reply-body', draft.reply], ['#note-body', draft.note]]) {
      const el = this.root.querySelector(sel);
      if (el && text) el.value = text;
    }
  }

  /** take shows record, its sealed fields opened if this browser can. */
  async take(record) {
    this.report = record;
    this.seal = await unseal(this.ctx.vault, record);
  }

  get id() { return this.report ? this.report.id : null; }

  me() { return this.ctx.me(); }

  /** print prints the open report's case sheet. */
  print() {
    if (this.report) this.ctx.print(this.report.id);
  }

  /** focus puts the keyboard on one of the report's controls. */
  focus(selector) {
    const el = this.root.querySelector(selector);
    if (el) el.focus();
  }

  async open(id) {
    this.close();
    const run = {};
    this.opening = run;
    replace(this.root, h('p', { class: 'muted' }, say('report.loading')));
    let record;
    try {
      record = await view('reports', id);
    } catch (err) {
      if (this.opening !== run) return; // left or another opened since
      replace(this.root, h('p', { class: 'error' }, err.status === 404
        ? say('report.notFound')
        : say('report.failed', { error: err.message })));
      return;
    }
    if (this.opening !== run) return;
    await this.take(record);
    if (this.opening !== run) return;
    this.render();
    this.putDraft();
    await Promise.all([this.loadAttachments(), this.loadMessages(), this.loadHistory(), this.loadDuplicates()]);
  }

  render() {
    const r = this.report;
    const reasons = urgencyReasons(r);
    // A sealed report not opened here has its message, contact and places
    // in the seal: they are not empty, and say why they are not shown.
    const unopened = this.seal && this.seal !== 'open' ? say(`sealed.${this.seal}`) : '';
    const value = (n) => (unopened && SEALED_REPORT_FIELDS.includes(n) ? h('span', { class: 'muted' }, unopened) : show(n, r[n]));
    const restore = keepTyped(this.root);
    replace(this.root,
      h('p', { class: 'report-tools' }, h('a', { href: this.ctx.back(), class: 'back' }, say('report.back')),
        h('button', { type: 'button', 'data-print': '', 'aria-keyshortcuts': 'p', onclick: () => this.ctx.print(r.id) }, say('print.button'))),
      h('header', { class: `report-head${r.urgent ? ' urgent' : ''}` },
        h('h2', {}, say('report.title', { date: when(r.created) })),
        h('p', {},
          h('span', { class: `status status-${r.status}`, 'data-current-status': r.status }, label(r.status)),
          reasons.map((why) => h('span', { class: 'flag' }, why)))),
      this.sealNotice(),
      this.workflow(),
      h('section', { class: 'card message', 'aria-labelledby': 'msg-h' },
        h('h3', { id: 'msg-h' }, say('report.message')),
        unopened ? h('p', { class: 'muted', 'data-message-sealed': '' }, unopened)
          : h('p', { class: 'reporter-text' }, r.message || say('report.noMessage'))),
      h('div', { class: 'fields' }, SECTIONS.map(([title, names]) =>
        h('section', { class: 'card' },
          h('h3', {}, say(title)),
          h('dl', {}, names.map((n) => [h('dt', {}, fieldName(n)), h('dd', { dataset: { field: n } }, value(n))]))))),
      h('section', { class: 'card', 'aria-labelledby': 'att-h' },
        h('h3', { id: 'att-h' }, say('report.attachments')), h('div', { 'data-attachments': '' }, say('list.loading'))),
      h('section', { class: 'card', 'aria-labelledby': 'conv-h' },
        h('h3', { id: 'conv-h' }, say('report.conversation')),
        h('ol', { class: 'conversation', 'data-messages': '' }),
        this.replyForm()),
      h('section', { class: 'card', 'aria-labelledby': 'hist-h' },
        h('h3', { id: 'hist-h' }, say('report.history')),
        h('ol', { class: 'history', 'data-history': '' }),
        this.noteForm()),
      h('section', { class: 'card', 'aria-labelledby': 'dup-h' },
        h('h3', { id: 'dup-h' }, say('report.duplicates')),
        h('div', { 'data-duplicates': '' }, say('report.looking')),
        this.duplicateForm()),
      this.routeForm());
    restore();
  }

  /**
   * routeForm routes the report to another embassy (route.js): a sealed
   * one is sealed again here to that embassy's key. Once it has gone, this
   * embassy no longer sees it: back to the list.
   */
  routeForm() {
    return routeCard(this.ctx.vault, this.report, this.seal, () => {
      this.report = null;
      location.hash = this.ctx.back();
    });
  }

  /** sealNotice says whether the report was sealed and opened here. */
  sealNotice() {
    const r = this.report;
    if (!this.seal) return null;
    const by = r.sealed_by === 'server' ? say('sealed.byServer') : say('sealed.byPhone');
    if (this.seal === 'open') return h('p', { class: 'muted small', 'data-seal': 'open' }, say('sealed.opened', { by }));
    if (this.seal === 'opening') return h('p', { class: 'muted small', 'data-seal': 'opening' }, say('sealed.opening'));
    if (this.seal === 'locked') {
      return h('p', { class: 'notice', role: 'status', 'data-seal': 'locked' }, say('sealed.lockedLong'), ' ',
        h('a', { href: '#/keys' }, say('vault.nav')));
    }
    return h('p', { class: 'error', role: 'alert', 'data-seal': 'broken' }, say('sealed.brokenLong'));
  }

  workflow() {
    const current = this.report.status;
    const at = WORKFLOW.indexOf(current);
    const nextStatus = at >= 0 && at < WORKFLOW.length - 1 ? WORKFLOW[at + 1] : null;
    return h('section', { class: 'card workflow', 'aria-labelledby': 'wf-h' },
      h('h3', { id: 'wf-h' }, say('col.status')),
      nextStatus
        ? h('p', {}, h('button', { type: 'button', class: 'primary', 'aria-keyshortcuts': 's', dataset: { setStatus: nextStatus }, onclick: () => this.setStatus(nextStatus) },
          say('report.moveTo', { status: label(nextStatus) })))
        : null,
      h('div', { class: 'status-buttons', role: 'group', 'aria-label': say('bulk.status') },
        STATUSES.map((s) => h('button', {
          type: 'button',
          class: s === current ? 'status-button current' : 'status-button',
          'aria-pressed': s === current ? 'true' : 'false',
          disabled: s === current,
          dataset: { status: s },
          onclick: () => this.setStatus(s),
        }, label(s)))),
      this.assignee(),
      h('p', { class: 'muted small' }, say('report.logged')));
  }

  /** assignee is the choice of who looks after the report. */
  assignee() {
    const current = this.report.assignee || '';
    const staff = this.ctx.names.staff;
    const pick = h('select', { id: 'assignee', 'data-assignee': '', 'aria-keyshortcuts': 'a', onchange: (e) => this.assign(e.target.value) },
      h('option', { value: '' }, say('assign.nobody')),
      staff.map((s) => h('option', { value: s.id }, s.name || s.email)),
      current && !staff.some((s) => s.id === current) ? h('option', { value: current }, current) : null);
    pick.value = current;
    return h('div', { class: 'inline assign' },
      h('div', { class: 'field' }, h('label', { for: 'assignee' }, say('assign.label')), pick),
      current === this.me() ? null
        : h('button', { type: 'button', 'data-assign-me': '', 'aria-keyshortcuts': 'm', onclick: () => this.assign(this.me()) }, say('assign.me')));
  }

  async assign(staffId) {
    if (!this.report || (this.report.assignee || '') === staffId) return;
    try {
      await this.take(await update('reports', this.report.id, { assignee: staffId }));
      announce(staffId ? say('assign.done', { name: this.ctx.names.colleague(staffId) }) : say('assign.cleared'));
      this.render();
      await Promise.all([this.loadAttachments(), this.loadMessages(), this.loadHistory(), this.loadDuplicates()]);
    } catch (err) {
      alertIn(this.root.querySelector('.workflow'), say('assign.failed', { error: err.message }));
    }
  }

  async setStatus(status, extra = {}) {
    try {
      await this.take(await update('reports', this.report.id, { status, ...extra }));
      announce(say('report.statusChanged', { status: label(status) }));
      this.render();
      await Promise.all([this.loadAttachments(), this.loadMessages(), this.loadHistory(), this.loadDuplicates()]);
    } catch (err) {
      alertIn(this.root.querySelector('.workflow'), say('report.statusFailed', { error: err.message }));
    }
  }

  async loadAttachments() {
    const box = this.root.querySelector('[data-attachments]');
    try {
      const res = await list('attachments', { filter: `report = ${quote(this.report.id)}`, sort: 'created', perPage: 50, skipTotal: 1 });
      if (!res.items.length) return replace(box, h('p', { class: 'muted' }, say('report.noAttachments')));
      // Attachments are protected files: each URL needs a short-lived token.
      const token = await fileToken();
      for (const u of this.blobs.splice(0)) URL.revokeObjectURL(u);
      this.filesWaiting = false;
      replace(box, h('ul', { class: 'attachments' }, res.items.map((a) => {
        const url = fileURL(a, a.file, token);
        if (isSealed(a)) return this.sealedAttachment(a, url);
        return h('li', {}, attachmentMedia(a.mime, url), h('span', { class: 'muted small' }, `${a.mime || ''} · ${size(a.size || 0)}`));
      })));
    } catch (err) {
      replace(box, h('p', { class: 'error' }, say('report.attachmentsFailed', { error: err.message })));
    }
  }

  /**
   * sealedAttachment is a sealed photo or voice note's place in the list,
   * filled once it is opened here (files.js), or saying why it is not.
   */
  sealedAttachment(a, url) {
    const li = h('li', { dataset: { sealedAttachment: 'opening' } }, h('span', { class: 'muted small' }, say('sealed.opening')));
    const report = this.report;
    openAttachment(this.ctx.vault, report, url).then((file) => {
      if (this.report !== report) return URL.revokeObjectURL(file.url);
      this.blobs.push(file.url);
      li.dataset.sealedAttachment = 'open';
      replace(li, attachmentMedia(file.mime, file.url),
        h('span', { class: 'muted small' }, `${file.mime} · ${size(a.size || 0)} · ${say('sealed.opened', { by: a.sealed_by === 'server' ? say('sealed.byServer') : say('sealed.byPhone') })}`));
    }, (err) => {
      if (err.reason === 'opening' || err.reason === 'locked') this.filesWaiting = true;
      li.dataset.sealedAttachment = err.reason || 'broken';
      const words = { opening: 'sealed.opening', locked: 'sealed.locked', broken: 'sealed.broken' }[err.reason];
      replace(li, h('span', { class: err.reason === 'broken' || !words ? 'error' : 'muted small' },
        words ? say(words) : say('report.attachmentsFailed', { error: err.message })));
    });
    return li;
  }

  async loadMessages() {
    const box = this.root.querySelector('[data-messages]');
    const report = this.report;
    try {
      const res = await list('messages', { filter: `report = ${quote(report.id)}`, sort: 'created', perPage: 200, skipTotal: 1, expand: 'author' });
      if (!res.items.length) {
        replace(box, h('li', { class: 'muted' }, say('report.noMessages')));
        return;
      }
      // Sealed messages are opened here: a reporter's with the embassy
      // key, a reply with the report's reply key (vault.js).
      const texts = await Promise.all(res.items.map((m) => messageText(this.ctx.vault, report, m)));
      replace(box, res.items.map((m, i) => h('li', { class: `bubble from-${m.direction}` },
        h('span', { class: 'who' }, m.direction === 'staff'
          ? `${(m.expand && m.expand.author && m.expand.author.name) || say('report.staff')}`
          : say('report.reporter')),
        h('time', { datetime: m.created }, when(m.created)),
        sealedText(texts[i]),
        m.direction === 'staff' ? h('span', { class: 'muted small' }, m.read_by_reporter ? say('report.read') : say('report.unread')) : null)));
      // A reporter's message shown here counts as read by staff once it is
      // seen: its text was shown (not one still sealed to keys this
      // browser has not opened), the page is in view, and the report is
      // still the one open. Until then it keeps the report waiting.
      const shown = res.items.filter((m, i) => m.direction === 'reporter' && !m.read_by_staff && SEEN.has(texts[i].state));
      if (shown.length) this.markRead(report.id, shown);
    } catch (err) {
      replace(box, h('li', { class: 'error' }, say('report.messagesFailed', { error: err.message })));
    }
  }

  /** markRead marks a report's messages read by staff once the page is in view. */
  async markRead(id, messages) {
    await inView();
    if (this.report === null || this.report.id !== id) return;
    for (const m of messages) update('messages', m.id, { read_by_staff: true }).catch(() => {});
  }

  /**
   * replyBlocked says why no reply can be sealed for a sealed report, or
   * ''. A reply to a sealed report is sealed with the reply key inside it:
   * the report must be open here, and the reporter must have kept a
   * receipt (a report filed without one has no key, and no reply reaches
   * the reporter's phone).
   */
  replyBlocked() {
    if (!this.seal) return '';
    if (this.seal !== 'open') return say('report.replyLocked');
    return this.report.reply_key ? '' : say('report.noReplyKey');
  }

  replyForm() {
    const blocked = this.replyBlocked();
    if (blocked) return h('p', { class: 'notice', 'data-reply-blocked': '' }, blocked);
    const form = h('form', { class: 'stack', 'data-reply': '' },
      h('label', { for: 'reply-body' }, say('report.replyLabel')),
      h('textarea', {
        id: 'reply-body', name: 'body', rows: 3, maxlength: 4000, required: true, 'aria-keyshortcuts': 'r',
        // Ctrl+Enter sends, so a reply needs no mouse.
        onkeydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } },
      }),
      h('p', { class: 'muted small' }, say('report.replyHelp')),
      this.seal ? h('p', { class: 'muted small', 'data-reply-sealed': '' }, say('report.replySealed')) : null,
      h('button', { type: 'submit', class: 'primary' }, say('report.replySend')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = form.elements.body.value.trim();
      if (!body) return;
      const id = this.report.id;
      try {
        const reply = { report: id, direction: 'staff', author: auth.record.id, body };
        if (this.seal) {
          // Sealed here with the report's reply key; the server never sees the words.
          reply.id = newId();
          reply.sealed = await this.ctx.vault.sealReply(this.report.reply_key, reply.id, reply.report, body);
          reply.body = '';
        }
        await create('messages', reply);
        form.reset();
        this.sentDraft(id, 'reply', body);
        announce(say('report.replySent'));
        await Promise.all([this.loadMessages(), this.loadHistory()]);
      } catch (err) {
        alertIn(form, say('report.replyFailed', { error: err.message }));
      }
    });
    return form;
  }

  async loadHistory() {
    const box = this.root.querySelector('[data-history]');
    try {
      const res = await list('report_events', { filter: `report = ${quote(this.report.id)}`, sort: 'created', perPage: 200, skipTotal: 1, expand: 'actor' });
      if (!res.items.length) {
        replace(box, h('li', { class: 'muted' }, say('report.noHistory')));
        return;
      }
      const notes = await Promise.all(res.items.map((ev) => (ev.kind === 'note' ? noteText(this.ctx.vault, ev) : null)));
      replace(box, res.items.map((ev, i) => h('li', { class: `event event-${ev.kind}`, dataset: { kind: ev.kind } },
        h('time', { datetime: ev.created }, when(ev.created)),
        h('span', { class: 'who' }, (ev.expand && ev.expand.actor && ev.expand.actor.name) || label(ev.actor_label || 'system')),
        h('span', { class: 'what' }, describe(ev, this.ctx.names)),
        ev.kind === 'note' ? sealedText(notes[i], 'note') : null)));
    } catch (err) {
      replace(box, h('li', { class: 'error' }, say('report.historyFailed', { error: err.message })));
    }
  }

  noteForm() {
    const form = h('form', { class: 'stack', 'data-note': '' },
      h('label', { for: 'note-body' }, say('value.note')),
      h('textarea', { id: 'note-body', name: 'note', rows: 2, maxlength: 4000, required: true }),
      h('p', { class: 'muted small' }, say(this.seal ? 'report.noteSealed' : 'report.noteHelp')),
      h('button', { type: 'submit' }, say('report.noteAdd')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const note = form.elements.note.value.trim();
      if (!note) return;
      const id = this.report.id;
      try {
        const ev = { report: this.report.id, embassy: this.report.embassy, kind: 'note', actor: auth.record.id, note };
        if (this.seal) {
          // A sealed report's notes are sealed here to the embassy's key.
          ev.id = newId();
          ev.sealed = await this.ctx.vault.sealNote(ev, note);
          ev.note = '';
        }
        await create('report_events', ev);
        form.reset();
        this.sentDraft(id, 'note', note);
        announce(say('report.noteAdded'));
        await this.loadHistory();
      } catch (err) {
        alertIn(form, say('report.noteFailed', { error: err.message }));
      }
    });
    return form;
  }

  /**
   * loadDuplicates shows the report's likely duplicates, ranked in this
   * browser on the opened text (duplicates.js); a sealed report that is
   * not open here says why, and is ranked once it opens.
   */
  async loadDuplicates() {
    const box = this.root.querySelector('[data-duplicates]');
    if (this.seal && this.seal !== 'open') return replace(box, h('p', { class: 'muted', dataset: { seal: this.seal } }, say(`sealed.${this.seal}`)));
    try {
      const res = await suggestDuplicates(this.ctx.vault, this.report);
      this.dupsWaiting = res.unopened > 0;
      const notes = [
        res.unopened ? h('p', { class: 'muted small', dataset: { unopened: res.unopened } }, say('dup.unopened', { n: res.unopened })) : null,
        res.capped ? h('p', { class: 'muted small', 'data-capped': '' }, say('dup.capped')) : null,
      ];
      if (!res.items.length) return replace(box, h('p', { class: 'muted' }, say('report.noDuplicates')), notes);
      replace(box, h('ul', { class: 'duplicates' }, res.items.map((d) => h('li', { dataset: { duplicate: d.id } },
        h('a', { href: `#/report/${d.id}` }, `${when(d.created)} · ${label(d.status)} · ${say('list.people', { n: d.people_count || '?' })}`),
        d.compound_location ? h('span', { class: 'muted' }, ` · ${d.compound_location}`) : null,
        h('span', { class: 'reasons' }, d.reasons.map((r) => say(reasonKey(r))).join(', ')),
        this.report.duplicate_of === d.id
          ? h('span', { class: 'muted' }, ` (${say('report.marked')})`)
          : h('button', { type: 'button', dataset: { markDuplicate: d.id }, onclick: () => this.markDuplicate(d.id) }, say('report.repeats'))))), notes);
    } catch (err) {
      replace(box, h('p', { class: 'error' }, say('report.duplicatesFailed', { error: err.message })));
    }
  }

  duplicateForm() {
    const form = h('form', { class: 'inline' },
      h('label', { for: 'dup-of' }, say('report.duplicateOf')),
      h('input', { id: 'dup-of', name: 'of', pattern: '[a-z0-9]{20}', required: true, autocomplete: 'off', spellcheck: 'false' }),
      h('button', { type: 'submit' }, say('report.markDuplicate')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.markDuplicate(form.elements.of.value.trim());
    });
    return form;
  }

  /** markDuplicate keeps the reporter's thread: replies still reach them. */
  markDuplicate(of) {
    return this.setStatus('duplicate', { duplicate_of: of });
  }

  /**
   * refresh reads the open report again, with its files, messages, history
   * and duplicates: the live events of a break in the connection are lost.
   */
  async refresh() {
    const run = this.opening;
    const id = this.id;
    if (!id) return;
    let record;
    try {
      record = await view('reports', id);
    } catch {
      return; // the next event or a reload shows it
    }
    if (this.opening !== run || this.id !== id) return; // left or another opened since
    await this.take(record);
    if (this.opening !== run || this.id !== id) return;
    this.render();
    await Promise.all([this.loadAttachments(), this.loadMessages(), this.loadHistory(), this.loadDuplicates()]);
  }

  /** onRealtime refreshes the open report when someone else acts on it. */
  onRealtime(topic, { action, record }) {
    if (!this.report) return;
    if (topic === 'reports/*' && record.id === this.report.id && action === 'update' && record.version !== this.report.version) {
      this.take(record).then(() => {
        if (this.report !== record) return;
        this.render();
        this.loadAttachments(); this.loadMessages(); this.loadHistory(); this.loadDuplicates();
      });
    } else if (topic === 'messages/*' && record.report === this.report.id) {
      this.loadMessages();
    } else if (topic === 'report_events/*' && record.report === this.report.id) {
      this.loadHistory();
    }
  }
}

/** describe says what an audit event did. */
export function describe(ev, names) {
  switch (ev.kind) {
    case 'assign': {
      const m = /^from (\S+) to (\S+)$/.exec(ev.note || '');
      if (!m) return label(ev.kind);
      return m[2] === 'nobody' ? say('event.unassign', { from: names.colleague(m[1]) }) : say('event.assign', { to: names.colleague(m[2]) });
    }
    case 'status': return say('event.status', { from: label(ev.from_status), to: label(ev.to_status) });
    case 'note': return say('event.note');
    case 'reply': return say('event.reply');
    case 'duplicate': {
      const m = /^duplicate of (\S+)$/.exec(ev.note || '');
      return say('event.duplicate', { of: m ? m[1] : '—' });
    }
    case 'route': {
      const m = /^from (\S+) to (\S+)$/.exec(ev.note || '');
      return say('event.route', { from: m ? m[1] : '—', to: m ? m[2] : '—' });
    }
    case 'created': return say('event.created');
    case 'print': return say('event.print');
    default: return label(ev.kind);
  }
}

/** attachmentMedia shows a photo or voice note of media type mime from url. */
function attachmentMedia(mime, url) {
  return (mime || '').startsWith('audio/')
    ? h('audio', { controls: true, preload: 'none', src: url })
    : h('a', { href: url, target: '_blank', rel: 'noopener' }, h('img', { src: url, alt: say('report.attachmentAlt') }));
}

/** size says a file's size shortly. */
export function size(bytes) {
  if (bytes < 1024) return say('size.bytes', { n: bytes });
  if (bytes < 1024 * 1024) return say('size.kb', { n: Math.round(bytes / 1024) });
  return say('size.mb', { n: (bytes / 1024 / 1024).toFixed(1) });
}

// SEEN are the states of a message's text (vault.js messageText) that
// show staff all there is to read: in clear, opened, or broken for good.
const SEEN = new Set(['', 'open', 'broken']);

/**
 * sealedText shows a message's or note's text as vault.js's messageText or
 * noteText gave it: the words, or why a sealed one cannot be shown.
 */
export function sealedText(t, cls = '') {
  if (t.state === 'open' || t.state === '') return h('p', { class: cls }, t.text);
  return h('p', { class: `${cls} muted`, dataset: { seal: t.state } }, say(`sealed.${t.state}`));
}

function alertIn(el, text) {
  let box = el.querySelector(':scope > .error');
  if (!box) {
    box = h('p', { class: 'error', role: 'alert' });
    el.append(box);
  }
  box.textContent = text;
}
