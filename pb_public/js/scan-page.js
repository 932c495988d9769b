// scan-page.js: what a scanned QR code shows with no signal. The service
// worker serves this page (/qr/offline, cached on the first visit) for a
// /q/{token} address it cannot fetch; the token is checked here against
// the public keys saved on the phone (js/qrverify.js), and the page says
// plainly that a withdrawn code cannot be told apart offline. A genuine
// code shows the embassy's contacts the app saved on the phone.
import { verifyOffline } from './qrverify.js';
import { linesFrom, reasonKey } from './lines.js';

const out = document.getElementById('scan-result');
const box = document.getElementById('scan-embassy');
const line = linesFrom(out);

function savedEmbassy(slug) {
  const hw = self.homeward;
  if (!hw || !hw.db) return Promise.resolve(null);
  return hw.db.all('embassies').then((all) => all.find((e) => e.slug === slug) || null, () => null);
}

function showEmbassy(slug, e) {
  box.replaceChildren(line('h2', 'saved_contacts'));
  if (e) {
    const h = document.createElement('p');
    h.className = 'embassy-name';
    h.textContent = e.name;
    box.append(h);
    const digits = String(e.hotline || '').replace(/[^+0-9]/g, '');
    if (digits && !e.demo) {
      const call = document.createElement('a');
      call.className = 'button call';
      call.href = 'tel:' + digits;
      call.append(line('span', 'call'));
      const n = document.createElement('span');
      n.className = 'number';
      n.textContent = e.hotline;
      call.append(' ', n);
      box.append(call);
    }
  }
  // The app, offline too, with this embassy first and chosen.
  const a = document.createElement('a');
  a.className = 'button';
  a.href = '/e/' + encodeURIComponent(slug);
  a.append(line('span', 'official'));
  box.append(a);
  box.hidden = false;
}

function show(r) {
  out.replaceChildren();
  const p = document.createElement('p');
  p.className = 'verdict verdict-' + r.verdict;
  p.dataset.verdict = r.verdict;
  p.dataset.offline = 'true';
  p.dataset.revocationChecked = String(!!r.revocationChecked);
  p.append(r.verdict === 'valid' ? '✔ ' : '⚠ ', line('span', r.verdict === 'valid' ? 'genuine' : 'may_be_fake'), ' ', line('span', reasonKey(r)));
  out.append(p);
  if (r.verdict !== 'valid') {
    out.append(line('p', 'dont'));
    const a = document.createElement('a');
    a.href = '/e';
    a.append(line('span', 'list'));
    const li = document.createElement('p');
    li.append(a);
    out.append(li);
    return;
  }
  const slug = r.claims.emb;
  savedEmbassy(slug).then((e) => showEmbassy(slug, e));
}

verifyOffline(location.href).then(show, () => show({ verdict: 'unchecked', offline: true }));
