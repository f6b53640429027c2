// The command line against hostile input and plain http, run from the packed install: a token
// goes only over https (a local http listener receives nothing without --allow-http); names
// with ESC, C1 and bidi characters reach no terminal raw in any format; the Markdown of a link
// and image injection parses (with `marked`, a Markdown library) to text only; secret values in
// the input appear nowhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { installPacked } from './packed.mjs';
import { startMock } from '../mock/server.mjs';

let pkg;

const ESCAPES = 'evil\u001b[2J\u001b[1;1Hfake-ok';
const C1_BIDI = 'c1\u009b31m-bidi\u202egnp.exe\u2066x\u2069';
const INJECTION = '![x](https://evil.example/t.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)> | broken';
const SECRET = 'S3cr3t-Value-From-The-Service';
/** Characters that must never reach a terminal raw (line feeds, and CR in CSV line ends, aside). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters
const UNSAFE = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

function endpoint(id, name, parameters = { authenticationType: 'spnKey', serviceprincipalkey: null }) {
  return {
    id: `5e47a0d8-0000-4000-8000-00000000000${id}`,
    name,
    type: 'azurerm',
    url: 'https://management.azure.com/',
    authorization: { scheme: 'ServicePrincipal', parameters: { tenantid: 't', serviceprincipalid: 'a', ...parameters } },
    data: { creationMode: 'Automatic' },
    isReady: true,
    serviceEndpointProjectReferences: [{ projectReference: { id: 'c7e5f0b3-0000-4000-8000-000000000002', name: 'Web' }, name }],
  };
}

before(() => {
  pkg = installPacked();
  const list = [endpoint(1, ESCAPES), endpoint(2, C1_BIDI), endpoint(3, INJECTION)];
  writeFileSync(join(pkg.dir, 'hostile.json'), JSON.stringify({ count: list.length, value: list }));
  const leaky = [endpoint(4, 'leaky', { authenticationType: 'spnKey', serviceprincipalkey: SECRET })];
  writeFileSync(join(pkg.dir, 'leaky.json'), JSON.stringify({ count: 1, value: leaky }));
});

after(() => pkg?.cleanup());

/**
 * A plain http listener that counts connections and requests, and records headers. It answers
 * 401, or, with `answers`, a connection list and an empty usage history (an on-premises server
 * without TLS).
 */
