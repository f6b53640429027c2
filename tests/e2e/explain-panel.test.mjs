// The engine explains, the panel draws: a draft's details show its issuer and its subject
// segment by segment as the engine lists them (a meaning for every segment, the check against
// this organization and connection), only the segments of the subject's format, no empty
// column. Against the mock's demo organization: an Entra draft and an Azure DevOps issuer
// connection. Screenshots in tests/.out/screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { scenarioDemo, startMock } from '../mock/server.mjs';
import { openPanel } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  mock = await startMock({ scenario: scenarioDemo(), autoSignIn: true });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

/** The rows of a segments table in the open details: label, text, value, meaning, check word and check. */
const segmentRows = (panel, what) =>
  panel.locator(`#details table[data-federate-segments="${what}"] tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => ({
      label: tr.querySelector('th')?.firstChild?.textContent ?? '',
      text: tr.querySelector('th code')?.textContent ?? '',
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
      check: tr.dataset.check ?? '',
    })),
  );

/** Opens the details of the connection named `name` in `project`; returns the page and the panel. */
async function details(project, name) {
  const endpoint = mock.endpointsFor(project).find((e) => e.name === name);
  assert.ok(endpoint, `the demo organization has ${name}`);
  const { page, panel } = await openPanel(browser, mock, project);
  await panel.click(`#inventory tbody button[data-open="${endpoint.id.toLowerCase()}"]`);
  await panel.waitForSelector('#details:not([hidden]) table[data-federate-segments="subject"]');
  return { page, panel, endpoint };
}

/** Every row has a label, its text as written, a value, a meaning and a check: no empty column. */
function assertFull(rows, what) {
  assert.ok(rows.length > 0, `${what}: segments are shown`);
  for (const r of rows) {
    assert.ok(r.label.trim(), `${what}: a label`);
    assert.ok(r.text.trim(), `${what} ${r.label}: the text as written`);
    assert.equal(r.cells.length, 3, `${what} ${r.label}: value, meaning, check`);
    for (const c of r.cells) assert.ok(c.trim().length > 0, `${what} ${r.label}: no empty cell (${JSON.stringify(r.cells)})`);
    assert.ok(['matches', 'differs', 'unknown'].includes(r.check), `${what} ${r.label}: check ${r.check}`);
  }
}

