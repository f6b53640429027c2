// The service worker's one message listener (extension/src/worker/main.ts), without a browser:
// every message a content script may not send is answered `{ok: false, error: {kind:
// 'forbidden'}}` (never a throw out of the listener, which leaves the sender without a reply),
// and the page-only messages are refused from an extension page. Bundled by esbuild as the
// build does, against a `chrome` that records the listener and answers nothing else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
const EXTENSION_ID = 'federateextensionid';
const BASE = `chrome-extension://${EXTENSION_ID}/`;

/** A `chrome` whose every API is a no-op resolving to undefined, except the runtime's id, URLs and the message listener. */
function fakeChrome(listeners) {
  const noop = new Proxy(function api() {}, {
    get: (_t, key) => (key === 'then' ? undefined : noop),
    apply: () => Promise.resolve(undefined),
  });
  const runtime = {
    id: EXTENSION_ID,
    getURL: (path) => `${BASE}${path}`,
    onMessage: { addListener: (fn) => listeners.push(fn) },
  };
  return new Proxy({ runtime: new Proxy(runtime, { get: (t, k) => (k in t ? t[k] : noop) }) }, { get: (t, k) => (k in t ? t[k] : noop) });
}

let dir;
let worker;
const listeners = [];

before(async () => {
  globalThis.chrome = fakeChrome(listeners);
  dir = mkdtempSync(join(tmpdir(), 'federate-worker-'));
  const out = join(dir, 'main.mjs');
  buildSync({
    entryPoints: [join(root, 'extension', 'src', 'worker', 'main.ts')],
    bundle: true,
    format: 'esm',
    outfile: out,
    logLevel: 'silent',
  });
  worker = await import(pathToFileURL(out).href);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  delete globalThis.chrome;
});

const ctx = { organizationName: 'org', projectName: 'proj', apiBase: 'https://dev.azure.com/org' };
const target = { organizationName: 'org', apiBase: 'https://dev.azure.com/org', projectName: 'proj', tabId: 4 };
const plan = { target, direction: 'convert', selected: null, allowManual: false };

/** One well-formed message of every type the worker handles. */
const MESSAGES = [
  { type: 'scanProject', context: ctx },
  { type: 'connection', context: ctx, id: 'abc' },
  { type: 'openPanel', tabId: 3 },
  { type: 'closePanel' },
  { type: 'panelOpening', nonce: 'n'.repeat(16), context: ctx, connection: null, theme: 'dark' },
  { type: 'panelHello', tabId: 4, nonce: 'x'.repeat(16) },
  { type: 'convert.plan', ...plan },
  { type: 'convert.dryRun', ...plan, groups: [{ project: 'p', selected: null, also: [] }] },
  { type: 'convert.start', ...plan, concurrency: 4, planId: 'id' },
  { type: 'convert.pause', organizationName: 'org', jobId: 'j' },
  { type: 'convert.resume', organizationName: 'org', jobId: 'j', tabId: null },
  { type: 'convert.cancel', organizationName: 'org', jobId: 'j' },
  { type: 'convert.retry', organizationName: 'org', jobId: 'j', endpointId: 'e', tabId: 2 },
  { type: 'convert.jobs', organizationName: 'org' },
  { type: 'convert.clearFinished', organizationName: 'org' },
  { type: 'convert.endpoints', organizationName: 'org', jobId: 'j', ids: ['e'] },
  { type: 'usage.preflight', apiBase: 'https://dev.azure.com/org', tabId: 4, targets: [{ id: 'a', project: 'p' }] },
];
/** The messages only the content script in a tab sends; every other one comes from an extension page. */
const FROM_PAGE = new Set(['scanProject', 'connection', 'panelOpening']);

/** The content script in an Azure DevOps tab's top frame. */
const contentScript = {
  id: EXTENSION_ID,
  url: 'https://dev.azure.com/org/proj/_settings/adminservices',
  tab: { id: 4, url: 'https://dev.azure.com/org/proj' },
  frameId: 0,
};
/** The panel: an extension page framed in a tab. */
const panelPage = { id: EXTENSION_ID, url: `${BASE}panel.html`, tab: { id: 4, url: 'https://dev.azure.com/org/proj' }, frameId: 1 };

/** Sends a message through the worker's listener; resolves with its reply (fails if the listener throws or never answers). */
function send(message, sender) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${message.type}: no reply`)), 2000);
    let kept;
    try {
      kept = listeners[0](message, sender, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    } catch (err) {
      clearTimeout(timer);
      reject(new Error(`${message.type}: the listener threw: ${err.message}`));
      return;
    }
    assert.equal(kept, true, `${message.type}: the listener keeps the channel open for its reply`);
  });
}

test('the test covers every message type the worker handles', () => {
  assert.equal(listeners.length, 1, 'one message listener');
  assert.deepEqual(MESSAGES.map((m) => m.type).sort(), Object.keys(worker.handlers).sort());
});

test('every extension-page-only message from a content script is answered forbidden', async () => {
  const pageOnly = MESSAGES.filter((m) => !FROM_PAGE.has(m.type));
  assert.equal(pageOnly.length, 14);
  for (const message of pageOnly) {
    const reply = await send(message, contentScript);
    assert.equal(reply?.ok, false, `${message.type}: ${JSON.stringify(reply)}`);
    assert.equal(reply.error.kind, 'forbidden', `${message.type}: ${JSON.stringify(reply.error)}`);
    assert.ok(reply.error.message.length > 0, `${message.type}: says why`);
  }
});

test('every page-only message from an extension page is answered forbidden', async () => {
  for (const message of MESSAGES.filter((m) => FROM_PAGE.has(m.type))) {
    const reply = await send(message, panelPage);
    assert.equal(reply?.ok, false, `${message.type}: ${JSON.stringify(reply)}`);
    assert.equal(reply.error.kind, 'forbidden', `${message.type}: ${JSON.stringify(reply.error)}`);
  }
  // panelOpening from a sub-frame of the page: refused too.
  const reply = await send(
    MESSAGES.find((m) => m.type === 'panelOpening'),
    { ...contentScript, frameId: 3 },
  );
  assert.equal(reply.error.kind, 'forbidden');
});
