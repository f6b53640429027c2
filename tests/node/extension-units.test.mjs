// The extension's TypeScript that makes no engine decision, tested without a browser: the
// message guards (every receiver's first check), the relays' URL checks (the service worker's
// and the content script's), the row matching of the marks, and the panel table's filter and
// sort. Each file is bundled by esbuild (as the build does) and imported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'extension', 'src');
let dir;
const load = async (file) => {
  const out = join(dir, `${file.replaceAll('/', '-')}.mjs`);
  buildSync({ entryPoints: [join(src, file)], bundle: true, format: 'esm', outfile: out, logLevel: 'silent' });
  return import(pathToFileURL(out).href);
};

let messages;
let workerRelay;
let contentRelay;
let marks;
let table;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federate-units-'));
  messages = await load('shared/messages.ts');
  workerRelay = await load('worker/relay.ts');
  contentRelay = await load('content/relay.ts');
  marks = await load('content/marks.ts');
  table = await load('panel/table.ts');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = { organizationName: 'org', projectName: 'proj', apiBase: 'https://dev.azure.com/org' };
const target = { organizationName: 'org', apiBase: 'https://dev.azure.com/org', projectName: 'proj', tabId: 4 };
const plan = { target, direction: 'convert', selected: null, allowManual: false };

test('the one URL guard: https on dev.azure.com or *.visualstudio.com only', () => {
  const { isAzureDevOpsUrl } = messages;
  for (const ok of ['https://dev.azure.com/org', 'https://org.visualstudio.com/', 'https://dev.azure.com/org/proj/_apis/x']) {
    assert.equal(isAzureDevOpsUrl(ok), true, ok);
  }
  for (const bad of [
    'http://dev.azure.com/org',
    'https://dev.azure.com.evil.example/org',
    'https://evil.example/dev.azure.com',
    'https://visualstudio.com.evil.example',
    'https://notvisualstudio.com',
    'javascript:alert(1)',
    'not a url',
    '',
    undefined,
    42,
  ]) {
    assert.equal(isAzureDevOpsUrl(bad), false, String(bad));
  }
});

test('message guards accept each well-formed message and refuse malformed ones', () => {
  const { isMessage } = messages;
  const good = [
    { type: 'scanProject', context: ctx },
    { type: 'connection', context: ctx, id: 'abc' },
    { type: 'openPanel', tabId: 3 },
    { type: 'closePanel' },
    { type: 'panelOpening', nonce: 'n'.repeat(16), context: ctx, connection: null, theme: 'dark' },
    { type: 'panelHello', tabId: null, nonce: 'x' },
    { type: 'convert.plan', ...plan },
    { type: 'convert.dryRun', ...plan, groups: [{ project: 'p', selected: null, also: [] }] },
    { type: 'convert.start', ...plan, concurrency: 4, planId: 'id' },
    { type: 'convert.pause', organizationName: 'org', jobId: 'j' },
    { type: 'convert.resume', organizationName: 'org', jobId: 'j', tabId: null },
    { type: 'convert.cancel', organizationName: 'org', jobId: 'j' },
    { type: 'convert.retry', organizationName: 'org', jobId: 'j', endpointId: 'e', tabId: 2 },
    { type: 'convert.jobs', organizationName: 'org' },
    { type: 'convert.endpoints', organizationName: 'org', jobId: 'j', ids: ['e'] },
    { type: 'usage.preflight', apiBase: 'https://dev.azure.com/org', tabId: 4, targets: [{ id: 'a', project: 'p' }] },
  ];
  for (const m of good) assert.equal(isMessage(m), true, m.type);
  const bad = [
    null,
    'scanProject',
    { type: 'nope' },
    { type: 'scanProject', context: { ...ctx, apiBase: 'https://evil.example' } },
    { type: 'scanProject', context: { ...ctx, apiBase: 'http://dev.azure.com/org' } },
    { type: 'connection', context: ctx },
    { type: 'openPanel', tabId: '3' },
    { type: 'panelOpening', nonce: 'short', context: ctx, connection: null, theme: 'dark' },
    { type: 'panelOpening', nonce: 'n'.repeat(16), context: ctx, connection: null, theme: 'blue' },
    { type: 'convert.plan', ...plan, target: { ...target, apiBase: 'https://evil.example' } },
    { type: 'convert.plan', ...plan, target: { ...target, tabId: 1.5 } },
    { type: 'convert.plan', ...plan, direction: 'sideways' },
    { type: 'convert.plan', ...plan, selected: [1] },
    { type: 'convert.plan', ...plan, groups: [{ project: '', selected: null, also: [] }] },
    { type: 'convert.start', ...plan, concurrency: 0, planId: null },
    { type: 'convert.start', ...plan, concurrency: 17, planId: null },
    { type: 'convert.retry', organizationName: 'org', jobId: 'j', tabId: null },
    { type: 'convert.endpoints', organizationName: 'org', jobId: 'j', ids: null },
    { type: 'convert.endpoints', organizationName: 'org', jobId: 'j', ids: [3] },
    { type: 'usage.preflight', apiBase: 'https://evil.example', tabId: 4, targets: [] },
    { type: 'usage.preflight', apiBase: 'https://dev.azure.com/org', tabId: 4, targets: [{ id: '', project: 'p' }] },
    { type: 'usage.preflight', apiBase: 'https://dev.azure.com/org', tabId: 4, targets: { length: 1 } },
  ];
  for (const m of bad) assert.equal(isMessage(m), false, JSON.stringify(m));
});

