// setup.js: what the deployment has not configured yet (no public address,
// no mail server, untrusted proxy headers, no off-site backups, demo data),
// as GET /api/setup/checks reports it, shown at the top of the console.

import { request } from './api.js';
import { h, replace } from './dom.js';

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
    h('p', { class: 'setup-title' }, 'Not configured yet (ask your administrator):'),
    h('ul', {}, checks.map((c) => h('li', { dataset: { code: c.code } },
      h('strong', {}, c.message), ' ', h('span', { class: 'muted' }, 'Fix: ', c.fix)))));
  const noMail = checks.some((c) => c.code === 'mail');
  dutyLabel.dataset.noMail = noMail ? 'true' : '';
  dutyLabel.title = noMail
    ? 'No mail server is set: no urgent-report e-mail can be sent until your administrator sets one.'
    : 'On-duty staff get an e-mail (with no report content) when an urgent report arrives.';
  return checks;
}
