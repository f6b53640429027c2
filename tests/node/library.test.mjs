// The npm library as a user gets it: `npm pack`, install the tarball into an empty folder, import
// `federate-ado` there (no init call in Node) and call every exported function, also live
// against the mock Azure DevOps with a PAT.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { startMock } from '../mock/server.mjs';
import { installPacked } from './packed.mjs';

let pkg;
let mock;
let report;
const demo = JSON.parse(readFileSync(join(root, 'www', 'static', 'demo.json'), 'utf8'));

before(async () => {
  pkg = installPacked();
  copyFileSync(join(root, 'www', 'static', 'demo.json'), join(pkg.dir, 'sample.json'));
  copyFileSync(join(root, 'tests', 'node', 'fixtures', 'library-check.mjs'), join(pkg.dir, 'check.mjs'));
  mock = await startMock({ seed: 11, projects: 3, connectionsPerProject: 6 });
  const project = mock.state.projects[0].name;
  const res = await pkg.node(['check.mjs'], {
    env: {
      CHECK_ORG_URL: mock.localOrgUrl,
      CHECK_PROJECT: project,
      CHECK_PAT: mock.pat,
      AZURE_DEVOPS_EXT_PAT: mock.pat,
      NODE_EXTRA_CA_CERTS: mock.caPath,
    },
  });
  assert.equal(res.code, 0, `check.mjs failed:\n${res.stderr}`);
  report = JSON.parse(res.stdout);
});

after(async () => {
  await mock?.close();
  pkg?.cleanup();
});

const value = (name) => {
  const r = report.results[name];
  assert.ok(r, `${name} is exported`);
  assert.equal(r.error, undefined, `${name} threw: ${r.error}`);
  return r.value;
};

test('the tarball holds the library, the CLI, the wasm, types and the licence, and nothing else', () => {
  for (const f of [
    'LICENSE',
    'README.md',
    'package.json',
    'bin/federate.js',
    'lib/node.js',
    'lib/web.js',
    'lib/node.d.ts',
    'lib/web.d.ts',
    'pkg/web/federate_wasm.js',
    'pkg/web/federate_wasm.d.ts',
    'pkg/web/federate_types.d.ts',
    'pkg/web/federate_wasm_bg.wasm',
  ]) {
    assert.ok(pkg.files.includes(f), `${f} is packed`);
  }
  const stray = pkg.files.filter((f) => !/^(LICENSE|README\.md|package\.json|bin\/|lib\/|pkg\/web\/)/.test(f));
  assert.deepEqual(stray, [], 'no other files are packed');
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'node_modules', 'federate-ado', 'package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT');
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), [], 'no runtime dependencies');
});

test('every exported function has a call in the check (none untested)', () => {
  const untested = Object.entries(report.results)
    .filter(([, r]) => r.untested)
    .map(([k]) => k);
  assert.deepEqual(untested, [], 'add a call in tests/node/fixtures/library-check.mjs for each new export');
  for (const name of [
    'init',
    'classifyEndpoint',
    'classifyEndpoints',
    'decodeFederationSubject',
    'decodeFederationIssuer',
    'expectedFederation',
    'federatedCredentialCommands',
    'remedies',
    'commandFormats',
    'owningProject',
    'explainError',
    'verdictRules',
    'renderReport',
    'encodeGuid',
    'decodeGuid',
    'engineVersion',
    'parseAdoUrl',
    'scanProject',
    'scanProjectListing',
    'scanOrganization',
    'scanLive',
    'tokenFromEnv',
    'listProjects',
    'organizationId',
    'planConversions',
    'conversionRequest',
    'convertEndpoint',
    'pollEndpoint',
    'revertEndpoint',
    'explainErrors',
    'explainFederation',
    'sanitizeText',
    'csvTable',
    'ConversionJob',
    'jobHeader',
    'planOrganization',
    'planReverts',
    'jobConflicts',
    'sendRequest',
  ]) {
    assert.ok(report.exported.includes(name), `${name} is exported`);
  }
});

