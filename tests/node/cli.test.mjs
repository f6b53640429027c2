// The `federate` command as a user runs it: from the packed tarball installed into an empty
// folder (`npx federate ...`). Every command, the report formats, the exit codes, bad input, and
// the live audit against the mock with a token from the environment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { startMock } from '../mock/server.mjs';
import { installPacked } from './packed.mjs';

let pkg;
const demoText = readFileSync(join(root, 'www', 'static', 'demo.json'), 'utf8');
const demo = JSON.parse(demoText);
const ENTRA =
  '/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176';
const noToken = { AZURE_DEVOPS_EXT_PAT: '', SYSTEM_ACCESSTOKEN: '' };

before(() => {
  pkg = installPacked();
  copyFileSync(join(root, 'www', 'static', 'demo.json'), join(pkg.dir, 'sample.json'));
  // What `az devops service-endpoint list -o json` prints: a bare array.
  writeFileSync(join(pkg.dir, 'az-list.json'), JSON.stringify(demo.value, null, 2));
  writeFileSync(
    join(pkg.dir, 'federated-only.json'),
    JSON.stringify({ count: 1, value: [demo.value.find((e) => e.name === 'prod-federated')] }),
  );
  writeFileSync(join(pkg.dir, 'broken.json'), '{\n  "count": 2,\n  "value": [\n    {"id": "x" "name": "y"}\n  ]\n}\n');
  writeFileSync(join(pkg.dir, 'not-a-list.json'), '{"hello": "world"}');
  mkdirSync(join(pkg.dir, 'a-folder'), { recursive: true });
});

after(() => pkg?.cleanup());

