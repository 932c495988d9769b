// A PocketBase dashboard extension: once a superuser is signed in, a banner
// at the top of /_/ lists what the deployment has not configured, as
// GET /api/setup/checks reports it. Built with DOM calls and textContent
// only. PocketBase wraps this file in an async function.
const pb = window.app && window.app.pb;
const id = 'homeward-setup-checks';

async function showChecks() {
  const old = document.getElementById(id);
  if (old) old.remove();
  if (!pb || !pb.authStore.isValid) return;
  let checks = [];
  try {
    checks = (await pb.send('/api/setup/checks', { method: 'GET' })).checks || [];
  } catch (err) {
    return;
  }
  if (!checks.length) return;
  const box = document.createElement('div');
  box.id = id;
  box.setAttribute('role', 'status');
  Object.assign(box.style, {
    position: 'fixed', top: '0', left: '0', right: '0', zIndex: '9999', maxHeight: '40vh', overflow: 'auto',
    background: '#fff4d6', color: '#3d2a00', borderBottom: '2px solid #b7791f', padding: '6px 12px', font: '13px/1.4 sans-serif',
  });
  const title = document.createElement('strong');
  title.textContent = 'Homeward: not configured yet';
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Hide';
  close.style.float = 'right';
  close.addEventListener('click', () => box.remove());
  const list = document.createElement('ul');
  list.style.margin = '4px 0 0 18px';
  for (const c of checks) {
    const li = document.createElement('li');
    li.dataset.code = c.code;
    const what = document.createElement('b');
    what.textContent = c.message;
    li.append(what, ' Fix: ' + c.fix);
    list.append(li);
  }
  box.append(close, title, list);
  document.body.append(box);
}

if (pb) {
  pb.authStore.onChange(() => { showChecks(); });
  showChecks();
}