test('the conversion job machine: plans, header, conflicts, and a job converted once across a restore', () => {
  const reverts = value('planReverts');
  assert.equal(reverts.send.length, 1);
  assert.deepEqual(
    reverts.skip.map((s) => [s.id, s.reason]),
    [['gone', 'notFound']],
  );
  const org = value('planOrganization');
  assert.equal(org.send.length, 1);
  assert.equal(org.send[0].action, 'convert');
  assert.ok(org.skip.some((s) => s.id === 'gone' && s.reason === 'notFound'));
  const conflicts = value('jobConflicts');
  assert.equal(conflicts.held.jobId, 'job-a');
  assert.match(conflicts.held.message, /job-a/);
  assert.equal(conflicts.free, null);
  const read = value('readEndpoint');
  assert.ok(read.id, 'the connection was read');
  assert.equal(read.secret, null, 'the leaked secret value was dropped');
  const header = value('jobHeader');
  assert.equal(header.items.length, 1);
  assert.equal(header.items[0].fingerprint.scheme, 'ServicePrincipal');
  const job = value('ConversionJob');
  assert.equal(job.state, 'done');
  assert.equal(job.outcome, 'converted');
  assert.equal(job.revertDeadline, '2030-01-01T00:00:00Z');
  assert.equal(job.sent, 1, 'one PUT, the restore read the connection again instead');
  assert.equal(job.exitCode, 0);
  assert.deepEqual(job.active.ids, []);
  assert.equal(job.refused, 'This connection is not in the job.');
  // The relay's answer is applied as is; a torn last record is dropped, one inside is an
  // error; a time that is not finite is refused.
  assert.match(job.notFinite ?? '', /nowMs must be a finite number/);
  assert.match(job.tornInside ?? '', /record 2 of .* cannot be read/);
});

test('sendRequest: a job request answered with the token; refused outside the organization and over http', () => {
  const r = value('sendRequest');
  assert.deepEqual(r.answered, { status: 200, headers: true, body: true });
  assert.equal(r.elsewhere.kind, 'network');
  assert.match(r.elsewhere.message, /refused to send the token outside https:\/\/127\.0\.0\.1:/);
  assert.equal(r.http.kind, 'insecure');
});

test('the sanitizer: control characters shown escaped, Markdown escaped, CSV neutralized', () => {
  assert.deepEqual(value('sanitizeText'), {
    terminal: 'a\\x1b[2J [x](y) =b',
    block: 'a\\x1b[2J [x](y)\n=b',
    markdown: 'a\\\\x1b\\[2J \\[x\\]\\(y\\) =b',
    csv: 'a\\x1b[2J [x](y) =b',
    json: 'a\\u001b[2J [x](y)\n=b',
  });
  assert.equal(value('csvTable'), "id,name\r\n1,'=cmd\r\n2,\r\n");
});

test('the deadlines: PATs, the issuer retirement plan, its script and Verify, the summary line', () => {
  const plan = value('issuerMigrationPlan');
  assert.equal(plan.deadline, '2027-07-01');
  assert.ok(plan.daysLeft > 0);
  assert.match(plan.intro, /does not send the issuer update itself/);
  const groups = Object.fromEntries(plan.groups.map((g) => [g.group, g.items.map((i) => i.name)]));
  assert.deepEqual(groups.automatic, ['web-prod (Azure DevOps issuer)']);
  assert.deepEqual(groups.manual, ['data platform', 'renamed-connection']);
  assert.deepEqual(groups.otherRelyingParty, ['aws-deploy (OIDC)']);
  assert.match(value('issuerMigrationCommands'), /for 2 connection\(s\)/);
  assert.deepEqual(
    value('verifyIssuerMigration').map((r) => r.status),
    ['pending', 'migrated', 'missing'],
  );
  assert.match(value('summaryLine'), /2 Azure DevOps PATs/);
  // The summary bar's parts are the summary line's counts, with their words.
  assert.equal(value('inventorySummary').line, value('summaryLine'));
  assert.deepEqual(
    value('inventorySummary').parts.find((p) => p.key === 'pat'),
    { key: 'pat', count: 2, text: 'Azure DevOps PATs (global PATs end 2026-12-01)' },
  );
  assert.deepEqual(value('gateFailures'), ['shared-feed (PAT)', 'partner-repos (PAT)']);
  // The error words and the secret-values sentence: the engine's, for every client.
  assert.deepEqual(value('errorWords').throttled, {
    title: 'Azure DevOps is rate-limiting requests',
    advice: 'Wait 3 seconds, then retry.',
  });
  assert.equal(value('errorWords').unknown.title, 'Something went wrong');
  assert.equal(value('secretValuesNotice').none, null);
  assert.match(value('secretValuesNotice').two, /^The input held 2 secret values .*Federate dropped them/);
  assert.deepEqual(value('auditGates'), ['secret', 'draft', 'azure-devops-issuer', 'pat', 'unknown']);
  const by = Object.fromEntries(value('classifyEndpoints').map((v) => [v.name, v]));
  assert.equal(by['azdo-publish (draft)'].label, 'Draft · needs federated credential and organization user');
  // The engine's word and tone for each connection, so no caller decides them.
  assert.equal(by['shared-feed (PAT)'].credentialWord, 'Azure DevOps PAT');
  assert.equal(by['shared-feed (PAT)'].tone, 'bad');
  assert.equal(by['web-prod (Azure DevOps issuer)'].tone, 'warn');
  assert.equal(by['web-prod (Azure DevOps issuer)'].issuerRetirement, 'retiring');
  assert.match(by['azdo-publish (draft)'].nextStep, /a user of organization contoso with access level Basic/);
  assert.equal(by['shared-feed (PAT)'].azureDevOpsPat.host, 'pkgs.dev.azure.com');
  assert.equal(by['aws-deploy (OIDC)'].credential, 'federated');
  assert.equal(by.octopus.convertible.reasons[0].code, 'judgedByScheme');
});

