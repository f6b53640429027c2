// The extension's conversion worker (extension/src/worker/convert.ts: the driver, the job
// store, the relay) run in node, without a browser: esbuild bundles the real module, a fake
// `chrome` gives it storage (counting writes and bytes, able to refuse writes) and tabs whose
// relay sends each request to the mock Azure DevOps (tests/mock) over https. Used by
// tests/node/job-driver.test.mjs and tests/bench/storage.bench.mjs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
const EXT = 'https://extension.invalid/';

/** chrome.storage.local as the worker uses it; counts writes and bytes, refuses writes on demand. */
export class FakeStorage {
  items = new Map();
  writes = 0;
  bytesWritten = 0;
  /** When set, every write throws (a full quota); `onRefused` is called at each refusal. */
  refuse = false;
  onRefused = null;
  listeners = [];

  async get(keys) {
    const out = {};
    const list = keys === null || keys === undefined ? [...this.items.keys()] : typeof keys === 'string' ? [keys] : keys;
    for (const k of list) if (this.items.has(k)) out[k] = structuredClone(this.items.get(k));
    return out;
  }
  async set(obj) {
    if (this.refuse) {
      this.onRefused?.();
      throw new Error('QUOTA_BYTES quota exceeded');
    }
    const changes = {};
    for (const [k, v] of Object.entries(obj)) {
      this.writes += 1;
      this.bytesWritten += k.length + JSON.stringify(v).length;
      changes[k] = { newValue: v };
      this.items.set(k, structuredClone(v));
    }
    for (const l of this.listeners) l(changes, 'local');
  }
  async remove(keys) {
    for (const k of typeof keys === 'string' ? [keys] : keys) this.items.delete(k);
  }
  async getKeys() {
    return [...this.items.keys()];
  }
  async getBytesInUse() {
    let n = 0;
    for (const [k, v] of this.items) n += k.length + JSON.stringify(v).length;
    return n;
  }
}

/** One request to the mock (dev.azure.com → its loopback address), as the content script's relay answers. */
function toMock(mock, req) {
  const url = new URL(req.url);
  return new Promise((resolve, reject) => {
    const r = httpsRequest(
      {
        host: '127.0.0.1',
        port: new URL(mock.localOrgUrl).port,
        path: url.pathname + url.search,
        method: req.method,
        ca: mock.ca,
        headers: {
          ...req.headers,
          authorization: `Basic ${Buffer.from(`:${mock.pat}`).toString('base64')}`,
          'content-type': 'application/json',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => {
          const headers = {};
          for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
          resolve({ status: res.statusCode ?? 0, headers, body, url: req.url, opaqueRedirect: false });
        });
      },
    );
    r.on('error', reject);
    if (req.body) r.write(req.body);
    r.end();
  });
}

/**
 * The worker's conversion module over `mock`, with one tab (id 1) on `project`'s page.
 * Returns the handlers, the fake storage, the tabs (close, open) and the relay's request count.
 */
export async function startWorker(mock, project) {
  const storage = new FakeStorage();
  /** chrome.storage.session (in memory, never full here). */
  const session = new FakeStorage();
  const tabs = new Map();
  /** `relayed.corrupt`, when set, rewrites each answer before the worker sees it (a broken page or relay). */
  const relayed = { count: 0, corrupt: null };
  const pageUrl = (p) => `https://dev.azure.com/${mock.org}/${encodeURIComponent(p)}/_settings/adminservices`;
  tabs.set(1, { id: 1, url: pageUrl(project), status: 'complete' });
  const noop = { addListener() {}, removeListener() {} };
  globalThis.chrome = {
    storage: {
      local: storage,
      session,
      onChanged: {
        addListener: (l) => storage.listeners.push(l),
        removeListener: (l) => {
          storage.listeners = storage.listeners.filter((x) => x !== l);
        },
      },
    },
    runtime: { getURL: (p) => `${EXT}${p}`, onMessage: noop, onConnect: noop },
    tabs: {
      async get(id) {
        const t = tabs.get(id);
        if (!t) throw new Error(`No tab with id: ${id}.`);
        return { ...t };
      },
      async sendMessage(id, message) {
        if (!tabs.has(id)) throw new Error('Could not establish connection. Receiving end does not exist.');
        relayed.count += 1;
        relayed.lastMethod = message.request.method;
        const value = await toMock(mock, message.request);
        return { ok: true, value: relayed.corrupt ? relayed.corrupt(value) : value };
      },
      onUpdated: noop,
      onRemoved: noop,
    },
  };
  const wasm = readFileSync(join(root, 'pkg', 'web', 'federate_wasm_bg.wasm'));
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) =>
    String(url).startsWith(EXT) ? new Response(wasm, { headers: { 'content-type': 'application/wasm' } }) : realFetch(url, init);

  const dir = mkdtempSync(join(tmpdir(), 'federate-driver-'));
  const out = join(dir, 'convert.mjs');
  buildSync({
    entryPoints: [join(root, 'extension', 'src', 'worker', 'convert.ts')],
    bundle: true,
    format: 'esm',
    outfile: out,
    logLevel: 'silent',
  });
  const mod = await import(pathToFileURL(out).href);
  rmSync(dir, { recursive: true, force: true });
  const target = (tabId = 1, projectName = project) => ({ organizationName: mock.org, apiBase: mock.orgUrl, projectName, tabId });
  return {
    handlers: mod.convertHandlers,
    runners: mod.testing.runners,
    storage,
    session,
    tabs,
    relayed,
    target,
    openTab: (id, p = project) => tabs.set(id, { id, url: pageUrl(p), status: 'complete' }),
    closeTab: (id) => tabs.delete(id),
    /** Plans `ids` (null: all convertible) from the project and confirms that plan. */
    async start(ids, { concurrency = 4, tabId = 1 } = {}) {
      const req = { target: target(tabId), direction: 'convert', selected: ids, allowManual: false, groups: null };
      const { plan, planId } = await mod.convertHandlers['convert.plan'](req);
      return { plan, job: await mod.convertHandlers['convert.start']({ ...req, concurrency, planId }) };
    },
    /** The engine's view of a job as this worker holds it. */
    view: (jobId) => mod.testing.runners.get(`${mock.org.toLowerCase()}/${jobId}`)?.view() ?? null,
    /** Stops every runner's timer (end of a test). */
    stop: () => {
      for (const r of mod.testing.runners.values()) r.stop();
    },
  };
}

/** Waits until `f()` is truthy (polling), or throws after `ms`. */
export async function until(f, ms = 30_000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
