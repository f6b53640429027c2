// `federate audit --org URL --usage` against the mock's demo organization (recent, old,
// never-used, unreadable and disabled connections): the usage fields in JSON, CSV and Markdown,
// and `--fail-on unused:DAYS`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarioDemo, startMock } from '../mock/server.mjs';
import { installPacked } from './packed.mjs';

let pkg;
let mock;
let env;
before(async () => {
  pkg = installPacked();
  mock = await startMock({ scenario: scenarioDemo() });
  env = { AZURE_DEVOPS_EXT_PAT: mock.pat, SYSTEM_ACCESSTOKEN: '', NODE_EXTRA_CA_CERTS: mock.caPath };
});
after(async () => {
  await mock?.close();
  pkg?.cleanup();
});

const DAY = 86_400_000;

test('--usage adds lastUsed, usedBy and jobs30d to every connection, in JSON', async () => {
  const r = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--usage', '--format', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /reading the usage of \d+ connections/);
  assert.match(r.stderr, /usage unknown for 1 connection/);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.verdicts.length, mock.countEndpoints());
  for (const v of doc.verdicts) for (const k of ['lastUsed', 'usedBy', 'jobs30d', 'usage']) assert.ok(k in v, `${v.name} has ${k}`);
  const byName = (n) => doc.verdicts.find((v) => v.name === n);
  const prod = byName('payments-prod-arm');
  const meta = mock.state.meta.get('64171687-7a59-4fce-b2c8-823278dcf176');
  assert.equal(Date.parse(prod.lastUsed), Date.parse(meta.lastUsed));
  assert.equal(prod.jobs30d, 3);
  assert.deepEqual(
    prod.usedBy.map(({ definitionId, definitionName, planType, result }) => ({ definitionId, definitionName, planType, result })),
    [
      { definitionId: 12, definitionName: 'payments-deploy', planType: 'build', result: 'succeeded' },
      { definitionId: 3, definitionName: 'payments-release', planType: 'release', result: 'succeeded' },
    ],
  );
  assert.deepEqual(Object.keys(prod.usedBy[0]).sort(), ['definitionId', 'definitionName', 'lastRun', 'planType', 'result']);
  assert.equal(byName('payments-staging-arm').usage.label, 'unused for 120 days');
  assert.equal(byName('payments-staging-arm').usage.action, 'delete');
  assert.equal(byName('payments-legacy-spn').usage.label, 'never used');
  assert.equal(byName('payments-legacy-spn').lastUsed, null);
  const retired = byName('retired-batch-arm');
  assert.ok(retired.usage.tags.includes('disabledWithSecret'), 'disabled and still holding a secret');
  const cert = byName('ml-workspace-cert');
  assert.equal(cert.usage.known, false);
  assert.equal(cert.jobs30d, null);
  assert.match(cert.usage.reasons[0].message, /Usage unknown: you may not read/);
  assert.equal(doc.totals.usage.unknown, 1);
  assert.ok(!r.stdout.includes(mock.pat) && !r.stderr.includes(mock.pat), 'the token is never printed');
});

test('--usage in CSV, Markdown and the table; --usage needs --org', async () => {
  const csv = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--usage', '--format', 'csv'], { env });
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(csv.stdout.split('\n')[0], /,lastUsed,usedBy,jobs30d,usage,usageAction\r?$/);
  assert.match(csv.stdout, /payments-deploy \(build, [^)]+ succeeded\); payments-release \(release/);
  const md = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--usage', '--format', 'markdown'], { env });
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /\| Last used \| Use \| Used by \| Jobs \(30 d\) \| Action \|/);
  assert.match(md.stdout, /\| payments-staging-arm \|.*\| unused for 120 days \|.*\| delete \|/);
  const table = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--usage'], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^Name\s+.*\s+Use$/m);
  assert.match(table.stdout, /^payments-legacy-spn\s.*never used$/m);
  const offline = pkg.run(['audit', '-', '--usage'], { input: '[]' });
  assert.equal(offline.code, 2);
  assert.match(offline.stderr, /need --org/);
});

test('--fail-on unused:90 fails on exactly the connections unused 90+ days or never used', async () => {
  const r = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--fail-on', 'unused:90', '--format', 'json'], { env });
  assert.equal(r.code, 1, r.stderr);
  const listed = /--fail-on unused:90: \d+ connections? matched: (.*)$/m.exec(r.stderr)?.[1].split(', ').sort();
  // What the mock knows: the last use of each connection (none: never used), except the one whose history is unreadable.
  const now = Date.now();
  const expected = [];
  for (const [id, meta] of mock.state.meta) {
    if (meta.usage) continue;
    const last = meta.lastUsed ? Date.parse(meta.lastUsed) : null;
    if (last === null || now - last >= 90 * DAY) expected.push(mock.getEndpoint(id).name);
  }
  assert.deepEqual(listed, expected.sort());
  assert.ok(listed.includes('payments-staging-arm') && listed.includes('retired-batch-arm') && listed.includes('payments-legacy-spn'));
  assert.ok(!listed.includes('payments-prod-arm') && !listed.includes('ml-workspace-cert'));
  // Once every connection of a project was used yesterday: exit 0 for that project.
  for (const e of mock.endpointsFor('Payments'))
    mock.setMeta(e.id, { history: null, usage: null, lastUsed: new Date(now - DAY).toISOString() });
  const recent = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--fail-on', 'unused:90'], { env });
  assert.equal(recent.code, 0, recent.stderr);
  // With an engine gate beside it: the union, each connection once.
  const both = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--fail-on', 'draft,unused:90'], { env });
  assert.equal(both.code, 1, both.stderr);
  const listed2 = await pkg.runLive(['audit', '--org', mock.localOrgUrl, '--project', 'Payments', '--format', 'json'], { env });
  const drafts = JSON.parse(listed2.stdout)
    .verdicts.filter((v) => v.state === 'draft')
    .map((v) => v.name);
  assert.ok(drafts.length >= 2 && drafts.includes('payments-dr (draft)'), drafts.join(', '));
  assert.equal(/matched: (.*)$/m.exec(both.stderr)?.[1], drafts.join(', '), 'every draft, and no connection unused 90+ days');
  const bad = pkg.run(['audit', '-', '--fail-on', 'unused:soon'], { input: '[]' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"unused:soon" is not one of/);
});
