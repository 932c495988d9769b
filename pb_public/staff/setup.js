// setup.js: what the deployment has not configured yet (no public address,
// no mail server, untrusted proxy headers, no off-site backups, demo data),
// as GET /api/setup/checks reports it, shown at the top of the console.

import { request } from './api.js';
import { h, replace } from './dom.js';
import { say } from './labels.js';

/** CHECKS are the words of the checks the server knows (hooks/setup), by code. */
const CHECKS = {
  public_url: 'setup.check.public_url', mail: 'setup.check.mail', proxy_headers: 'setup.check.proxy_headers',
  proxy_headers_trusted_directly: 'setup.check.proxy_headers_trusted_directly', backups: 'setup.check.backups',
  demo_data: 'setup.check.demo_data',
};

/**
 * showSetupChecks fills the banner el with one line per check and says
 * next to "On duty" when no e-mail can leave. It returns the checks.
 */
export async function showSetupChecks(el, dutyLabel) {
  const checks = await readSetupChecks();
  if (checks === null) return [];
  el.hidden = checks.length === 0;
  // Folded on a phone, where the list would push the reports a screen or
  // two down; open on a desk. Either way one tap shows or hides it.
  replace(el, h('details', { open: !matchMedia('(max-width: 600px)').matches },
    h('summary', { class: 'setup-title' }, say('setup.title')),
    h('ul', {}, checks.map((c) => h('li', { dataset: { code: c.code } },
      CHECKS[c.code] ? h('strong', {}, say(CHECKS[c.code])) : h('strong', { lang: 'en' }, c.message), ' ',
      // The fix names the dashboard's settings and commands, which are in
      // English: it is for the administrator, as the server wrote it.
      h('span', { class: 'muted' }, say('setup.fix'), ' ', h('span', { lang: 'en' }, c.fix)))))));
  const noMail = checks.some((c) => c.code === 'mail');
  dutyLabel.dataset.noMail = noMail ? 'true' : '';
  dutyLabel.title = say(noMail ? 'duty.noMailTitle' : 'duty.title');
  dutyLabel.dataset.noMailText = say('duty.noMail');
  return checks;
}

/** readSetupChecks reads the server's checks now, or null when it cannot. */
export async function readSetupChecks() {
  try {
    return (await request('/api/setup/checks')).checks || [];
  } catch {
    return null;
  }
}
