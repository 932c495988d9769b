// setup.js: what the deployment has not configured yet (no public address,
// no mail server, untrusted proxy headers, no off-site backups, demo data),
// as GET /api/setup/checks reports it, shown at the top of the console.

import { request } from './api.js';
import { h, replace } from './dom.js';
import { say } from './labels.js';

/**
 * showSetupChecks fills the banner el with one line per check and says
 * next to "On duty" when no e-mail can leave. It returns the checks.
 */
export async function showSetupChecks(el, dutyLabel) {
  let checks = [];
  try {
    checks = (await request('/api/setup/checks')).checks || [];
  } catch {
    return [];
  }
  el.hidden = checks.length === 0;
  replace(el,
    h('p', { class: 'setup-title' }, say('setup.title')),
    h('ul', {}, checks.map((c) => h('li', { dataset: { code: c.code } },
      h('strong', {}, c.message), ' ', h('span', { class: 'muted' }, say('setup.fix'), ' ', c.fix)))));
  const noMail = checks.some((c) => c.code === 'mail');
  dutyLabel.dataset.noMail = noMail ? 'true' : '';
  dutyLabel.title = say(noMail ? 'duty.noMailTitle' : 'duty.title');
  dutyLabel.dataset.noMailText = say('duty.noMail');
  return checks;
}
