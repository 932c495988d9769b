// ODK's own form engine (@getodk/xforms-engine, the engine of ODK Web
// Forms) as an OpenRosa client of Homeward, run by hooks/openrosa's
// TestODKFormEngineFillsAndSendsTheForm:
//
//   node client.mjs <base URL> <device id> <credential> <lang> <answers JSON> [photo file]
//
// It reads the form list, downloads the form from its downloadUrl, loads
// it into the engine, switches to <lang>, answers each question the
// answers name (by the question's name), attaches the photo, has the
// engine serialise the submission, asks with HEAD how much it may send
// and POSTs the engine's payload with the OpenRosa headers. It prints one
// line of JSON: the labels the engine shows in <lang>, the engine's
// submission XML, and the server's answers.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

// The engine reads forms with the DOM (DOMParser and its node types), as
// in a browser; in Node it runs on jsdom, as ODK's own engine tests do.
const { window } = new JSDOM('');
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'Document', 'XMLDocument', 'Element', 'Attr', 'Text', 'CDATASection', 'Comment', 'ProcessingInstruction', 'DocumentFragment', 'NodeFilter']) {
  globalThis[name] ??= window[name];
}
globalThis.document ??= window.document;

// The engine's XPath parser is tree-sitter built by Emscripten, whose
// Node path reads the CommonJS __dirname, which an ES module does not
// have: give it the engine's own folder before loading it.
globalThis.__dirname = dirname(fileURLToPath(import.meta.resolve('@getodk/xforms-engine')));
const { createInstance } = await import('@getodk/xforms-engine');

const [base, user, pass, lang, answersJSON, photoPath] = process.argv.slice(2);
const answers = JSON.parse(answersJSON);
const headers = {
  'X-OpenRosa-Version': '1.0',
  Authorization: 'Basic ' + Buffer.from(user + ':' + pass).toString('base64'),
};

async function get(url) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return text;
}

const list = await get(base + '/formList');
const downloadUrl = /<downloadUrl>([^<]+)<\/downloadUrl>/.exec(list)[1];
const formXML = await get(downloadUrl);

const instance = await createInstance(formXML);
const root = instance.root;
const language = root.languages.find((l) => l.language.endsWith(`(${lang})`));
if (!language) throw new Error(`no language ${lang} in ${root.languages.map((l) => l.language)}`);
root.setLanguage(language);

// Every question by its name, groups included.
const nodes = new Map();
(function walk(node) {
  const name = node.definition?.nodeset?.split('/').pop();
  if (name) nodes.set(name, node);
  for (const child of node.currentState.children ?? []) walk(child);
})(root);

const labels = {};
for (const [name, node] of nodes) {
  const label = node.currentState.label?.asString;
  if (label) labels[name] = label;
  if (node.nodeType === 'select') {
    for (const item of node.currentState.valueOptions) {
      labels[`${name}/${item.value}`] = item.label?.asString ?? '';
    }
  }
}

for (const [name, value] of Object.entries(answers)) {
  const node = nodes.get(name);
  if (!node) throw new Error(`no question ${name}`);
  if (node.nodeType === 'select') {
    if (Array.isArray(value)) node.selectValues(value);
    else node.selectValue(value);
  } else {
    node.setValue(value);
  }
}
if (photoPath) {
  const bytes = await readFile(photoPath);
  nodes.get('photo').setValue(new File([bytes], 'photo.jpg', { type: 'image/jpeg' }));
}

const payload = await root.prepareInstancePayload();
if (payload.status !== 'ready') {
  throw new Error(`the engine did not make a ready payload: ${payload.status} ${JSON.stringify(payload.violations)}`);
}
const data = payload.data[0];

const head = await fetch(base + '/submission', { method: 'HEAD', headers });
const send = async () => {
  const res = await fetch(base + '/submission', { method: 'POST', headers, body: data });
  return { status: res.status, body: await res.text() };
};
const first = await send();
const again = await send();

console.log(JSON.stringify({
  labels,
  xml: await data.get('xml_submission_file').text(),
  head: { status: head.status, acceptLength: head.headers.get('x-openrosa-accept-content-length') },
  first,
  again,
}));