test('verdicts: one connection and a whole list (JSON text), with the documented shape', () => {
  const one = value('classifyEndpoint');
  for (const key of [
    'id',
    'name',
    'type',
    'scheme',
    'credential',
    'usesSecret',
    'state',
    'convertible',
    'federation',
    'label',
    'summary',
  ]) {
    assert.ok(key in one, `a verdict has ${key}`);
  }
  assert.equal(one.name, 'prod-arm');
  assert.equal(one.credential, 'secret');
  assert.equal(one.usesSecret, true);
  assert.equal(one.state, 'ready');
  assert.equal(one.convertible.status, 'yes');
  const all = value('classifyEndpoints');
  assert.equal(all.length, demo.value.length);
  const by = Object.fromEntries(all.map((v) => [v.name, v]));
  assert.equal(by['staging (manual SP)'].convertible.status, 'manual');
  assert.equal(by['ops-shared-arm'].convertible.status === 'yes' || by['ops-shared-arm'].convertible.status === 'ownerProject', true);
  assert.equal(by['new-env (draft)'].state, 'draft');
  assert.equal(by['prod-federated'].federation.format, 'entra');
  assert.equal(by['data platform'].federation.format, 'azureDevOps');
  assert.equal(by['aks-identity'].credential, 'managedIdentity');
  assert.equal(by['old-disabled'].state, 'disabled');
  assert.equal(by['converting-now'].state, 'converting');
  const bad = report.results.badJson;
  assert.equal(bad.isError, true);
  assert.match(bad.error, /line 1, column \d+/);
});

test('federation: subject decoding, expected issuer and subject, GUID codec', () => {
  const d = value('decodeFederationSubject');
  assert.equal(d.format, 'entra');
  assert.equal(d.tenantId, 'ff882432-09b0-437b-bd22-ca13c0037ded');
  assert.equal(d.applicationId, '499b84ac-1321-427f-aa17-267ca6975798');
  assert.equal(d.organizationId, '0ca3ddd9-f0b0-4635-a98c-5866526961b6');
  assert.equal(d.connectionId, '64171687-7a59-4fce-b2c8-823278dcf176');
  // The engine's segments: only the Entra format's, each with a meaning.
  assert.equal(d.segments.length, 7);
  assert.ok(d.segments.every((s) => s.meaning.length > 0));
  const i = value('decodeFederationIssuer');
  assert.equal(i.azureDevOps.format, 'azureDevOps');
  assert.equal(i.azureDevOps.retires, '2027-07-01');
  assert.deepEqual(
    i.azureDevOps.segments.map((s) => [s.label, s.check]),
    [
      ['Issuer', 'matches'],
      ['Organization id', 'matches'],
    ],
  );
  assert.equal(i.preview.format, 'preview');
  assert.equal(i.preview.segments.length, 1);
  // Checked against another organization's id: it differs, and says what it should be.
  const otherOrg = i.differs.segments.find((s) => s.label === 'Organization id');
  assert.deepEqual([otherOrg.check, otherOrg.expected], ['differs', '11111111-2222-3333-4444-555555555555']);
  assert.match(otherOrg.checkWord, /^Differs: expected 11111111-2222-3333-4444-555555555555/);
  // A sovereign cloud: no retirement date, an exempt meaning.
  assert.equal(i.sovereign.retires, null);
  assert.match(i.sovereign.segments[0].meaning, /Exempt from the retirement: this connection is in AzureUSGovernment/);
  assert.doesNotMatch(i.sovereign.segments[0].meaning, /switch to the Entra issuer/);
  // A context id that is not a GUID is refused, naming it.
  assert.match(i.badContext ?? 'no error', /organizationId "not-a-guid" is not a GUID/);
  const e = value('expectedFederation');
  assert.equal(e.audience, 'api://AzureADTokenExchange');
  assert.equal(e.azureDevOps.issuer, 'https://vstoken.dev.azure.com/0ca3ddd9-f0b0-4635-a98c-5866526961b6');
  assert.equal(e.azureDevOps.subject, 'sc://contoso/Web Shop/prod-arm');
  assert.equal(e.entra.issuer, 'https://login.microsoftonline.com/ff882432-09b0-437b-bd22-ca13c0037ded/v2.0');
  assert.equal(
    e.entra.subject,
    `/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/${demo.value[0].id}`,
  );
  assert.equal(value('encodeGuid'), 'MiSI_7AJe0O9IsoTwAN97Q');
  assert.equal(value('decodeGuid'), '499b84ac-1321-427f-aa17-267ca6975798');
});