test('tab, panel-port and usage-port guards', () => {
  const { isTabMessage, isPanelRequest, isUsageRequest, MAX_TARGETS } = messages;
  assert.equal(
    isTabMessage({ type: 'relay', request: { method: 'GET', url: 'https://dev.azure.com/o/_apis/x', headers: {}, body: null } }),
    true,
  );
  assert.equal(isTabMessage({ type: 'relay', request: { method: 'GET', url: 'u', headers: null, body: null } }), false);
  assert.equal(isTabMessage({ type: 'relay', request: { method: 'GET', url: 'u', headers: {}, body: 5 } }), false);
  assert.equal(isTabMessage({ type: 'mountPanel' }), true);
  assert.equal(isTabMessage({ type: 'scanProject' }), false);
  assert.equal(isPanelRequest({ type: 'scan', scope: 'organization', context: ctx }), true);
  assert.equal(isPanelRequest({ type: 'scan', scope: 'tenant', context: ctx }), false);
  assert.equal(isPanelRequest({ type: 'cancel' }), true);
  const targets = [{ id: 'a', project: 'p' }];
  assert.equal(isUsageRequest({ type: 'load', load: 1, apiBase: 'https://dev.azure.com/org', targets }), true);
  assert.equal(isUsageRequest({ type: 'load', load: 1, apiBase: 'https://evil.example', targets }), false);
  assert.equal(isUsageRequest({ type: 'load', load: 1.5, apiBase: 'https://dev.azure.com/org', targets }), false);
  const tooMany = Array.from({ length: MAX_TARGETS + 1 }, () => targets[0]);
  assert.equal(isUsageRequest({ type: 'load', load: 1, apiBase: 'https://dev.azure.com/org', targets: tooMany }), false);
});

test('one error shape: anything thrown becomes an ErrorInfo in milliseconds', () => {
  const { toErrorInfo, errorOf } = messages;
  assert.deepEqual(toErrorInfo(Object.assign(new Error('slow down'), { kind: 'throttled', retryAfterMs: 2500, status: 429 })), {
    kind: 'throttled',
    message: 'slow down',
    retryAfterMs: 2500,
    status: 429,
  });
  assert.deepEqual(toErrorInfo('boom'), { kind: 'engine', message: 'boom', retryAfterMs: null, status: null });
  assert.equal(toErrorInfo(Object.assign(new Error('x'), { name: 'AbortError' })).kind, 'cancelled');
  assert.deepEqual(errorOf('network', 'gone'), { kind: 'network', message: 'gone', retryAfterMs: null, status: null });
  // The engine's words the worker filled into a reply survive the content script's ask() -> toErrorInfo.
  const replied = { kind: 'signedOut', message: 'gone', retryAfterMs: null, status: 401, title: 'You are signed out', advice: 'Sign in.' };
  assert.deepEqual(toErrorInfo(Object.assign(new Error(replied.message), replied)), replied);
});

