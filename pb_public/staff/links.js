// links.js: the embassy's QR links: make one for a poster (a label saying
// where it hangs, the language of its page and poster), print its A4
// poster, download its code, and revoke it. Links are qr_links records, so
// the collection's rules decide who may do what; the poster and the code
// images are fetched with a short-lived file token, since a page opened
// for printing cannot send the Authorization header.

import { request, auth, list, create, update, fileToken } from './api.js';
import { h, replace, when, announce } from './dom.js';
import { label, say, LANGUAGES } from './labels.js';
import { readSetupChecks } from './setup.js';

// STATE_WORDS names each state of a link.
const STATE_WORDS = { active: 'links.state.active', revoked: 'links.state.revoked', expired: 'links.state.expired' };

/** linkState is "active", "revoked" or "expired". */
export function linkState(link, now = Date.now()) {
  if (link.revoked) return 'revoked';
  if (link.expires && new Date(link.expires.replace(' ', 'T')).getTime() <= now) return 'expired';
  return 'active';
}

export class LinksView {
  constructor(root) {
    this.root = root;
  }

  /** open shows the embassy's links and the form to make one. */
  async open() {
    const embassyId = auth.record && auth.record.embassy;
    const [embassy, checks] = await Promise.all([
      // Without it the form still works; the language starts empty.
      request(`/api/collections/embassies/records/${encodeURIComponent(embassyId)}`).catch(() => null),
      readSetupChecks(),
    ]);
    // Until the server knows its official public address it refuses every
    // poster and code (hooks/qr): a link made now prints once it is set.
    this.printable = !(checks || []).some((c) => c.code === 'public_url');
    // A poster speaks the language of the people the embassy serves: its
    // first listed language, never silently English.
    const first = embassy && Array.isArray(embassy.languages) && embassy.languages[0];
    const langs = h('select', { id: 'link-language', name: 'language', required: true },
      LANGUAGES.map((l) => h('option', { value: l, selected: l === first }, `${label(l)} (${l})`)));
    const form = h('form', { class: 'card stack', 'data-link-form': '', onsubmit: (ev) => this.make(ev) },
      h('h3', {}, say('links.new')),
      h('label', { for: 'link-label' }, say('links.label')),
      h('input', { id: 'link-label', name: 'label', required: true, maxlength: 200, placeholder: say('links.labelHint') }),
      h('label', { for: 'link-language' }, say('links.language')),
      langs,
      h('label', { for: 'link-expires' }, say('links.expires')),
      h('input', { id: 'link-expires', name: 'expires', type: 'date' }),
      h('p', { class: 'muted small' }, say('links.expiresHint')),
      h('button', { type: 'submit', class: 'primary' }, say('links.make')));
    replace(this.root,
      h('p', {}, h('a', { href: '#/', class: 'back' }, say('links.back'))),
      h('h2', {}, say('links.title')),
      h('p', { class: 'muted' }, say('links.intro')),
      !this.printable && h('p', { class: 'error', 'data-no-public-url': '' }, say('setup.check.public_url')),
      form,
      h('h3', {}, say('links.existing')),
      h('div', { 'data-links': '' }, say('list.loading')));
    await this.load();
  }

  async load() {
    const box = this.root.querySelector('[data-links]');
    try {
      const res = await list('qr_links', { perPage: 200, sort: '-created' });
      this.render(box, res.items);
    } catch (err) {
      replace(box, h('p', { class: 'error' }, say('links.failed', { error: err.message })));
    }
  }

  render(box, links) {
    if (!links.length) {
      replace(box, h('p', { class: 'muted' }, say('links.none')));
      return;
    }
    replace(box, h('table', { class: 'links-table' },
      h('thead', {}, h('tr', {},
        ['links.col.label', 'links.col.language', 'links.made', 'links.expires', 'links.scans', 'links.state']
          .map((k) => h('th', { scope: 'col' }, say(k))),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, say('links.actions'))))),
      h('tbody', {}, links.map((l) => this.row(l)))));
  }

  row(link) {
    const state = linkState(link);
    const usable = state === 'active';
    return h('tr', { dataset: { link: link.id, state } },
      h('td', {}, link.label),
      h('td', {}, link.language ? label(link.language) : '—'),
      h('td', {}, when(link.created)),
      h('td', {}, when(link.expires)),
      h('td', { class: 'num' }, String(link.scans || 0)),
      h('td', {}, say(STATE_WORDS[state])),
      h('td', { class: 'link-actions' },
        usable && this.printable && h('button', { type: 'button', 'data-poster': link.id, onclick: () => this.openFile(link, 'poster') }, say('links.poster')),
        usable && this.printable && h('button', { type: 'button', 'data-png': link.id, onclick: () => this.openFile(link, 'png') }, say('links.png')),
        usable && h('button', { type: 'button', 'data-revoke': link.id, onclick: () => this.revoke(link) }, say('links.revoke'))));
  }

  async make(ev) {
    ev.preventDefault();
    const data = new FormData(ev.target);
    const body = { label: String(data.get('label')).trim(), language: data.get('language'), embassy: auth.record.embassy };
    if (data.get('expires')) body.expires = `${data.get('expires')} 23:59:59.000Z`;
    try {
      const link = await create('qr_links', body);
      ev.target.reset();
      announce(say('links.made.done', { label: link.label }));
      await this.load();
    } catch (err) {
      announce(say('links.failed', { error: err.message }));
      replace(this.root.querySelector('[data-links]'), h('p', { class: 'error', role: 'alert' }, say('links.failed', { error: err.message })));
    }
  }

  /** openFile opens the link's poster or code image in a new tab. */
  async openFile(link, kind) {
    // Opened at once, while the click still counts, then pointed at the
    // file once the token is there.
    const tab = window.open('', '_blank');
    try {
      const token = await fileToken();
      const path = kind === 'poster' ? `/api/qr/${link.id}/poster` : `/api/qr/${link.id}.png`;
      const url = `${path}?token=${encodeURIComponent(token)}`;
      if (tab) tab.location.href = url;
      else location.href = url;
    } catch (err) {
      if (tab) tab.close();
      announce(say('links.failed', { error: err.message }));
    }
  }

  async revoke(link) {
    if (!confirm(say('links.revokeConfirm', { label: link.label }))) return;
    try {
      await update('qr_links', link.id, { revoked: true });
      announce(say('links.revoked', { label: link.label }));
      await this.load();
    } catch (err) {
      announce(say('links.failed', { error: err.message }));
    }
  }
}