test("a draft's details: its Entra subject and issuer segment by segment, a meaning for each, only the Entra segments", async () => {
  const { page, panel, endpoint } = await details('Payments', 'payments-dr (draft)');
  const subject = endpoint.authorization.parameters.workloadIdentityFederationSubject;
  assert.match(subject, /^\/eid1\//, 'the draft is in the Entra format');
  assert.equal(await panel.getAttribute('#details table[data-federate-segments="subject"]', 'data-format'), 'entra');

  const rows = await segmentRows(panel, 'subject');
  assertFull(rows, 'subject');
  assert.deepEqual(
    rows.map((r) => r.label),
    ['Format marker', 'Cloud', 'Tenant', 'Application', 'Service connection', 'Organization id', 'Connection id'],
    'the segments of an Entra subject, in order: no organization, project or connection name row',
  );
  assert.equal(rows.map((r) => r.text).join('/'), subject, 'the rows are the subject as written, in order');
  const by = Object.fromEntries(rows.map((r) => [r.label, r]));
  assert.equal(by.Tenant.cells[0], endpoint.authorization.parameters.tenantid, 'the tenant decoded from base64url');
  assert.match(by.Tenant.cells[1], /^Tenant that issues the token: /);
  // Checked against this organization (its id from connectionData) and this connection.
  for (const label of ['Tenant', 'Application', 'Organization id', 'Connection id'])
    assert.equal(by[label].check, 'matches', `${label} matches: ${JSON.stringify(by[label])}`);
  assert.equal(by['Organization id'].cells[0], mock.state.organization.id);

  const issuer = await segmentRows(panel, 'issuer');
  assertFull(issuer, 'issuer');
  assert.deepEqual(
    issuer.map((r) => r.label),
    ['Issuer', 'Tenant', 'Version'],
  );
  const caption = await panel.textContent('#details table[data-federate-segments="subject"] caption');
  assert.match(caption, /Entra issuer format/);
  await panel.locator('#details table[data-federate-segments="subject"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'explain-panel-draft-segments');
  await page.close();
});

test('an Azure DevOps issuer connection: the sc:// segments (names, checked), the issuer retiring on 2027-07-01', async () => {
  const { page, panel, endpoint } = await details('Web Platform', 'web-prod-arm');
  assert.match(endpoint.authorization.parameters.workloadIdentityFederationSubject, /^sc:\/\//);
  const rows = await segmentRows(panel, 'subject');
  assertFull(rows, 'subject');
  assert.deepEqual(
    rows.map((r) => [r.label, r.check]),
    [
      ['Format marker', 'matches'],
      ['Organization name', 'matches'],
      ['Project name', 'matches'],
      ['Connection name', 'matches'],
    ],
    'the segments of an sc:// subject only (no tenant or id row), each matching the current names',
  );
  const issuer = await segmentRows(panel, 'issuer');
  assertFull(issuer, 'issuer');
  assert.deepEqual(
    issuer.map((r) => r.label),
    ['Issuer', 'Organization id'],
  );
  assert.match(issuer[0].cells[1], /retires on 2027-07-01/);
  await screenshot(page, 'explain-panel-azure-devops-issuer');
  await page.close();
});

test("an organization named in another case: the subject still matches, and the expected subject keeps the subject's spelling", async () => {
  // Organization names are case-insensitive; the page says `contoso-demo`, the subject `CONTOSO-DEMO`.
  const id = mock
    .endpointsFor('Web Platform')
    .find((e) => e.name === 'web-prod-arm')
    .id.toLowerCase();
  const stored = mock.store.endpoints.get(id).authorization.parameters;
  const recased = mock.org.toUpperCase();
  assert.notEqual(recased, mock.org, 'the organization name has letters to re-case');
  stored.workloadIdentityFederationSubject = `sc://${recased}/Web Platform/web-prod-arm`;
  const expectedRows = (panel) =>
    panel
      .locator('#details dl.federate-facts dt')
      .evaluateAll((dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ''])));
  const warningCodes = (panel) => panel.locator('#details .federate-warnings li').evaluateAll((lis) => lis.map((li) => li.dataset.code));

  let { page, panel } = await details('Web Platform', 'web-prod-arm');
  const rows = await segmentRows(panel, 'subject');
  assert.deepEqual(
    rows.map((r) => [r.label, r.text, r.check]),
    [
      ['Format marker', 'sc://', 'matches'],
      ['Organization name', recased, 'matches'],
      ['Project name', 'Web Platform', 'matches'],
      ['Connection name', 'web-prod-arm', 'matches'],
    ],
  );
  assert.ok(!(await warningCodes(panel)).includes('subjectRenamed'), 'no rename warning for a re-cased organization');
  let facts = await expectedRows(panel);
  assert.ok(!('Expected subject' in facts) && !('Expected issuer' in facts), `nothing differs: ${JSON.stringify(facts)}`);
  await page.close();

  // A renamed connection: the engine's expected subject is drawn, in the subject's spelling.
  stored.workloadIdentityFederationSubject = `sc://${recased}/Web Platform/web-prod-arm-old`;
  ({ page, panel } = await details('Web Platform', 'web-prod-arm'));
  facts = await expectedRows(panel);
  assert.equal(facts['Expected subject'], `sc://${recased}/Web Platform/web-prod-arm`);
  assert.ok(!('Expected issuer' in facts), 'the issuer is as expected');
  assert.ok((await warningCodes(panel)).includes('subjectRenamed'));
  await page.close();
});
