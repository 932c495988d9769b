// dom.js: builds elements from data with textContent only, so nothing a
// reporter wrote can ever become markup.

/**
 * h creates an element: h('p', {class: 'x', dataset: {id: 1}}, 'text', child).
 * Attributes whose value is false, null or undefined are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** replace empties el and fills it with children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * keepTyped notes what is typed in el's text fields (by id) and where the
 * keyboard is, and returns a function that puts both back once el is
 * drawn again: a colleague's change re-draws a report, and must not wipe a
 * reply or a note being written.
 */
export function keepTyped(el) {
  const typed = [];
  for (const f of el.querySelectorAll('textarea[id], input[id]')) {
    if (f.type === 'hidden' || f.type === 'checkbox' || f.type === 'radio' || f.value === f.defaultValue) continue;
    typed.push({ id: f.id, value: f.value, start: f.selectionStart, end: f.selectionEnd });
  }
  const active = el.contains(document.activeElement) && document.activeElement.id;
  return () => {
    for (const t of typed) {
      const f = el.querySelector(`#${CSS.escape(t.id)}`);
      if (!f) continue;
      f.value = t.value;
      try {
        f.setSelectionRange(t.start, t.end);
      } catch {
        // a field with no selection to set
      }
    }
    const f = active && el.querySelector(`#${CSS.escape(active)}`);
    if (f) f.focus({ preventScroll: true });
  };
}

/**
 * dateOf reads a PocketBase date ("2026-11-26 09:12:00.000Z"), or null.
 * wordsIn is the page's language when the browser has its calendar words,
 * else false: Chromium has none for Burmese or Khmer and would write
 * English ones, so numbers say the date then.
 */
function dateOf(value) {
  const d = value ? new Date(value.replace(' ', 'T')) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

function wordsIn() {
  const lang = document.documentElement.lang || undefined;
  return lang && Intl.DateTimeFormat.supportedLocalesOf([lang]).length === 0 ? false : lang;
}

/**
 * when formats a PocketBase date ("2026-11-26 09:12:00.000Z") in local
 * time, in the page's language.
 */
export function when(value) {
  const d = dateOf(value);
  if (!d) return value || '';
  const lang = wordsIn();
  if (lang === false) {
    const two = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
  }
  return d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * day formats a calendar date (stored as midnight UTC, "2026-11-28
 * 00:00:00.000Z", as the reporter picked it) as that day, with no time, in
 * the page's language: read in UTC, so a browser west of UTC does not show
 * the day before.
 */
export function day(value) {
  const d = dateOf(value);
  if (!d) return value || '';
  const lang = wordsIn();
  if (lang === false) return d.toISOString().slice(0, 10);
  return d.toLocaleDateString(lang, { dateStyle: 'medium', timeZone: 'UTC' });
}

/** announce tells screen reader users what just changed. */
export function announce(text) {
  const live = document.getElementById('announce');
  if (live) live.textContent = text;
}
