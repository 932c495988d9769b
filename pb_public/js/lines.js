// lines.js: the lines of a server-rendered QR page's script, in the page's
// language with the English below it (as the server renders them). The
// server hands them over in the page, as JSON in a data-strings attribute
// ({ lang, strings: { <lang>: {...}, en: {...} } }), so none is fetched.

export function linesFrom(el) {
  const { lang, strings } = JSON.parse(el.getAttribute('data-strings'));
  // line returns a tag node holding key, with {name} places from vars.
  return function line(tag, key, vars) {
    const fill = (s) => Object.keys(vars || {}).reduce((acc, k) => acc.split('{' + k + '}').join(String(vars[k])), s);
    const node = document.createElement(tag);
    const main = document.createElement('span');
    main.lang = lang;
    main.textContent = fill(strings[lang][key]);
    node.append(main);
    if (lang !== 'en') {
      const en = document.createElement('span');
      en.className = 'en';
      en.lang = 'en';
      en.textContent = fill(strings.en[key]);
      node.append(en);
    }
    return node;
  };
}

/** The page's language, as the server chose it. */
export function langOf(el) {
  return JSON.parse(el.getAttribute('data-strings')).lang;
}

/** reasonKey is the line that explains a verdict of js/qrverify.js. */
export function reasonKey(r) {
  if (r.verdict === 'valid') return r.offline ? 'valid_offline' : 'valid_online';
  const known = ['expired', 'revoked', 'unknown', 'invalid', 'unconfigured', 'unchecked'];
  return 'verdict_' + (known.indexOf(r.verdict) >= 0 ? r.verdict : 'invalid');
}
