// The service worker's usage cache (extension/src/worker/usage.ts), without a browser: a
// restore from session storage that overlaps a new scan's forgetUsage must not bring back the
// usage the scan just dropped (a worker restart right before a rescan).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
const API = 'https://dev.azure.com/contoso';

/** A `chrome` with just what usage.ts touches; session reads wait until the test releases them. */
function fakeChrome() {
  const pending = [];
  const session = {
    get: () => new Promise((resolve) => pending.push(resolve)),
    set: async () => undefined,
    remove: async () => undefined,
  };
  globalThis.chrome = {
    storage: { session },
    runtime: { onConnect: { addListener() {} }, onMessage: { addListener() {} } },
  };
  return pending;
}

test('a restore that overlaps forgetUsage does not bring the dropped usage back', async () => {
  const pending = fakeChrome();
  const dir = mkdtempSync(join(tmpdir(), 'federate-usage-'));
  try {
    const out = join(dir, 'usage.mjs');
    buildSync({
      entryPoints: [join(root, 'extension', 'src', 'worker', 'usage.ts')],
      bundle: true,
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    const usage = await import(pathToFileURL(out).href);
    const kept = [{ id: 'AAAA-1', lastUsed: '2026-01-01T00:00:00Z' }];

    // A restore after a worker restart is reading session storage when a new scan starts.
    const reading = usage.withUsage({ verdicts: [] }, API);
    await new Promise((r) => setImmediate(r));
    assert.equal(pending.length, 1, 'the restore is waiting for session storage');
    usage.forgetUsage(API);
    pending[0]({ [`federate.usage.${API}`]: kept });
    await reading;
    assert.deepEqual(usage.cachedUsage(API), [], 'the usage the new scan dropped stays dropped');

    // Without a scan in between, the same restore brings what was kept back.
    const again = usage.withUsage({ verdicts: [] }, API);
    await new Promise((r) => setImmediate(r));
    pending[1]({ [`federate.usage.${API}`]: kept });
    await again;
    assert.deepEqual(
      usage.cachedUsage(API).map((u) => u.id),
      ['AAAA-1'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    delete globalThis.chrome;
  }
});

test("a usage pre-flight runs only for a tab on the organization's https origin (the relay's check), else a 'tab' error", async () => {
  let tabUrl = '';
  globalThis.chrome = {
    storage: { session: { get: async () => ({}), set: async () => undefined, remove: async () => undefined } },
    runtime: { onConnect: { addListener() {} }, onMessage: { addListener() {} } },
    tabs: { get: async (id) => ({ id, url: tabUrl, status: 'complete' }) },
  };
  const dir = mkdtempSync(join(tmpdir(), 'federate-usage-'));
  try {
    const out = join(dir, 'usage.mjs');
    buildSync({
      entryPoints: [join(root, 'extension', 'src', 'worker', 'usage.ts')],
      bundle: true,
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    const usage = await import(pathToFileURL(out).href);
    const message = { type: 'usage.preflight', apiBase: API, tabId: 4, targets: [{ id: 'a', project: 'p' }] };
    for (const url of ['https://evil.example/contoso', 'http://dev.azure.com/contoso/p', 'https://fabrikam.visualstudio.com/p', '']) {
      tabUrl = url;
      await assert.rejects(usage.preflight(message), (err) => {
        assert.equal(err.kind, 'tab', `${url}: ${err.message}`);
        assert.match(err.message, /does not show this organization/);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    delete globalThis.chrome;
  }
});
