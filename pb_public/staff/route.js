// route.js: routing a report to another embassy (POST
// /api/staff/reports/{id}/route). A sealed report cannot simply change
// embassy: its envelope names this embassy and its key, so the other
// embassy could not open it, and the server refuses the move. Here, in the
// staff browser, the report's body (the reply key in it included, so the
// reporter still reads replies) and its reporter's messages are opened
// and its sealed photos and voice notes are opened and sealed again to
// the receiving embassy's newest key, fetched from the public key list and
// checked by its key chain from epoch 1, as phones check it; the server
// moves all of them in one transaction. Staff notes stay with this
// embassy, sealed to its key: they are its own record (docs/SECURITY.md,
// "Routing a sealed report").

import { auth, list, view, request, quote, fileToken, fileURL, ApiError } from './api.js';
import { chainBreak, fingerprint } from './vault.js';
import { isSealed } from './files.js';
import {
  seal as sealEnvelope, reportClear, messageClear, clearHash, isReplyEnvelope, unbase64url as unb64, openFile, sealFile, fileKid,
} from '/js/seal.js';
import { h, replace, announce } from './dom.js';
import { say } from './labels.js';

const utf8 = new TextEncoder();
const PER_PAGE = 500; // the records API's largest page

/** RouteRefused says why a report was not routed, in the console's words. */
export class RouteRefused extends Error {}

/**
 * embassyKey returns the newest key epoch of embassy, after checking its
 * whole chain here, with root, the kid of its epoch 1 (the fingerprint on
 * the embassy's poster). It throws RouteRefused when the embassy has no key
 * or its chain does not verify.
 */
export async function embassyKey(embassy, name) {
  const epochs = [];
  for (let page = 1; ; page++) {
    const res = await list('embassy_keys', {
      filter: `embassy = ${quote(embassy)}`, sort: 'epoch', page, perPage: PER_PAGE, skipTotal: 1,
      fields: 'epoch,kid,public_key,verify_key,signature',
    });
    epochs.push(...res.items);
    if (res.items.length < PER_PAGE) break;
  }
  if (!epochs.length) throw new RouteRefused(say('route.noKey', { name }));
  if ((await chainBreak(embassy, epochs)) !== 0) throw new RouteRefused(say('route.broken', { name }));
  return { ...epochs[epochs.length - 1], root: epochs[0].kid };
}

// sealTo seals body (JSON) to key for the record id with the clear fields.
async function sealTo(key, embassy, record, fields, body) {
  const clear = await clearHash(fields);
  return sealEnvelope(unb64(key.public_key), { embassy, kid: key.kid, record, clear }, utf8.encode(JSON.stringify(body)));
}

/**
 * resealed opens the sealed report id (as stored), its reporter's sealed
 * messages and its sealed attachments with the vault's keys and seals each
 * again, whole, to key of embassy to. It returns the route request's body
 * and files.
 */
export async function resealed(vault, id, to, key) {
  const stored = await view('reports', id);
  const from = stored.embassy;
  const body = await vault.openReport(stored);
  const sealed = await sealTo(key, to, id, reportClear({ ...stored, embassy: to }), body);
  const messages = [];
  for (let page = 1; ; page++) {
    const res = await list('messages', { filter: `report = ${quote(id)} && direction = "reporter"`, sort: 'created', page, perPage: PER_PAGE, skipTotal: 1 });
    for (const m of res.items) {
      if (!m.sealed || isReplyEnvelope(m.sealed)) continue;
      const plain = await vault.openSealed(m.sealed, from, m.id, messageClear(m));
      messages.push({ id: m.id, sealed: await sealTo(key, to, m.id, messageClear(m), plain) });
    }
    if (res.items.length < PER_PAGE) break;
  }
  return { body: { embassy: to, sealed, messages }, files: await resealedFiles(vault, id, from, to, key) };
}

/**
 * resealedFiles opens each sealed attachment of report id (of embassy
 * from) and seals it again to key of embassy to: [{id, bytes}].
 */