async function listener({ answers = false } = {}) {
  const seen = { connections: 0, requests: [] };
  const server = createServer((req, res) => {
    seen.requests.push({ url: req.url, authorization: req.headers.authorization ?? null });
    if (!answers) return res.writeHead(401, { 'content-type': 'text/plain' }).end('no');
    const json = (body) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    if (req.url.includes('/_apis/serviceendpoint/endpoints')) return json({ count: 1, value: [endpoint(1, 'on-prem')] });
    if (req.url.includes('/executionhistory')) return json({ count: 0, value: [] });
    res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });
  server.on('connection', () => {
    seen.connections++;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { seen, url: `http://127.0.0.1:${server.address().port}/o`, close: () => new Promise((r) => server.close(r)) };
}

test('--org http://… exits 2 naming --allow-http, and the http listener receives nothing', async () => {
  const http = await listener();
  try {
    const env = { AZURE_DEVOPS_EXT_PAT: 'pat-must-not-travel', SYSTEM_ACCESSTOKEN: '' };
    const r = await pkg.runLive(['audit', '--org', http.url, '--project', 'p'], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--allow-http/);
    assert.match(r.stderr, /plain http/);
    const org = await pkg.runLive(['audit', '--org', http.url], { env });
    assert.equal(org.code, 2, org.stderr);
    assert.equal(http.seen.connections, 0, 'no connection reached the listener');
    assert.deepEqual(http.seen.requests, []);
    for (const out of [r.stdout, r.stderr, org.stdout, org.stderr]) assert.ok(!out.includes('pat-must-not-travel'));

    // With --allow-http: a warning, then the request goes (and its 401 is an exit 4).
    const allowed = await pkg.runLive(['audit', '--org', http.url, '--project', 'p', '--allow-http'], { env });
    assert.match(allowed.stderr, /warning: --allow-http/);
    assert.equal(allowed.code, 4, allowed.stderr);
    assert.ok(http.seen.requests.length >= 1, 'sent once allowed');
    assert.ok(!allowed.stderr.includes('pat-must-not-travel') && !allowed.stdout.includes('pat-must-not-travel'), 'token never printed');
  } finally {
    await http.close();
  }
});

test('--allow-http reaches the usage read too: --usage on a server without TLS', async () => {
  const http = await listener({ answers: true });
  try {
    const env = { AZURE_DEVOPS_EXT_PAT: 'pat-on-prem', SYSTEM_ACCESSTOKEN: '' };
    const r = await pkg.runLive(['audit', '--org', http.url, '--project', 'p', '--allow-http', '--usage', '--format', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      http.seen.requests.some((q) => q.url.includes('/executionhistory')),
      'the usage history was read over http once allowed',
    );
    const report = JSON.parse(r.stdout);
    assert.equal(report.totals.usage.known, 1, 'its usage was read, not left unknown');
    assert.equal(report.totals.usage.neverUsed, 1, r.stdout);
  } finally {
    await http.close();
  }
});

test('names with ESC, C1 and bidi characters reach the terminal in no format raw', () => {
  for (const format of ['table', 'json', 'markdown', 'csv', 'sarif']) {
    const r = pkg.run(['audit', 'hostile.json', '--format', format]);
    assert.equal(r.code, 0, `${format}: ${r.stderr}`);
    const out = format === 'csv' ? r.stdout.replaceAll('\r\n', '\n') : r.stdout;
    const bad = out.match(UNSAFE);
    assert.equal(bad, null, `${format} prints ${JSON.stringify(bad?.[0])} raw: ${JSON.stringify(out.slice(0, 400))}`);
    assert.equal(r.stderr.match(UNSAFE), null, `${format} stderr`);
  }
  // Shown escaped, so nothing is lost: the ESC is visible as \x1b, the override as \u{202e}.
  const table = pkg.run(['audit', 'hostile.json']).stdout;
  assert.ok(table.includes('evil\\x1b[2J\\x1b[1;1Hfake-ok'), table);
  assert.ok(table.includes('\\u{202e}gnp.exe'), table);
  // JSON keeps every name exactly (escaped as JSON, the same value).
  const json = JSON.parse(pkg.run(['audit', 'hostile.json', '--format', 'json']).stdout);
  assert.deepEqual(
    json.verdicts.map((v) => v.name),
    [ESCAPES, C1_BIDI, INJECTION],
  );
  // A gate's list of names on stderr, and a remedy of the hostile connection: none raw.
  const gate = pkg.run(['audit', 'hostile.json', '--fail-on', 'secret']);
  assert.equal(gate.code, 1);
  assert.equal(gate.stderr.match(UNSAFE), null, gate.stderr);
  for (const format of ['az', 'powershell', 'bicep', 'terraform', 'portal']) {
    const remedy = pkg.run(['remedy', 'hostile.json', '--id', '5e47a0d8-0000-4000-8000-000000000001', '--format', format]);
    assert.equal(remedy.code, 0, remedy.stderr);
    assert.equal(remedy.stdout.match(UNSAFE), null, `${format}: ${remedy.stdout}`);
  }
});

/** Every token of a `marked` lexer tree, table cells and inline children included. */
function* tokens(list) {
  for (const t of list ?? []) {
    yield t;
    yield* tokens(t.tokens);
    if (t.type === 'table') {
      for (const cell of [...t.header, ...t.rows.flat()]) yield* tokens(cell.tokens);
    }
    if (t.items) yield* tokens(t.items);
  }
}

test('the Markdown report of a link and image injection renders as text', () => {
  const r = pkg.run(['audit', 'hostile.json', '--format', 'markdown']);
  assert.equal(r.code, 0, r.stderr);
  const tree = marked.lexer(r.stdout, { gfm: true });
  const all = [...tokens(tree)];
  const kinds = new Set(all.map((t) => t.type));
  for (const kind of ['link', 'image', 'html']) assert.ok(!kinds.has(kind), `a ${kind} node: ${r.stdout}`);
  const table = all.find((t) => t.type === 'table');
  assert.ok(table, 'a table');
  assert.equal(table.rows.length, 3, 'one row a connection: no table break');
  assert.equal(table.rows[2][0].text.replace(/\\(.)/g, '$1'), INJECTION, 'the name reads as written');
  // And the HTML a renderer makes of it has no link, image or tag of the name's.
  const html = marked.parse(r.stdout, { gfm: true });
  assert.doesNotMatch(html, /<a |<img /);
});

test('secret values in the input reach no output, and the drop is reported (count only)', () => {
  for (const format of ['table', 'json', 'markdown', 'csv', 'sarif']) {
    const r = pkg.run(['audit', 'leaky.json', '--format', format]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${format} shows the secret`);
    assert.match(r.stderr, /held 1 secret value .*dropped/);
  }
  const json = JSON.parse(pkg.run(['audit', 'leaky.json', '--format', 'json']).stdout);
  assert.equal(json.verdicts[0].secretValuesDropped, 1);
  assert.equal(json.totals.secretValuesDropped, 1);
});

test('audit --org: secret values Azure DevOps returns by mistake are dropped, and the warning gives their count only', async () => {
  const mock = await startMock({ seed: 5, projects: 2, connectionsPerProject: 4 });
  try {
    const env = { AZURE_DEVOPS_EXT_PAT: mock.pat, SYSTEM_ACCESSTOKEN: '', NODE_EXTRA_CA_CERTS: mock.caPath };
    const clean = await pkg.runLive(['audit', '--org', mock.localOrgUrl], { env });
    assert.equal(clean.code, 0, clean.stderr);
    assert.doesNotMatch(clean.stderr, /secret value/, 'no warning when the service returns null');
    // The mock's stored secrets all carry one value; the service now returns them.
    mock.control({ leakSecrets: true });
    const secret = 'mock-secret-value-not-real';
    for (const args of [[], ['--project', mock.state.projects[1].name]]) {
      for (const format of ['table', 'json']) {
        const r = await pkg.runLive(['audit', '--org', mock.localOrgUrl, ...args, '--format', format], { env });
        assert.equal(r.code, 0, r.stderr);
        const [, count] = r.stderr.match(/Azure DevOps returned (\d+) secret values? .*Federate dropped them/) ?? [];
        assert.ok(Number(count) > 0, `${args} ${format}: ${r.stderr}`);
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${args} ${format}: the value is printed`);
      }
    }
  } finally {
    await mock.close();
  }
});

test('decode --json and explain-error --json print C1 and bidi characters of the input escaped, the same JSON value', () => {
  const subject = `sc://org\u202e/pro\u009bj\u2066/na${'\u001b'}me\u2028x`;
  const decoded = pkg.run(['decode', subject, '--json']);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.doesNotMatch(decoded.stdout, UNSAFE);
  const value = JSON.parse(decoded.stdout);
  assert.equal(value.organizationName, 'org\u202e');
  assert.equal(value.connectionName, `na${'\u001b'}me\u2028x`);
  const text = pkg.run(['decode', subject]);
  assert.doesNotMatch(text.stdout, UNSAFE);

  const explained = pkg.run(['explain-error', `AADSTS700213: No matching federated identity record \u202e\u009b2J ${subject}`, '--json']);
  assert.equal(explained.code, 0, explained.stderr);
  assert.doesNotMatch(explained.stdout, UNSAFE);
  assert.equal(JSON.parse(explained.stdout).code, 'AADSTS700213');
});