test('remedies in every format, diagnosis, rules, reports, URL parsing, version', () => {
  const r = value('federatedCredentialCommands');
  assert.match(r.az, /az ad app federated-credential create/);
  assert.match(r.azIdentity, /az identity federated-credential create/);
  assert.match(r.powershell, /FederatedIdentityCredential/i);
  assert.match(r.bicep, /federatedIdentityCredentials/i);
  assert.match(r.terraform, /resource\s+"/);
  assert.match(r.graph, /graph\.microsoft\.com/);
  assert.match(r.portal, /^\s*1[.)]/m);
  for (const text of Object.values(r)) assert.match(text, /api:\/\/AzureADTokenExchange|AzureADTokenExchange/);
  // The project a scheme change goes to: the owning project reference (id), with its name.
  const home = demo.value.find((e) => e.name === 'prod-arm').serviceEndpointProjectReferences[0].projectReference;
  assert.deepEqual(value('owningProject'), { owned: { project: home.id, projectName: home.name }, none: null });
  // One call gives every format at once, the same text, with the format in words.
  const all7 = value('remedies');
  assert.equal(all7.draft.reason, null);
  assert.deepEqual(
    all7.draft.remedies.map((m) => m.format),
    ['az', 'azIdentity', 'powershell', 'bicep', 'terraform', 'graph', 'portal'],
  );
  assert.deepEqual(
    value('commandFormats').map((f) => f.format),
    all7.draft.remedies.map((m) => m.format),
  );
  for (const m of all7.draft.remedies) {
    assert.equal(m.text, all7.byFormat[m.format]);
    assert.ok(m.title.length > 0);
  }
  const x = value('explainError');
  assert.equal(x.known.code, 'AADSTS700213');
  for (const k of ['title', 'meaning', 'fix']) assert.ok(x.known[k].length > 0, `explanation has ${k}`);
  assert.equal(x.unknown, null);
  const all = value('explainErrors');
  assert.deepEqual(
    all.map((d) => d.code),
    ['AADSTS700016', 'TF400733'],
  );
  const fed = value('explainFederation');
  assert.equal(fed.format, 'entra');
  assert.equal(fed.identity.tenantId, 'ff882432-09b0-437b-bd22-ca13c0037ded');
  const plan = value('planConversions');
  assert.ok(
    plan.send.some((s) => s.name === 'prod-arm'),
    'the automatic secret connection is planned',
  );
  assert.ok(
    plan.skip.some((s) => s.name === 'staging (manual SP)' && s.reason === 'manual'),
    'a manual one is skipped with its reason',
  );
  assert.ok(plan.skip.some((s) => s.name === 'ops-shared-arm' && s.reason === 'sharedFromAnotherProject'));
  const req = value('conversionRequest');
  assert.equal(req.method, 'PUT');
  assert.match(req.url, /operation=ConvertAuthenticationScheme/);
  assert.equal(JSON.parse(req.body).authorization.scheme, 'WorkloadIdentityFederation');
  assert.ok(!req.headers.some(([k]) => k.toLowerCase() === 'authorization'), 'no credential in the dry run');
  const rules = value('verdictRules');
  assert.ok(Array.isArray(rules) && rules.length >= 10, 'the rule table has rows');
  const reports = value('renderReport');
  assert.equal(JSON.parse(reports.json).length ?? JSON.parse(reports.json).verdicts?.length, demo.value.length);
  const csv = reports.csv.trim().split(/\r?\n/);
  assert.ok(csv.length >= demo.value.length + 1, 'csv: a header and a line per connection');
  assert.match(reports.markdown, /^\|.*\|$/m);
  const sarif = JSON.parse(reports.sarif);
  assert.equal(sarif.version, '2.1.0');
  assert.ok(Array.isArray(sarif.runs) && sarif.runs.length === 1);
  const u = value('parseAdoUrl');
  assert.match(JSON.stringify(u.modern), /contoso/);
  assert.match(JSON.stringify(u.modern), /Web Shop/);
  assert.match(JSON.stringify(u.legacy), /contoso/);
  assert.match(value('engineVersion'), /^\d+\.\d+\.\d+/);
  const t = value('tokenFromEnv');
  assert.deepEqual(t.pat, { token: 'p', tokenKind: 'pat', source: 'AZURE_DEVOPS_EXT_PAT' });
  assert.deepEqual(t.bearer, { token: 'b', tokenKind: 'bearer', source: 'SYSTEM_ACCESSTOKEN' });
  assert.equal(t.none, null);
  assert.equal(value('init'), null);
  assert.equal(value('initSync'), 'ok');
});