test('npx federate audit sample.json prints a table and a summary, and exits 0', () => {
  const r = pkg.npx(['audit', 'sample.json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^Name\s+Type\s+Credential\s+State\s+Convertible\s+Issuer/);
  for (const e of demo.value) assert.ok(r.stdout.includes(e.name), `${e.name} is in the table`);
  assert.match(r.stdout, new RegExp(`${demo.value.length} connections: [1-9]\\d* hold a secret, [1-9]\\d* draft`));
  const prodArm = lines.find((l) => l.startsWith('prod-arm '));
  assert.match(prodArm, /azurerm\s+Secret\s+ready\s+yes/);
  const feed = lines.find((l) => l.startsWith('shared-feed (PAT) '));
  assert.match(feed, /externalnugetfeed\s+Azure DevOps PAT\s+ready\s+no/);
  // The Issuer column: the engine's word for each connection's issuer format, never the format's key.
  const verdicts = JSON.parse(pkg.run(['audit', 'sample.json', '--format', 'json']).stdout).verdicts;
  const issuerAt = lines[0].indexOf('Issuer');
  for (const name of ['prod-federated', 'data platform', 'aws-deploy (OIDC)']) {
    const { format, formatWord } = verdicts.find((v) => v.name === name).federation;
    const row = lines.find((l) => l.startsWith(`${name} `));
    assert.ok(formatWord && formatWord !== format, `${name}: the engine has a word for ${format}`);
    assert.ok(row.slice(issuerAt).startsWith(`${formatWord} `), `${name}: Issuer shows "${formatWord}": ${row}`);
  }
});

test('audit reads the az CLI output (a bare array) from stdin with "-"', () => {
  const r = pkg.run(['audit', '-'], { input: JSON.stringify(demo.value) });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('prod-federated'));
  const file = pkg.run(['audit', 'az-list.json', '--format', 'json']);
  assert.equal(file.code, 0, file.stderr);
});

test('report formats: json, csv, markdown, sarif', () => {
  const json = pkg.run(['audit', 'sample.json', '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  const rows = Array.isArray(parsed) ? parsed : parsed.verdicts;
  assert.equal(rows.length, demo.value.length);
  assert.deepEqual(
    rows.map((v) => v.name),
    demo.value.map((e) => e.name),
  );
  const csv = pkg.run(['audit', 'sample.json', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(csv.stdout.split('\n')[0], /name/i);
  assert.ok(csv.stdout.includes('"nexus ""generic"""'), 'csv quotes a name with quotes');
  const md = pkg.run(['audit', 'sample.json', '--format', 'markdown']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^\|.*\|\s*$/m);
  const sarif = pkg.run(['audit', 'sample.json', '--format', 'sarif']);
  assert.equal(sarif.code, 0, sarif.stderr);
  const s = JSON.parse(sarif.stdout);
  assert.equal(s.version, '2.1.0');
  assert.ok(s.runs[0].results.length >= 1, 'secrets are reported as results');
  const bad = pkg.run(['audit', 'sample.json', '--format', 'xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format "xml" is not one of/);
});

test('--fail-on gates: secret, draft, azure-devops-issuer exit 1 when matched, 0 when not', () => {
  for (const gate of ['secret', 'draft', 'azure-devops-issuer']) {
    const r = pkg.run(['audit', 'sample.json', '--fail-on', gate]);
    assert.equal(r.code, 1, `${gate}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--fail-on ${gate}: \\d+ connections? matched`));
  }
  const clean = pkg.run(['audit', 'federated-only.json', '--fail-on', 'secret,draft,azure-devops-issuer']);
  assert.equal(clean.code, 0, clean.stderr);
  const draft = pkg.run(['audit', 'sample.json', '--fail-on', 'draft', '--format', 'json']);
  assert.match(draft.stderr, /new-env \(draft\)/);
  const wrong = pkg.run(['audit', 'sample.json', '--fail-on', 'secrets']);
  assert.equal(wrong.code, 2);
});

test('--fail-on pat and unknown: exit 1 naming the connections, 0 when none; the summary counts them', () => {
  const pat = pkg.run(['audit', 'sample.json', '--fail-on', 'pat']);
  assert.equal(pat.code, 1, pat.stderr);
  assert.match(pat.stderr, /--fail-on pat: 2 connections matched: shared-feed \(PAT\), partner-repos \(PAT\)/);
  assert.match(
    pat.stdout,
    /2 Azure DevOps PATs \(global PATs end 2026-12-01\), \d+ on the Azure DevOps issuer \(retires 2027-07-01\), 0 unknown/,
  );
  // Every type of the demo is judged (marketplace types by their scheme): nothing unknown.
  const none = pkg.run(['audit', 'sample.json', '--fail-on', 'unknown']);
  assert.equal(none.code, 0, none.stderr);
  writeFileSync(
    join(pkg.dir, 'unknown.json'),
    JSON.stringify([{ id: 'u1', name: 'kerberos-thing', type: 'contoso-kerberos', authorization: { scheme: 'Kerberos' } }]),
  );
  const unknown = pkg.run(['audit', 'unknown.json', '--fail-on', 'unknown']);
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /--fail-on unknown: 1 connection matched: kerberos-thing/);
  const clean = pkg.run(['audit', 'federated-only.json', '--fail-on', 'pat,unknown']);
  assert.equal(clean.code, 0, clean.stderr);
});

test('bad input: missing file, a folder, invalid JSON with line and column, not a list, empty stdin', () => {
  const missing = pkg.run(['audit', 'nope.json']);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /nope\.json: file not found/);
  const folder = pkg.run(['audit', 'a-folder']);
  assert.equal(folder.code, 3);
  assert.match(folder.stderr, /a-folder: is a folder/);
  const broken = pkg.run(['audit', 'broken.json']);
  assert.equal(broken.code, 3);
  assert.match(broken.stderr, /broken\.json: invalid JSON at line 4, column \d+/);
  const notList = pkg.run(['audit', 'not-a-list.json']);
  assert.equal(notList.code, 3);
  assert.match(notList.stderr, /not a service connection list/);
  const empty = pkg.run(['audit', '-'], { input: '' });
  assert.equal(empty.code, 3);
  assert.match(empty.stderr, /stdin: invalid JSON/);
  assert.equal(broken.stdout, '', 'nothing on stdout on error');
});

test('decode: both subject formats, --json, and a malformed subject', () => {
  const entra = pkg.run(['decode', ENTRA]);
  assert.equal(entra.code, 0, entra.stderr);
  // The engine's segment labels, each with its decoded value.
  assert.match(entra.stdout, /^Tenant\s+ff882432-09b0-437b-bd22-ca13c0037ded/m);
  assert.match(entra.stdout, /^Connection id\s+64171687-7a59-4fce-b2c8-823278dcf176/m);
  const classic = pkg.run(['decode', 'sc://contoso/Web Shop/prod-arm', '--json']);
  assert.equal(classic.code, 0, classic.stderr);
  const c = JSON.parse(classic.stdout);
  assert.equal(c.organizationName, 'contoso');
  assert.equal(c.projectName, 'Web Shop');
  assert.equal(c.connectionName, 'prod-arm');
  const bad = pkg.run(['decode', '/eid1/c/pub/t/@@@/a/rISbSSETf0KqFyZ8ppdXmA/sc/x/y']);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /malformed federation subject/);
  assert.equal(pkg.run(['decode']).code, 2);
});

test('decode: an id option that is not a GUID is refused (exit 2, naming it), never silently unchecked', () => {
  for (const [option, field] of [
    ['--org-id', 'organizationId'],
    ['--connection-id', 'connectionId'],
    ['--tenant-id', 'tenantId'],
  ]) {
    const r = pkg.run(['decode', ENTRA, option, 'not-a-guid']);
    assert.equal(r.code, 2, `${option}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing decoded');
    assert.match(r.stderr, new RegExp(`${field} "not-a-guid" is not a GUID`));
    assert.doesNotMatch(r.stderr, /Not checked/);
  }
  // A GUID in any case still checks.
  const ok = pkg.run(['decode', ENTRA, '--org-id', '0CA3DDD9-F0B0-4635-A98C-5866526961B6', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).segments.find((s) => s.label === 'Organization id').check, 'matches');
});

test('decode --json: the segments of the format in order, each with a meaning; --org-id checks the organization id', () => {
  const ORG_ID = '0ca3ddd9-f0b0-4635-a98c-5866526961b6';
  const segmentsOf = (args) => {
    const r = pkg.run(['decode', ...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const d = segmentsOf([ENTRA]);
  assert.equal(d.format, 'entra');
  assert.equal(d.segments.length, 7, 'marker, cloud, tenant, application, sc, organization id, connection id');
  for (const s of d.segments) {
    assert.deepEqual(Object.keys(s).sort(), ['check', 'checkWord', 'expected', 'label', 'meaning', 'text', 'value']);
    assert.ok(s.meaning.trim().length > 0, `${s.label} has a meaning`);
    assert.ok(['matches', 'differs', 'unknown'].includes(s.check), `${s.label}: ${s.check}`);
  }
  assert.equal(d.segments.map((s) => s.text).join('/'), ENTRA, 'the texts are the subject as written, in order');
  assert.ok(!d.segments.some((s) => /name/i.test(s.label)), 'no name segment in an Entra subject');
  const tenant = d.segments.find((s) => s.value === 'ff882432-09b0-437b-bd22-ca13c0037ded');
  assert.equal(tenant.text, 't/MiSI_7AJe0O9IsoTwAN97Q');
  assert.match(tenant.meaning, /^Tenant that issues the token: ff882432-09b0-437b-bd22-ca13c0037ded \(the identity's tenant\)/);
  const orgOf = (x) => x.segments.find((s) => s.label === 'Organization id');
  assert.equal(orgOf(d).check, 'unknown', 'no organization id given: not checked');

  const same = orgOf(segmentsOf([ENTRA, '--org-id', ORG_ID.toUpperCase()]));
  assert.equal(same.check, 'matches');
  assert.equal(same.expected, null);
  const other = '11111111-2222-3333-4444-555555555555';
  const differs = orgOf(segmentsOf([ENTRA, '--org-id', other]));
  assert.equal(differs.check, 'differs');
  assert.equal(differs.expected, other);

  // The Azure DevOps format: its own segments (names), checked against --org-name and --project.
  const c = segmentsOf(['sc://contoso/Web Shop/prod-arm', '--org-name', 'fabrikam', '--project', 'Web Shop']);
  assert.equal(c.format, 'azureDevOps');
  assert.deepEqual(
    c.segments.map((s) => [s.value, s.check]),
    [
      ['sc', 'matches'],
      ['contoso', 'differs'],
      ['Web Shop', 'matches'],
      ['prod-arm', 'unknown'],
    ],
  );
  assert.ok(!c.segments.some((s) => /tenant|id$/i.test(s.label)), 'no id segment in an sc:// subject');
  // Any other subject: one segment of an unknown format, not an error.
  const u = segmentsOf(['repo:octo/app:ref:refs/heads/main']);
  assert.equal(u.format, 'unknown');
  assert.equal(u.segments.length, 1);
  assert.equal(u.segments[0].check, 'unknown');
});

test('explain-error: text arguments, a log on stdin, --json, and unknown text', () => {
  const r = pkg.run(['explain-error', 'AADSTS7000215:', 'Invalid client secret provided.']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^AADSTS7000215: /);
  assert.match(r.stdout, /How to fix it: /);
  const log =
    '2026-11-23T10:00:00Z ##[section]Starting: Deploy\n##[error]TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource\n';
  const stdin = pkg.run(['explain-error', '-', '--json'], { input: log });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(JSON.parse(stdin.stdout).code, 'TF400733');
  const none = pkg.run(['explain-error', 'the build is green']);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /No known/);
  assert.equal(pkg.run(['explain-error']).code, 2);
});

test('remedy: by id and by name, every format, unknown id and bad format', () => {
  const draft = demo.value.find((e) => e.name === 'new-env (draft)');
  const az = pkg.run(['remedy', 'sample.json', '--id', draft.id, '--format', 'az']);
  assert.equal(az.code, 0, az.stderr);
  assert.match(az.stdout, /az ad app federated-credential create/);
  assert.ok(az.stdout.includes(draft.authorization.parameters.workloadIdentityFederationSubject), "the draft's own subject");
  for (const format of ['azIdentity', 'powershell', 'bicep', 'terraform', 'graph', 'portal']) {
    const r = pkg.run(['remedy', 'sample.json', '--id', 'new-env (draft)', '--format', format]);
    assert.equal(r.code, 0, `${format}: ${r.stderr}`);
    assert.ok(r.stdout.trim().length > 20, `${format} prints something`);
  }
  const unknown = pkg.run(['remedy', 'sample.json', '--id', 'does-not-exist']);
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /no connection with id or name "does-not-exist"/);
  assert.equal(pkg.run(['remedy', 'sample.json', '--id', draft.id, '--format', 'ansible']).code, 2);
  assert.equal(pkg.run(['remedy', 'sample.json']).code, 2);
});

test('--help documents commands and exit codes; --version; unknown command and option', () => {
  const help = pkg.run(['--help']);
  assert.equal(help.code, 0);
  for (const word of [
    'audit',
    'convert',
    '--yes',
    '--interactive',
    '--journal',
    'decode',
    'explain-error',
    'remedy',
    '--fail-on',
    'AZURE_DEVOPS_EXT_PAT',
    'SYSTEM_ACCESSTOKEN',
    'Exit codes',
  ]) {
    assert.ok(help.stdout.includes(word), `help mentions ${word}`);
  }
  for (const code of [0, 1, 2, 3, 4, 5]) assert.match(help.stdout, new RegExp(`^  ${code}  `, 'm'));
  assert.match(help.stdout, /^ {2}130 convert: interrupted by Ctrl-C/m);
  const version = pkg.run(['--version']);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(version.stdout.trim(), manifest.version);
  const unknown = pkg.run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  assert.equal(pkg.run(['audit', '--colour']).code, 2);
  assert.equal(pkg.run([]).code, 2, 'no command is a usage error');
});

test('live audit against the mock: token from the environment, progress on stderr, and its errors', async () => {
  const mock = await startMock({ seed: 5, projects: 4, connectionsPerProject: 5 });
  try {
    const env = { AZURE_DEVOPS_EXT_PAT: mock.pat, SYSTEM_ACCESSTOKEN: '', NODE_EXTRA_CA_CERTS: mock.caPath };
    const r = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--format', 'json', '--concurrency', '2'], { env });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.equal((Array.isArray(rows) ? rows : rows.verdicts).length, mock.countEndpoints());
    assert.match(r.stderr, /token from AZURE_DEVOPS_EXT_PAT/);
    assert.match(r.stderr, /scanned \d+/);
    assert.ok(!r.stderr.includes(mock.pat) && !r.stdout.includes(mock.pat), 'the token is never printed');

    const project = mock.state.projects[1].name;
    const one = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', project], { env });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^${mock.countEndpoints({ project })} connections?:`, 'm'));

    const bearer = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', project, '--format', 'json'], {
      env: { ...env, AZURE_DEVOPS_EXT_PAT: '', SYSTEM_ACCESSTOKEN: mock.bearer },
    });
    assert.equal(bearer.code, 0, bearer.stderr);
    assert.match(bearer.stderr, /token from SYSTEM_ACCESSTOKEN/);

    const none = await pkg.runLive(['audit', '--org', mock.localOrgUrl], { env: { ...env, ...noToken } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /AZURE_DEVOPS_EXT_PAT/);

    const wrong = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', project], {
      env: { ...env, AZURE_DEVOPS_EXT_PAT: 'not-the-pat' },
    });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /sign|401|auth/i);
  } finally {
    await mock.close();
  }
});
