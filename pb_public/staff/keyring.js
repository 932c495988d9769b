// keyring.js: the console's keys screen (#/keys): this member's personal
// key (make it, restore it in this browser with its passphrase, change the
// passphrase), the embassy's key epochs with their fingerprints and the
// chain checked here, who holds them, with the create, grant and remove
// actions, and the escrow key, if one is set. The keys themselves are
// vault.js's.

import { h, replace, keepTyped, when, announce } from './dom.js';
import { say } from './labels.js';
import { fingerprint, MIN_PASSPHRASE, WrongPassphrase, BadShare, WrongShares } from './vault.js';
import { qrcode } from '/js/vendor/qrcode.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * shareCode draws a recovery share as a QR code, in this browser (a share
 * never reaches the server): its text in upper case, which QR's
 * alphanumeric mode holds (hex digits and spaces), at error correction M,
 * as an SVG path of its dark modules with the standard quiet zone of 4.
 * Typed back or scanned, readShare reads the same hex.
 */
function shareCode(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text.toUpperCase(), 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 8} ${n + 8}`);
  svg.setAttribute('class', 'share-code');
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(n + 8));
  bg.setAttribute('height', String(n + 8));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

// STATUS_WORDS say where this browser stands (Vault.status).
const STATUS_WORDS = {
  loading: 'vault.status.loading', none: 'vault.status.none', restore: 'vault.status.restore',
  waiting: 'vault.status.waiting', unlocked: 'vault.status.unlocked',
};

export class KeyringView {
  /**
   * @param {HTMLElement} root
   * @param {import('./vault.js').Vault} vault
   */
  constructor(root, vault) {
    this.root = root;
    this.vault = vault;
    this.busy = false;
    this.drawn = 0; // counts draws, so an older read never draws over a newer one
    this.shares = null; // recovery shares just made, shown until the screen is left
  }

  /** open shows the screen with the server's current state. */
  async open() {
    this.shares = null;
    const draw = ++this.drawn;
    replace(this.root, h('p', { class: 'muted' }, say('list.loading')));
    try {
      await this.vault.reload();
    } catch (err) {
      if (draw === this.drawn) replace(this.root, h('p', { class: 'error', role: 'alert' }, say('vault.failed', { error: err.message })));
      return;
    }
    if (draw === this.drawn) await this.render();
  }

  /**
   * refresh draws the screen again after the keys changed on the server
   * (a colleague's personal key, a grant, an epoch), keeping what is being
   * typed; not while an action of this screen runs, which draws its end.
   */
  async refresh() {
    if (this.busy) return;
    const restore = keepTyped(this.root);
    await this.render();
    restore();
  }

  async render() {
    const v = this.vault;
    const draw = ++this.drawn;
    const broken = await v.verifyChain();
    const escrowBroken = await v.verifyEscrow();
    // The fingerprints a colleague reads off this screen are computed here.
    this.ownKid = await v.ownKid();
    this.escrowKid = v.state.escrow ? await v.kidOf(v.state.escrow.public_key) : '';
    if (draw !== this.drawn) return;
    replace(this.root,
      h('p', {}, h('a', { href: '#/', class: 'back' }, say('links.back'))),
      h('h2', {}, say('vault.title')),
      h('p', { class: 'muted' }, say('vault.intro')),
      // Waiting for a grant of a key no one has made yet: the first member
      // of staff makes it (the embassy's card, below).
      h('p', { class: 'notice', role: 'status', 'data-vault-status': v.status },
        say(v.status === 'waiting' && v.keyless ? 'vault.embassy.none' : STATUS_WORDS[v.status])),
      v.problem ? h('p', { class: 'error', role: 'alert' }, say('vault.grantBroken', { error: v.problem })) : null,
      h('p', { class: 'error', role: 'alert', 'data-vault-error': '', hidden: true }),
      this.personalCard(),
      this.embassyCard(broken),
      this.escrowCard(escrowBroken),
      v.newest ? this.holdersCard() : null,
      v.newest ? this.recoveryCard() : null);
  }

  personalCard() {
    const v = this.vault;
    const mine = v.state.me;
    const parts = [h('h3', {}, say('vault.personal.title'))];
    if (!mine) {
      parts.push(h('p', {}, say('vault.personal.none')), this.makeForm('make'));
    } else {
      const kid = this.ownKid || mine.kid;
      parts.push(h('p', {}, say('vault.personal.fingerprint'), ' ', h('code', { 'data-personal-kid': kid }, fingerprint(kid))));
      if (!v.personal) {
        parts.push(this.restoreForm(),
          h('details', { class: 'stack' }, h('summary', {}, say('vault.personal.lost')),
            h('p', { class: 'muted small' }, say('vault.personal.lostHelp')), this.makeForm('replace')));
      } else {
        parts.push(h('p', { class: 'muted small' }, say('vault.personal.here')), this.changeForm());
      }
    }
    return h('section', { class: 'card stack', 'data-personal': '' }, parts);
  }

  /** makeForm makes a personal key: a first one, or one that replaces a lost one. */
  makeForm(kind) {
    const id = (x) => `vault-${kind}-${x}`;
    const form = h('form', { class: 'stack', dataset: { personalMake: kind } },
      h('label', { for: id('pass') }, say('vault.passphrase')),
      h('input', { id: id('pass'), name: 'pass', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSPHRASE, required: true }),
      h('label', { for: id('pass2') }, say('vault.passphraseAgain')),
      h('input', { id: id('pass2'), name: 'pass2', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSPHRASE, required: true }),
      h('p', { class: 'muted small' }, say('vault.passphraseHelp', { n: MIN_PASSPHRASE })),
      h('button', { type: 'submit', class: kind === 'make' ? 'primary' : '' }, say(kind === 'make' ? 'vault.personal.make' : 'vault.personal.replace')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const pass = form.elements.pass.value;
      if (!this.passphraseOk(pass, form.elements.pass2.value)) return;
      if (kind === 'replace' && !confirm(say('vault.personal.replaceConfirm'))) return;
      this.act(() => this.vault.makePersonal(pass), 'vault.personal.made');
    });
    return form;
  }

  restoreForm() {
    const form = h('form', { class: 'stack', 'data-personal-restore': '' },
      h('label', { for: 'vault-restore-pass' }, say('vault.passphrase')),
      h('input', { id: 'vault-restore-pass', name: 'pass', type: 'password', autocomplete: 'current-password', required: true }),
      h('button', { type: 'submit', class: 'primary' }, say('vault.personal.restore')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.act(() => this.vault.restore(form.elements.pass.value), 'vault.personal.restored');
    });
    return form;
  }

  changeForm() {
    const form = h('form', { class: 'stack', 'data-passphrase-change': '' },
      h('h4', {}, say('vault.change.title')),
      h('label', { for: 'vault-current' }, say('vault.change.current')),
      h('input', { id: 'vault-current', name: 'current', type: 'password', autocomplete: 'current-password', required: true }),
      h('label', { for: 'vault-new' }, say('vault.change.new')),
      h('input', { id: 'vault-new', name: 'pass', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSPHRASE, required: true }),
      h('label', { for: 'vault-new2' }, say('vault.passphraseAgain')),
      h('input', { id: 'vault-new2', name: 'pass2', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSPHRASE, required: true }),
      h('button', { type: 'submit' }, say('vault.change.submit')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const pass = form.elements.pass.value;
      if (!this.passphraseOk(pass, form.elements.pass2.value)) return;
      this.act(() => this.vault.changePassphrase(form.elements.current.value, pass), 'vault.change.done');
    });
    return form;
  }

  passphraseOk(pass, again) {
    const wrong = pass.length < MIN_PASSPHRASE ? say('vault.passphraseShort', { n: MIN_PASSPHRASE })
      : pass !== again ? say('vault.passphraseMismatch') : '';
    if (wrong) this.fail(wrong);
    return !wrong;
  }

  embassyCard(broken) {
    const v = this.vault;
    const epochs = v.state.epochs;
    const parts = [h('h3', {}, say('vault.embassy.title'))];
    if (!epochs.length) {
      parts.push(h('p', {}, say('vault.embassy.none')),
        h('button', { type: 'button', class: 'primary', 'data-embassy-create': '', disabled: !v.personal,
          onclick: () => this.escrowAgreed() && this.act(() => v.createEmbassyKey(), 'vault.embassy.created') }, say('vault.embassy.create')));
      if (!v.personal) parts.push(h('p', { class: 'muted small' }, say('vault.embassy.needPersonal')));
      return h('section', { class: 'card stack', 'data-embassy-keys': '' }, parts);
    }
    const name = (id) => {
      const m = v.state.members.find((x) => x.id === id);
      return m ? (m.name || m.email) : say('nobody');
    };
    parts.push(
      h('p', { 'data-chain': broken ? `broken:${broken}` : 'ok', class: broken ? 'error' : 'muted small' },
        broken ? say('vault.chain.broken', { epoch: broken })
          : epochs.length === 1 ? say('vault.chain.one') : say('vault.chain.ok', { n: epochs.length })),
      h('table', { class: 'links-table' },
        h('thead', {}, h('tr', {}, ['vault.col.epoch', 'vault.col.fingerprint', 'links.made', 'vault.col.by', 'vault.col.here', 'vault.col.escrow']
          .map((k) => h('th', { scope: 'col' }, say(k))))),
        h('tbody', {}, epochs.slice().reverse().map((e) => h('tr', { dataset: { epoch: String(e.epoch), escrow: e.escrow_kid || '' } },
          h('td', { class: 'num' }, String(e.epoch)),
          h('td', {}, h('code', {}, fingerprint(e.kid))),
          h('td', {}, when(e.created)),
          h('td', {}, e.created_by ? name(e.created_by) : '—'),
          h('td', {}, v.holds(e.epoch) ? say('value.yes') : say('value.no')),
          h('td', {}, e.escrow_kid ? [e.escrow_label, ' ', h('code', {}, fingerprint(e.escrow_kid))] : '—'))))),
      h('p', { class: 'muted small' }, say('vault.embassy.newest', { epoch: v.newest.epoch })));
    if (v.holds(v.newest.epoch)) {
      parts.push(h('button', { type: 'button', 'data-epoch-next': '',
        onclick: () => confirm(say('vault.rotateConfirm')) && this.escrowAgreed() && this.act(() => v.nextEpoch([]), 'vault.rotated') }, say('vault.rotate')));
    }
    return h('section', { class: 'card stack', 'data-embassy-keys': '' }, parts);
  }

  /**
   * escrowCard tells every member, plainly, whether an escrow key is set
   * for the embassy, who holds it, its fingerprint (computed here), which
   * epochs were sealed to it, and warns when the escrow set differs from
   * the one the newest epoch was sealed to, or when an epoch's escrow is
   * not signed by that epoch.
   */
  escrowCard(broken) {
    const v = this.vault;
    const x = v.state.escrow;
    const sealedTo = (kid) => v.state.epochs.filter((e) => e.escrow_kid && (!kid || e.escrow_kid === kid)).map((e) => e.epoch);
    const parts = [h('h3', {}, say('vault.escrow.title'))];
    if (x) {
      const epochs = sealedTo(this.escrowKid);
      parts.push(h('p', { 'data-escrow': this.escrowKid }, say('vault.escrow.set', { label: x.label, fingerprint: fingerprint(this.escrowKid) })),
        h('p', { 'data-escrow-epochs': epochs.join(',') }, epochs.length
          ? say('vault.escrow.epochs', { epochs: epochs.join(', ') }) : say('vault.escrow.noEpochs')));
    } else {
      const epochs = sealedTo('');
      parts.push(h('p', { 'data-escrow': '', 'data-escrow-epochs': epochs.join(',') }, epochs.length
        ? say('vault.escrow.cleared', { epochs: epochs.join(', ') }) : say('vault.escrow.none')));
    }
    if (x && v.newest && v.escrowChange() === 'new') {
      parts.push(h('p', { class: 'error', role: 'alert', 'data-escrow-warning': '' },
        say('vault.escrow.changed', { label: x.label, fingerprint: fingerprint(this.escrowKid) })));
    }
    if (broken) {
      parts.push(h('p', { class: 'error', role: 'alert', 'data-escrow-broken': String(broken) }, say('vault.escrow.broken', { epoch: broken })));
    }
    return h('section', { class: 'card stack', 'data-escrow-card': '' }, parts);
  }

  /**
   * escrowAgreed asks, before an epoch is made here that will be sealed
   * to an escrow key other than the newest epoch's, whether to go on: the
   * escrow key comes from the server's settings, so the member sees whom
   * the new key goes to before it does.
   */
  escrowAgreed() {
    const x = this.vault.state.escrow;
    if (!x || this.vault.escrowChange() !== 'new') return true;
    return confirm(say('vault.escrow.confirm', { label: x.label, fingerprint: fingerprint(this.escrowKid) }));
  }

  holdersCard() {
    const v = this.vault;
    const newest = v.newest.epoch;
    const canAct = v.holds(newest);
    return h('section', { class: 'card stack', 'data-holders': '' },
      h('h3', {}, say('vault.holders.title')),
      h('p', { class: 'muted small' }, say('vault.holders.help')),
      h('table', { class: 'links-table' },
        h('thead', {}, h('tr', {}, ['vault.col.member', 'vault.col.personal', 'vault.col.holds']
          .map((k) => h('th', { scope: 'col' }, say(k))), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, say('links.actions'))))),
        h('tbody', {}, v.state.members.map((m) => {
          const lacks = v.state.grants.some((g) => !m.holds.includes(g.epoch));
          return h('tr', { dataset: { member: m.id, holds: m.holds.join(',') } },
            h('td', {}, m.name || m.email, m.id === v.me ? ` (${say('vault.you')})` : ''),
            h('td', {}, m.kid ? h('code', {}, fingerprint(m.kid)) : h('span', { class: 'muted' }, say('vault.noPersonal'))),
            h('td', {}, m.holds.length ? m.holds.join(', ') : '—'),
            h('td', { class: 'link-actions' },
              canAct && m.kid && lacks && m.id !== v.me
                ? h('button', { type: 'button', 'data-grant': m.id, onclick: () => this.grant(m) }, say('vault.grant')) : null,
              canAct && m.holds.length && m.id !== v.me
                ? h('button', { type: 'button', 'data-remove': m.id, onclick: () => this.remove(m) }, say('vault.remove')) : null));
        }))));
  }

  /** recoveryCard is the paper recovery: make the shares, or rebuild from two. */
  recoveryCard() {
    const v = this.vault;
    const rec = v.state.recovery;
    const parts = [h('h3', {}, say('vault.recovery.title')), h('p', { class: 'muted small' }, say('vault.recovery.intro'))];
    parts.push(rec
      ? h('p', { 'data-recovery': rec.kid }, say('vault.recovery.made', { date: when(rec.created), fingerprint: fingerprint(rec.kid) }))
      : h('p', { 'data-recovery': '' }, say('vault.recovery.none')));
    if (this.shares) {
      parts.push(h('div', { class: 'stack', 'data-recovery-shares': '' },
        h('p', { class: 'notice', role: 'status' }, say('vault.recovery.sheetHelp')),
        this.shares.map((text, i) => h('div', {},
          h('h4', {}, say('vault.recovery.share', { n: i + 1, of: this.shares.length, fingerprint: fingerprint(rec ? rec.kid : '') })),
          h('pre', { class: 'share', dataset: { share: String(i + 1) } }, text),
          shareCode(text))),
        h('button', { type: 'button', onclick: () => window.print() }, say('vault.recovery.print'))));
    }
    if (v.holds(v.newest.epoch)) {
      parts.push(h('button', { type: 'button', 'data-recovery-make': '',
        onclick: () => (!rec || confirm(say('vault.recovery.remakeConfirm'))) && this.act(async () => { this.shares = await v.makeRecovery(); }, 'vault.recovery.madeNow') },
      say(rec ? 'vault.recovery.remake' : 'vault.recovery.make')));
    } else if (rec && v.personal) {
      const form = h('form', { class: 'stack', 'data-recover': '' },
        h('p', {}, say('vault.recovery.rebuildHelp')),
        h('label', { for: 'vault-share-a' }, say('vault.recovery.shareLabel', { n: 1 })),
        h('textarea', { id: 'vault-share-a', name: 'a', rows: 3, required: true, autocomplete: 'off', spellcheck: 'false' }),
        h('label', { for: 'vault-share-b' }, say('vault.recovery.shareLabel', { n: 2 })),
        h('textarea', { id: 'vault-share-b', name: 'b', rows: 3, required: true, autocomplete: 'off', spellcheck: 'false' }),
        h('button', { type: 'submit', class: 'primary' }, say('vault.recovery.rebuild')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        this.act(() => v.recover([form.elements.a.value, form.elements.b.value]), 'vault.recovery.rebuilt');
      });
      parts.push(form);
    }
    return h('section', { class: 'card stack', 'data-recovery-card': '' }, parts);
  }

  async grant(m) {
    // The server could hand out a key of its own as the colleague's: the
    // fingerprint on their own screen is what proves it is theirs, and the
    // one asked about here is computed from the key that will be used.
    const kid = await this.vault.kidOf(m.public_key);
    if (!confirm(say('vault.grantConfirm', { name: m.name || m.email, fingerprint: fingerprint(kid) }))) return;
    this.act(() => this.vault.grant({ ...m, kid }), 'vault.granted');
  }

  remove(m) {
    if (!confirm(say('vault.removeConfirm', { name: m.name || m.email })) || !this.escrowAgreed()) return;
    this.act(() => this.vault.nextEpoch([m.id]), 'vault.removed');
  }

  fail(text) {
    const box = this.root.querySelector('[data-vault-error]');
    if (box) {
      box.textContent = text;
      box.hidden = false;
    }
    announce(text);
  }

  /** act runs one key action, one at a time, and draws the result. */
  async act(fn, done) {
    if (this.busy) return;
    this.busy = true;
    for (const b of this.root.querySelectorAll('button')) b.disabled = true;
    announce(say('vault.working'));
    this.root.dataset.busy = 'true';
    try {
      await fn();
      await this.render();
      announce(say(done));
    } catch (err) {
      await this.render().catch(() => {});
      this.fail(err instanceof WrongPassphrase ? say('vault.wrongPassphrase')
        : err instanceof BadShare ? say('vault.recovery.badShare', { n: err.which })
          : err instanceof WrongShares ? say('vault.recovery.wrongShares')
            : say('vault.failed', { error: err.message }));
    } finally {
      this.busy = false;
      delete this.root.dataset.busy;
    }
  }
}