test('live against the mock with a PAT: one project, the organization, and from the environment', () => {
  const project = value('scanProject');
  assert.equal(project.length, mock.countEndpoints({ project: mock.state.projects[0].name }));
  const org = value('scanOrganization');
  assert.equal(org.result.connections.length, mock.countEndpoints(), 'every connection exactly once');
  assert.equal(org.result.complete, true);
  assert.equal(org.result.secretValuesDropped, 0, 'the mock returns secrets as null');
  assert.ok(org.events >= 1, 'progress events were reported');
  assert.deepEqual(value('scanProjectListing'), { connections: project.length, secretValuesDropped: 0 });
  const viaEnv = value('scanLive');
  assert.equal(viaEnv.verdicts.length, mock.countEndpoints(), 'scanLive took the PAT from AZURE_DEVOPS_EXT_PAT');
  assert.equal(viaEnv.endpoints.length, viaEnv.verdicts.length);
  assert.equal(viaEnv.organization, 'contoso');
  assert.equal(viaEnv.secretValuesDropped, 0);
  assert.deepEqual(
    value('listProjects')
      .map((p) => p.name)
      .sort(),
    mock.state.projects.map((p) => p.name).sort(),
  );
  assert.equal(value('organizationId'), mock.state.organization.id);
  // A conversion through the engine's fetch transport: sent once, settled, reverted inside the window.
  const converted = value('convertEndpoint');
  assert.ok(converted.id, `a convertible connection was planned (${JSON.stringify(converted)})`);
  assert.ok(['converted', 'converting'].includes(converted.first), `first outcome ${converted.first}`);
  assert.ok(converted.journal.includes('sent') && converted.journal.includes('answered'), 'the journal records the request and the answer');
  const settled = value('pollEndpoint');
  assert.equal(settled.outcome, 'converted');
  assert.match(settled.issuer ?? '', /^https:\/\//);
  assert.ok(Date.parse(settled.revertDeadline) > Date.now(), 'a revert deadline in the future');
  assert.deepEqual(value('revertEndpoint'), { outcome: 'reverted', scheme: 'ServicePrincipal' });
  assert.equal(mock.convertedTwice().length, 0, 'never converted twice');
  assert.deepEqual(mock.rejections(), [], 'the mock rejected nothing the engine sent');
  const authorized = mock.requests.filter((r) => r.path.includes('/_apis/'));
  assert.ok(authorized.length >= 4, 'the scans reached the mock');
});

test('usage: targets, a live load, verdicts, the gate, the report with usage, the pre-flight', () => {
  const targets = value('usageTargets');
  assert.ok(targets.length > 0 && targets.every((t) => typeof t.id === 'string' && typeof t.project === 'string'));
  const { load, events } = value('loadUsage');
  assert.equal(load.complete, true);
  assert.ok(load.connections.length > 0 && load.connections.every((c) => c.usage || c.unknown));
  assert.equal(events, load.connections.length + 1, 'a start event, then one per connection');
  const verdicts = value('usageVerdicts');
  assert.ok(verdicts.every((u) => u.known === false && typeof u.label === 'string'));
  assert.ok(
    verdicts.find((u) => u.tags.includes('disabledWithSecret')),
    'the demo has a disabled secret connection',
  );
  assert.deepEqual(value('unusedAtLeast'), { never: true, recent: false });
  assert.match(value('renderUsageReport').split('\n')[0], /,lastUsed,usedBy,jobs30d,usage,usageAction/);
  assert.ok(value('taskWarnings').some((w) => w.task === 'AzureFileCopy' && w.belowMajor === 6));
  // Without usage read, unused:DAYS matches nothing: the drafts only.
  assert.deepEqual(
    value('usageGateFailures'),
    value('classifyEndpoints')
      .filter((v) => v.state === 'draft')
      .map((v) => v.name),
  );
  const pre = value('preflightConnections');
  assert.equal(pre.complete, true);
  assert.ok(pre.connections.length > 0);
});