test("the worker's relay keeps every request on the organization's https origin", () => {
  const { relayMessage, onOrigin } = workerRelay;
  const base = 'https://dev.azure.com/org';
  const m = relayMessage({ method: 'GET', url: `${base}/p/_apis/x`, headers: [['accept', 'a']] }, base);
  assert.deepEqual(m, { type: 'relay', request: { method: 'GET', url: `${base}/p/_apis/x`, headers: { accept: 'a' }, body: null } });
  assert.equal(messages.isTabMessage(m), true, 'what it sends passes the content script guard');
  for (const url of [
    'https://evil.example/org/_apis/x',
    'http://dev.azure.com/org/_apis/x',
    'https://org.visualstudio.com/_apis/x',
    'nonsense',
  ]) {
    assert.equal(relayMessage({ method: 'GET', url, headers: {} }, base), null, url);
  }
  // Tokens only over https, even if a plain-http base slipped past the message guards.
  assert.equal(relayMessage({ method: 'GET', url: 'http://dev.azure.com/org/_apis/x', headers: {} }, 'http://dev.azure.com/org'), null);
  assert.equal(onOrigin('https://dev.azure.com/org/proj/_settings', base), true);
  assert.equal(onOrigin('https://org.visualstudio.com/proj', base), false);
  assert.equal(onOrigin(undefined, base), false);
  assert.equal(onOrigin('', base), false);
  // A tab on plain http is never the organization's origin, even against a plain-http base.
  assert.equal(onOrigin('http://dev.azure.com/org/proj', 'http://dev.azure.com/org'), false);
});

test("the content script's relay: same origin, _apis paths, known methods, its own headers", () => {
  const { relayable } = contentRelay;
  const page = 'https://dev.azure.com/org/proj/_settings/adminservices';
  const ok = relayable(
    {
      method: 'put',
      url: '/org/proj/_apis/serviceendpoint/endpoints/1',
      headers: { 'Content-Type': 'application/json', Cookie: 'x', authorization: 'y' },
      body: '{}',
    },
    page,
  );
  assert.equal(ok.url.href, 'https://dev.azure.com/org/proj/_apis/serviceendpoint/endpoints/1');
  assert.equal(ok.method, 'PUT');
  assert.deepEqual(ok.headers, {
    accept: 'application/json;api-version=7.1',
    'content-type': 'application/json',
    'x-tfs-fedauthredirect': 'Suppress',
    'x-vss-reauthenticationaction': 'Suppress',
  });
  for (const [request, why] of [
    [{ method: 'GET', url: 'https://evil.example/org/_apis/x', headers: {} }, 'another origin'],
    [{ method: 'GET', url: 'https://dev.azure.com/org/proj/_settings', headers: {} }, 'not an _apis path'],
    [{ method: 'DELETE', url: '/org/_apis/x', headers: {} }, 'a method the engine never uses'],
  ]) {
    assert.ok('refused' in relayable(request, page), why);
  }
  assert.deepEqual(relayable({ method: 'GET', url: 'http://[', headers: {} }, page), { refused: 'bad relay URL' });
});

const verdict = (id, name, extra = {}) => ({
  id,
  name,
  type: 'azurerm',
  credential: 'secret',
  credentialWord: 'Secret',
  usesSecret: true,
  state: 'ready',
  stateWord: 'Ready',
  convertible: { status: 'yes', reasons: [] },
  convertibleWord: 'Can be converted now',
  federation: null,
  azureDevOpsPat: null,
  issuerRetirement: null,
  isShared: false,
  owner: { projectId: null, projectName: 'p' },
  sharedWith: [],
  foundIn: null,
  ...extra,
});

