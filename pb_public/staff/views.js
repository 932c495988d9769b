// views.js: each staff member's saved views of the list. A view is a name
// and the list's address (#/?…): its filters, sort, search and page size.
// They are stored on the server (staff_views), whose rules let each member
// of staff see and change only their own, so they follow the person to any
// computer.

import { list, create, update, remove, quote } from './api.js';
import { h, replace, announce } from './dom.js';
import { say } from './labels.js';

export class SavedViews {
  /**
   * @param {HTMLElement} root the views' controls
   * @param {{me: () => string, address: () => string}} ctx who is signed in, the list's address
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.items = [];
    this.pick = root.querySelector('[data-view-pick]');
    this.name = root.querySelector('[data-view-name]');
    this.del = root.querySelector('[data-view-delete]');
    this.pick.addEventListener('change', () => {
      const v = this.items.find((x) => x.id === this.pick.value);
      this.del.disabled = !v;
      if (v) location.hash = v.query ? `#/?${v.query}` : '#/';
    });
    root.querySelector('[data-view-save]').addEventListener('click', () => this.save());
    this.del.addEventListener('click', () => this.remove());
  }

  async load() {
    try {
      const res = await list('staff_views', { filter: `staff = ${quote(this.ctx.me())}`, sort: 'name', perPage: 200, skipTotal: 1 });
      this.items = res.items;
    } catch {
      this.items = [];
    }
    const chosen = this.pick.value;
    replace(this.pick, h('option', { value: '' }, say('views.none')),
      this.items.map((v) => h('option', { value: v.id, dataset: { query: v.query } }, v.name)));
    this.pick.value = this.items.some((v) => v.id === chosen) ? chosen : '';
    this.del.disabled = !this.pick.value;
  }

  /** save stores the list's address under the typed name (again: replaced). */
  async save() {
    const name = this.name.value.trim();
    if (!name) return this.name.focus();
    const address = this.ctx.address();
    const at = address.indexOf('?');
    const query = at >= 0 ? address.slice(at + 1) : '';
    try {
      const same = this.items.find((v) => v.name === name);
      const saved = same
        ? await update('staff_views', same.id, { query })
        : await create('staff_views', { staff: this.ctx.me(), name, query });
      this.name.value = '';
      await this.load();
      this.pick.value = saved.id;
      this.del.disabled = false;
      announce(say('views.saved', { name }));
    } catch (err) {
      announce(say('views.failed', { error: err.message }));
    }
  }

  async remove() {
    const id = this.pick.value;
    if (!id) return;
    try {
      await remove('staff_views', id);
      await this.load();
      announce(say('views.deleted'));
    } catch (err) {
      announce(say('views.failed', { error: err.message }));
    }
  }
}
