// keys.js: the console's keyboard shortcuts. Single keys, ignored while
// typing in a field (Escape leaves the field); ? lists them.

import { h, replace } from './dom.js';
import { say } from './labels.js';

/** KEYS are the shortcuts as the ? list shows them, by page. */
const KEYS = [
  ['j', 'keys.next'], ['k', 'keys.prev'], ['Enter / o', 'keys.enter'], ['x', 'keys.select'],
  ['/', 'keys.search'], ['s', 'keys.status'], ['a', 'keys.assign'], ['m', 'keys.me'],
  ['r', 'keys.reply'], ['p', 'keys.print'], ['u / Esc', 'keys.back'], ['w', 'keys.waiting'], ['?', 'keys.help'],
];

function typing(el) {
  return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/**
 * bindKeys binds the shortcuts.
 * @param {{list, reportView, form: HTMLFormElement, go: () => void, listAddress: () => string}} app
 */
export function bindKeys(app) {
  const dialog = document.querySelector('[data-keys]');
  replace(dialog.querySelector('[data-keys-list]'), KEYS.map(([key, what]) => [h('dt', {}, h('kbd', {}, key)), h('dd', {}, say(what))]));
  const help = () => (dialog.open ? dialog.close() : dialog.showModal());
  document.querySelector('[data-keys-open]').addEventListener('click', help);

  // A shortcut that moves the keyboard into a field does so when the key
  // comes up, so the key's own character is not typed into the field.
  let onKeyUp = null;
  document.addEventListener('keyup', (e) => {
    if (onKeyUp && onKeyUp.key === e.key) {
      const fn = onKeyUp.fn;
      onKeyUp = null;
      fn();
    }
  });
  const later = (key, fn) => () => { onKeyUp = { key, fn }; };

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (dialog.open) return; // the dialog closes itself with Escape
    const page = document.body.dataset.page;
    if (typing(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const on = (key, fn) => {
      if (e.key !== key) return false;
      e.preventDefault();
      fn();
      return true;
    };
    if (on('?', help)) return;
    if (on('w', app.go)) return;
    if (on('/', later('/', () => {
      if (page !== 'reports') location.hash = app.listAddress();
      const box = document.querySelector('[data-filter-box]');
      if (box) box.open = true;
      app.form.elements.q.focus();
    }))) return;
    if (page === 'reports') {
      const openCurrent = () => { const id = app.list.current(); if (id) location.hash = `#/report/${id}`; };
      if (on('j', () => app.list.move(1)) || on('k', () => app.list.move(-1)) || on('o', openCurrent)) return;
      on('x', () => { const id = app.list.current(); if (id) app.list.select(id, !app.list.selected.has(id)); });
      return;
    }
    if (page === 'report') {
      const step = (delta) => {
        const id = app.list.neighbour(app.reportView.id, delta);
        if (id) location.hash = `#/report/${id}`;
      };
      if (on('j', () => step(1)) || on('k', () => step(-1))) return;
      if (on('u', () => { location.hash = app.listAddress(); }) || on('Escape', () => { location.hash = app.listAddress(); })) return;
      if (on('s', () => app.reportView.focus('[data-set-status]'))) return;
      if (on('a', later('a', () => app.reportView.focus('[data-assignee]')))) return;
      if (on('m', () => app.reportView.assign(app.reportView.me()))) return;
      if (on('p', () => app.reportView.print())) return;
      on('r', later('r', () => app.reportView.focus('#reply-body')));
    }
  });
}
