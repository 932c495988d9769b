// files.js: a report's sealed attachments (photos, voice notes) opened in
// this browser: fetched with a file token like any attachment, opened
// chunk by chunk with the embassy key epoch the file's header names
// (vault.js, seal.js's openFile), and shown from a blob URL of the media
// type sealed inside. The server holds only the sealed bytes.

import { openFile, fileKid } from '/js/seal.js';

/** isSealed reports whether an attachment record is a sealed file. */
export function isSealed(a) {
  return !!a.sealed_by;
}

function failure(reason, message) {
  return Object.assign(new Error(message), { reason });
}

/**
 * openAttachment fetches a sealed attachment of report r from url and
 * opens it with the vault's keys: it returns {mime, url} (a blob URL the
 * caller revokes), or throws an Error whose reason is 'opening' (the keys
 * are still being read), 'locked' (no key for it in this browser),
 * 'broken' (it does not open for this report: changed, cut, reordered or
 * moved) or 'failed' (it could not be fetched).
 */
export async function openAttachment(vault, r, url) {
  if (!vault.state && !vault.loadFailed) throw failure('opening', 'the keys are being read');
  let res;
  try {
    res = await fetch(url, { cache: 'no-store' });
  } catch (err) {
    throw failure('failed', err.message);
  }
  if (!res.ok) throw failure('failed', `HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const kid = fileKid(bytes);
  if (!kid) throw failure('broken', 'not a sealed file');
  const pair = vault.keys.get(kid);
  if (!pair) throw failure('locked', 'no key in this browser for this file');
  let file;
  try {
    file = await openFile(pair, { embassy: r.embassy, record: r.id }, bytes);
  } catch (err) {
    throw failure('broken', err.message);
  }
  return { mime: file.mime, url: URL.createObjectURL(new Blob([file.data], { type: file.mime })) };
}
