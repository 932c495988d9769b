// The /verify page: a volunteer pastes a link and sees the verdict, with
// no signal once the keys are cached (js/qrverify.js). Every line is in
// the page's language with the English below it; the server hands the
// lines over in the page (data-strings), so none is fetched.
import { verifyLink, refreshKeys, cachedKeys } from './qrverify.js';
import { linesFrom, langOf, reasonKey } from './lines.js';

const form = document.getElementById('verify-form');
const input = document.getElementById('verify-input');
const out = document.getElementById('verify-result');
const keysNote = document.getElementById('verify-keys');
const line = linesFrom(out);
const lang = langOf(out);

function showKeys(set) {
  keysNote.replaceChildren(set
    ? line('span', 'keys_saved', { n: set.keys.length, when: new Date(set.fetched).toLocaleString(lang) })
    : line('span', 'keys_none'));
}

function show(r) {
  out.replaceChildren();
  const p = document.createElement('p');
  p.className = 'verdict verdict-' + r.verdict;
  p.dataset.verdict = r.verdict;
  p.dataset.offline = String(r.offline);
  p.append(r.verdict === 'valid' ? '✔ ' : '⚠ ', line('span', r.verdict === 'valid' ? 'genuine' : 'may_be_fake'), ' ', line('span', reasonKey(r)));
  out.append(p);
  const emb = r.embassy;
  if (emb) {
    const e = line('p', 'embassy_is', { name: emb.name });
    const a = document.createElement('a');
    a.href = new URL(emb.contact_url, location.href).pathname;
    a.append(line('span', 'official'));
    e.append(' ', a);
    out.append(e);
  } else if (r.claims && r.claims.emb) {
    out.append(line('p', 'embassy_in_code', { name: r.claims.emb }));
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  out.replaceChildren(line('p', 'checking'));
  try {
    show(await verifyLink(input.value));
  } catch {
    show({ verdict: 'unchecked', offline: true });
  }
  showKeys(cachedKeys());
});

showKeys(cachedKeys());
refreshKeys().then(showKeys);
