// print.js: a report's case sheet for paper: every field, the reporter's
// message, the conversation both ways, the history (the audit trail) and
// the attachments by name (a sealed one with the media type sealed inside,
// opened here), with a footer saying who printed it and when.
// The server logs the print as an audit event first (POST
// /api/staff/reports/{id}/print) and gives the footer's name and time;
// only then is the sheet drawn and the browser's print dialog opened.

import { view, list, request, quote, fileToken, fileURL } from './api.js';
import { h, replace, when } from './dom.js';
import { label, say } from './labels.js';
import { SECTIONS, fieldName, show, describe, size } from './report.js';
import { unseal, messageText, noteText } from './vault.js';
import { isSealed, openAttachment } from './files.js';

// MAX_ROWS is as many messages, events or attachments as one sheet lists:
// PocketBase's largest page.
const MAX_ROWS = 1000;

// SEAL_REFUSALS say why a sealed report is not printed.
const SEAL_REFUSALS = { opening: 'sealed.opening', locked: 'sealed.lockedLong', broken: 'sealed.brokenLong' };

export class PrintSheet {
  /**
   * @param {HTMLElement} root
   * @param {{names: {colleague: (id: string) => string}, back: (id: string) => void}} ctx
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
  }

  /** open logs the print, draws the sheet and opens the print dialog. */
  async open(id) {
    replace(this.root, h('p', { class: 'muted' }, say('print.preparing')));
    const rows = (collection, expand) => list(collection, {
      filter: `report = ${quote(id)}`, sort: 'created', perPage: MAX_ROWS, skipTotal: 1, expand,
    }).then((res) => res.items);
    let data;
    try {
      // A sealed report is printed opened, or not at all (and then no
      // print is logged).
      const report = await view('reports', id);
      const sealed = await unseal(this.ctx.vault, report);
      if (sealed !== '' && sealed !== 'open') throw new Error(say(SEAL_REFUSALS[sealed]));
      const stamp = await request(`/api/staff/reports/${encodeURIComponent(id)}/print`, { method: 'POST' });
      const [messages, events, attachments] = await Promise.all([
        rows('messages', 'author'), rows('report_events', 'actor'), rows('attachments'),
      ]);
      // Sealed replies, reporters' messages and notes are printed opened,
      // and sealed attachments named by the media type sealed inside.
      const [says, notes] = await Promise.all([
        Promise.all(messages.map((m) => messageText(this.ctx.vault, report, m))),
        Promise.all(events.map((ev) => (ev.kind === 'note' ? noteText(this.ctx.vault, ev) : null))),
        this.openAttachments(report, attachments),
      ]);
      data = { stamp, report, messages, events, attachments, says, notes };
    } catch (err) {
      replace(this.root, this.tools(id), h('p', { class: 'error', role: 'alert' }, say('print.failed', { error: err.message })));
      return false;
    }
    replace(this.root, this.tools(id), this.sheet(data));
    window.print();
    return true;
  }

  /**
   * openAttachments opens the sealed attachments here to name the media
   * type sealed inside each, as the sheet lists it (mime); one that does
   * not open is listed saying why (sealedState).
   */
  async openAttachments(report, attachments) {
    const sealed = attachments.filter(isSealed);
    if (!sealed.length) return;
    const token = await fileToken();
    for (const a of sealed) {
      try {
        const file = await openAttachment(this.ctx.vault, report, fileURL(a, a.file, token));
        URL.revokeObjectURL(file.url);
        a.mime = file.mime;
      } catch (err) {
        a.sealedState = { opening: 'sealed.opening', locked: 'sealed.locked', broken: 'sealed.broken' }[err.reason] || 'sealed.broken';
      }
    }
  }

  tools(id) {
    return h('p', { class: 'print-tools' },
      h('button', { type: 'button', class: 'primary', 'data-print-again': '', onclick: () => window.print() }, say('print.again')),
      h('button', { type: 'button', 'data-print-back': '', onclick: () => this.ctx.back(id) }, say('print.back')));
  }

  sheet({ stamp, report: r, messages, events, attachments, says, notes }) {
    const names = this.ctx.names;
    return h('article', { class: 'case-sheet', 'data-case-sheet': r.id },
      h('header', {},
        h('h1', {}, say('print.title', { date: when(r.created) })),
        h('p', {}, say('print.id', { id: r.id }), ' · ', label(r.status), r.urgent ? ` · ${say('mark.urgent')}` : '')),
      h('section', {}, h('h2', {}, say('report.message')),
        h('p', { class: 'reporter-text', 'data-sheet-message': '' }, r.message || say('report.noMessage'))),
      SECTIONS.map(([title, fields]) => h('section', {},
        h('h2', {}, say(title)),
        h('dl', {}, fields.map((n) => [h('dt', {}, fieldName(n)), h('dd', { dataset: { field: n } }, sheetValue(n, r[n]))])))),
      h('section', {}, h('h2', {}, say('report.conversation')),
        messages.length
          ? h('ol', { class: 'sheet-list', 'data-sheet-messages': '' }, messages.map((m, i) => h('li', { dataset: { direction: m.direction } },
            h('p', { class: 'sheet-meta' }, when(m.created), ' · ',
              m.direction === 'staff' ? ((m.expand && m.expand.author && m.expand.author.name) || say('report.staff')) : say('report.reporter'),
              m.direction === 'staff' ? ` · ${m.read_by_reporter ? say('report.read') : say('report.unread')}` : ''),
            h('p', { class: 'sheet-body' }, sheetText(says[i])))))
          : h('p', {}, say('report.noMessages'))),
      h('section', {}, h('h2', {}, say('report.history')),
        events.length
          ? h('ol', { class: 'sheet-list', 'data-sheet-history': '' }, events.map((ev, i) => h('li', { dataset: { kind: ev.kind } },
            h('p', { class: 'sheet-meta' }, when(ev.created), ' · ',
              (ev.expand && ev.expand.actor && ev.expand.actor.name) || label(ev.actor_label || 'system'), ' · ', describe(ev, names)),
            ev.kind === 'note' ? h('p', { class: 'sheet-body' }, sheetText(notes[i])) : null)))
          : h('p', {}, say('report.noHistory'))),
      h('section', {}, h('h2', {}, say('report.attachments')),
        attachments.length
          ? h('ul', { class: 'sheet-list', 'data-sheet-attachments': '' }, attachments.map((a) => h('li', {},
            `${a.file} · ${a.sealedState ? say(a.sealedState) : a.mime || ''} · ${size(a.size || 0)} · ${when(a.created)}`)))
          : h('p', {}, say('report.noAttachments'))),
      h('footer', { class: 'sheet-footer', 'data-sheet-footer': '' },
        h('p', {}, say('print.footer', { name: stamp.printedBy, time: when(stamp.printed) })),
        h('p', {}, say('print.confidential'))));
  }
}

/** sheetText is a message's or note's text, or why a sealed one is not shown. */
function sheetText(t) {
  return t.state === '' || t.state === 'open' ? t.text : say(`sealed.${t.state}`);
}

/** sheetValue is show() as text: a link has no use on paper. */
function sheetValue(name, value) {
  const v = show(name, value);
  return v instanceof Node ? v.textContent : v;
}
