// zawgyi-check.js: text typed in Zawgyi, the older Burmese encoding still
// common on cheap phones, looks like Burmese on that phone and like
// nonsense to the embassy. A field holding it gets a notice with a button
// that converts it to Unicode, using Google's detector and converter
// (vendor/myanmar-tools). app.js loads this module on the first Burmese
// letter typed, so nobody else downloads it.

import * as i18n from './i18n.js';
import { ZawgyiDetector, zawgyiToUnicode } from './vendor/myanmar-tools/zawgyi.js';

// ZAWGYI is the detector's probability above which a text is taken to be
// Zawgyi: the package's own guidance; Unicode Burmese scores near 0.
const ZAWGYI = 0.95;

let detector = null;

/** zawgyiProbability is the chance that text was typed in Zawgyi. */
export function zawgyiProbability(text) {
  if (!detector) detector = new ZawgyiDetector();
  return detector.getZawgyiProbability(text);
}

export { zawgyiToUnicode };

// notice returns the field's notice, made on first use.
function notice(field) {
  const id = field.id + '-zawgyi';
  let box = document.getElementById(id);
  if (box) return box;
  box = document.createElement('div');
  box.id = id;
  box.className = 'zawgyi';
  box.setAttribute('role', 'alert');
  const p = document.createElement('p');
  p.textContent = i18n.t('zg.found');
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'big';
  b.textContent = i18n.t('zg.convert');
  b.addEventListener('click', () => {
    field.value = zawgyiToUnicode(field.value);
    box.hidden = true;
    field.focus();
  });
  box.append(p, b);
  field.insertAdjacentElement('afterend', box);
  return box;
}

/** check shows or hides the field's notice for what it holds now. */
export function check(field) {
  const zawgyi = zawgyiProbability(field.value) > ZAWGYI;
  if (zawgyi) notice(field).hidden = false;
  else if (document.getElementById(field.id + '-zawgyi')) notice(field).hidden = true;
}
