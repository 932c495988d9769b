// The /verify page: a volunteer pastes a link and sees the verdict, with
// no signal once the keys are cached (js/qrverify.js).
import { verifyLink, refreshKeys, cachedKeys } from './qrverify.js';

const form = document.getElementById('verify-form');
const input = document.getElementById('verify-input');
const out = document.getElementById('verify-result');
const keysNote = document.getElementById('verify-keys');

function showKeys(set) {
  keysNote.textContent = set
    ? `Signing keys saved on this device (${set.keys.length}), checked ${new Date(set.fetched).toLocaleString()}. Checks work offline.`
    : 'Signing keys not saved yet: connect once to check codes offline.';
}

function show(r) {
  out.replaceChildren();
  const p = document.createElement('p');
  p.className = 'verdict verdict-' + r.verdict;
  p.dataset.verdict = r.verdict;
  p.dataset.offline = String(r.offline);
  p.textContent = (r.verdict === 'valid' ? '✔ Genuine code. ' : '⚠ This code may be fake. ') + r.reason;
  out.append(p);
  if (r.verdict === 'valid' && r.offline) {
    const n = document.createElement('p');
    n.className = 'hint';
    n.textContent = 'Checked offline with the saved keys. Check again with a connection to know whether it was withdrawn.';
    out.append(n);
  }
  const emb = r.embassy;
  if (emb) {
    const e = document.createElement('p');
    const a = document.createElement('a');
    a.href = new URL(emb.contact_url, location.href).pathname;
    a.textContent = emb.name;
    e.append('Embassy: ', a);
    out.append(e);
  } else if (r.claims && r.claims.emb) {
    const e = document.createElement('p');
    e.textContent = 'Embassy named in the code: ' + r.claims.emb;
    out.append(e);
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  out.textContent = 'Checking…';
  try {
    show(await verifyLink(input.value));
  } catch {
    show({ verdict: 'unchecked', reason: 'This code could not be checked.', offline: true });
  }
  showKeys(cachedKeys());
});

showKeys(cachedKeys());
refreshKeys().then(showKeys);