async function resealedFiles(vault, id, from, to, key) {
  const res = await list('attachments', { filter: `report = ${quote(id)}`, sort: 'created', perPage: PER_PAGE, skipTotal: 1 });
  const sealed = res.items.filter(isSealed);
  if (!sealed.length) return [];
  const token = await fileToken();
  const out = [];
  for (const a of sealed) {
    const got = await fetch(fileURL(a, a.file, token), { cache: 'no-store' });
    if (!got.ok) throw new Error(`HTTP ${got.status}`);
    const bytes = new Uint8Array(await got.arrayBuffer());
    const pair = vault.keys.get(fileKid(bytes));
    if (!pair) throw new Error('no key in this browser for an attachment');
    const file = await openFile(pair, { embassy: from, record: id }, bytes);
    out.push({ id: a.id, bytes: await sealFile(unb64(key.public_key), { embassy: to, kid: key.kid, record: id }, file.mime, file.data) });
  }
  return out;
}

/**
 * send posts the routing: JSON, or multipart with the sealed files
 * (file_<attachment id>) beside the JSON (PocketBase's @jsonPayload).
 */
async function send(id, { body, files }) {
  const path = `/api/staff/reports/${encodeURIComponent(id)}/route`;
  if (!files.length) return request(path, { method: 'POST', body });
  const form = new FormData();
  form.append('@jsonPayload', JSON.stringify(body));
  for (const f of files) form.append(`file_${f.id}`, new Blob([f.bytes], { type: 'application/octet-stream' }), `${f.id}.bin`);
  const res = await fetch(path, { method: 'POST', body: form, headers: { Authorization: auth.token }, cache: 'no-store', credentials: 'omit' });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** refusal is what the server's refusal says, field by field. */
function refusal(err) {
  const fields = Object.values(err.data || {}).map((f) => f && f.message).filter(Boolean);
  return fields.length ? fields.join(' ') : err.message;
}

/**
 * routeCard is the report view's form that routes report r, shown as seal
 * (unseal's state) says, to another active embassy; done is called once
 * the report has gone.
 */
export function routeCard(vault, r, seal, done) {
  const pick = h('select', { id: 'route-to', name: 'to', required: true, 'data-route-to': '' },
    h('option', { value: '' }, say('route.choose')));
  const status = h('p', { class: 'muted small', role: 'status', 'data-route-status': '' });
  const locked = seal && seal !== 'open';
  const form = h('form', { class: 'inline', 'data-route': '' },
    h('div', { class: 'field' }, h('label', { for: 'route-to' }, say('route.label')), pick),
    h('button', { type: 'submit', disabled: locked }, say('route.send')));
  list('embassies', { filter: 'active = true', sort: 'name', perPage: PER_PAGE, skipTotal: 1, fields: 'id,name' }).then((res) => {
    for (const e of res.items) if (e.id !== r.embassy) pick.append(h('option', { value: e.id }, e.name));
    form.dataset.ready = '';
  }, (err) => replace(status, say('route.failed', { error: err.message })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = pick.value;
    const name = pick.selectedOptions[0] ? pick.selectedOptions[0].textContent : to;
    if (!to) return;
    status.className = 'muted small';
    replace(status, say('route.working'));
    try {
      let routing = { body: { embassy: to }, files: [] };
      if (seal) {
        const key = await embassyKey(to, name);
        if (!window.confirm(say('route.confirm', { name, fingerprint: fingerprint(key.root) }))) return replace(status);
        routing = await resealed(vault, r.id, to, key);
      }
      await send(r.id, routing);
      announce(say('route.done', { name }));
      done();
    } catch (err) {
      status.className = 'error';
      status.setAttribute('role', 'alert');
      replace(status, err instanceof RouteRefused ? err.message : say('route.failed', { error: err.data ? refusal(err) : err.message }));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'route-h' },
    h('h3', { id: 'route-h' }, say('route.title')),
    h('p', { class: 'muted small' }, say(seal ? 'route.sealedHelp' : 'route.help')),
    locked ? h('p', { class: 'notice', 'data-route-locked': '' }, say('route.locked')) : null,
    form, status);
}