test('row matching: rows are recognized by the resourceId of their link, or by a name only one connection has', () => {
  const { VerdictIndex, resourceIdOf } = marks;
  const a = verdict('11111111-2222-3333-4444-555555555555', 'prod');
  const b = verdict('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', ' twin ');
  const c = verdict('99999999-2222-3333-4444-555555555555', 'twin');
  const index = new VerdictIndex([a, b, c]);
  assert.equal(index.byId.get(a.id), a);
  assert.equal(index.byName.get('prod'), a);
  assert.equal(index.byName.has('twin'), false, 'a name two connections share (after trimming) identifies neither');
  globalThis.location = { href: 'https://dev.azure.com/org/proj/_settings/adminservices' };
  const link = (href) => ({ getAttribute: () => href });
  assert.equal(resourceIdOf(link('/org/proj/_settings/adminservices?resourceId=11111111-2222-3333-4444-555555555555')), a.id);
  assert.equal(resourceIdOf(link('?x=1&resourceId=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE#top')), b.id, 'lowercased');
  assert.equal(
    resourceIdOf(link('/org/proj/_settings/adminservices?resourceId=%2011111111-2222-3333-4444-555555555555')),
    a.id,
    'decoded and trimmed',
  );
  assert.equal(resourceIdOf(link('/org/proj/_settings/adminservices?resourceId=not-a-guid')), null);
  assert.equal(resourceIdOf(link('/org/proj/_settings/adminservices')), null);
  assert.equal(resourceIdOf(link(null)), null);
});

test("the table's filter, search and sort", () => {
  const { visibleRows, BASE_COLUMNS, BASE_FILTERS } = table;
  const row = (v, seenIn = []) => ({ verdict: v, endpoint: null, organizationId: null, seenIn });
  const rows = [
    row(verdict('1', 'item10')),
    row(verdict('2', 'Item2', { credential: 'federated', credentialWord: 'Workload identity federation', usesSecret: false })),
    row(verdict('3', 'item1', { state: 'draft', stateWord: 'Draft', convertible: { status: 'manual', reasons: [] } }), ['Other project']),
    row(verdict('4', null, { isShared: true, azureDevOpsPat: { host: 'dev.azure.com' } })),
  ];
  const ids = (out) => out.map((r) => r.verdict.id);
  const view = (over) => ({ query: '', filter: 'all', sort: { key: 'name', dir: 1 }, ...over });
  // Natural, case-insensitive order, both ways; an unnamed connection sorts first.
  assert.deepEqual(ids(visibleRows(rows, view())), ['4', '3', '2', '1']);
  assert.deepEqual(ids(visibleRows(rows, view({ sort: { key: 'name', dir: -1 } }))), ['1', '2', '3', '4']);
  // Filters test the engine's verdict.
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'secrets' }))), ['4', '3', '1']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'federated' }))), ['2']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'drafts' }))), ['3']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'manual' }))), ['3']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'convertible' }))), ['4', '2', '1']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'shared' }))), ['4']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'pat' }))), ['4']);
  assert.deepEqual(ids(visibleRows(rows, view({ filter: 'unknown' }))), ['4', '3', '2', '1'], 'an unknown filter keeps all');
  // Search: any column's text, case-insensitive, trimmed; the projects column includes where the scan saw it.
  assert.deepEqual(ids(visibleRows(rows, view({ query: '  ITEM1 ' }))), ['3', '1']);
  assert.deepEqual(ids(visibleRows(rows, view({ query: 'workload identity' }))), ['2']);
  assert.deepEqual(ids(visibleRows(rows, view({ query: 'other project' }))), ['3']);
  // Sort by another column, with a column's own sort key.
  assert.deepEqual(ids(visibleRows(rows, view({ sort: { key: 'credential', dir: 1 } }))).slice(0, 3), ['1', '3', '4']);
  const columns = { ...BASE_COLUMNS, rank: { title: 'Rank', value: () => '', sort: (r) => String(5 - Number(r.verdict.id)) } };
  assert.deepEqual(ids(visibleRows(rows, view({ sort: { key: 'rank', dir: 1 } }), columns, BASE_FILTERS)), ['4', '3', '2', '1']);
  assert.deepEqual(ids(visibleRows(rows, view({ sort: { key: 'rank', dir: -1 } }), columns, BASE_FILTERS)), ['1', '2', '3', '4']);
});
