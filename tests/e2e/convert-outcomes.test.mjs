// One conversion per outcome (200, 202 then Ready, 202 then Failed, 400 manual, 403, another
// operation in progress), a revert inside and after the window, the dry run, and a shared
// connection that is not converted from a project that doesn't own it. Every request goes
// from the Azure DevOps page (content script), every body is checked by the mock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScenario, startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { addAutomaticArm, convertible, convertViaUi, openAdoPage, openConvert, storedJob, waitState } from './convert-helpers.mjs';

let mock;
let browser;
let tabId;
let project;
let pool;

before(async () => {
  // A generated organization, plus a dozen automatic ARM service principals in the first project.
  const scenario = generateScenario({ seed: 11, projects: 3, connectionsPerProject: 12 });
  addAutomaticArm(scenario, { count: 12, name: (i) => `single-arm-${i}`, seed: 3 });
  mock = await startMock({ scenario, autoSignIn: true });
  project = mock.state.projects[0].name;
  pool = convertible(mock, project).filter((e) => e.name.startsWith('single-arm-'));
  assert.ok(pool.length >= 8, `the scenario has enough convertible connections (${pool.length})`);
  browser = await launchBrowser({ port: mock.port });
  ({ tabId } = await openAdoPage(browser, mock, project));
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const take = () => pool.shift();
const putsFor = (id) => mock.requests.filter((r) => r.method === 'PUT' && r.path.toLowerCase().includes(id.toLowerCase()));

async function single(id, extra) {
  const page = await convertViaUi(browser, mock, tabId, project, [id], extra);
  await waitState(page, ['done', 'paused', 'cancelled'], 90_000);
  const job = await storedJob(page, mock.org);
  const item = job.items.find((i) => i.id === id);
  return { page, job, item };
}

test('200: converted at once, with issuer, subject and revert deadline shown', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const { page, item, job } = await single(e.id);
  assert.equal(item.outcome, 'converted');
  assert.match(item.issuer ?? '', /^https:\/\//);
  assert.ok(item.subject, 'subject shown');
  assert.ok(Date.parse(item.revertDeadline) > Date.now(), 'revert deadline in the future');
  const text = await page.textContent(`[data-convert-item="${e.id}"]`);
  assert.match(text, /Issuer: https:/);
  assert.match(text, /Revert possible until/);
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'WorkloadIdentityFederation');
  assert.equal(putsFor(e.id).length, 1, 'one PUT');
  // The journal holds planned, sent (before) and answered, in that order.
  const steps = job.journal.filter((s) => s.endpointId === e.id).map((s) => s.kind);
  assert.deepEqual(steps.filter((k) => k !== 'job').slice(0, 1), ['planned']);
  assert.ok(steps.indexOf('sent') > 0 && steps.lastIndexOf('answered') > steps.indexOf('sent'), steps.join(','));
  await screenshot(page, 'e2e-convert-200');
  await page.close();
});

test('202 then Ready: polled until converted', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'B', outcome: 'Ready', pollsToSettle: 1 });
  const { item, page } = await single(e.id);
  assert.equal(item.outcome, 'converted', item.message ?? '');
  assert.ok(
    mock.requests.some((r) => r.method === 'GET' && r.path.toLowerCase().endsWith(e.id.toLowerCase())),
    'it polled the connection',
  );
  await page.close();
});

test('202 then Failed: says it failed', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'B', outcome: 'Failed', pollsToSettle: 1 });
  const { item, page } = await single(e.id);
  assert.equal(item.outcome, 'failed');
  assert.match(await page.textContent(`[data-convert-item="${e.id}"]`), /Failed/);
  await page.close();
});

test('400 manual: explains the manual path, and "Try again" converts once the credential exists', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'C' });
  const { item, page } = await single(e.id);
  assert.equal(item.outcome, 'needsManual');
  const box = await page.textContent(`[data-convert-manual="${e.id}"]`);
  assert.match(box, /federated credential/);
  assert.match(box, /api:\/\/AzureADTokenExchange/);
  // In place: the issuer, subject and audience to put on the identity, and the commands.
  const manual = `[data-convert-manual="${e.id}"]`;
  const field = (form, name) => page.textContent(`${manual} [data-form="${form}"] [data-field="${name}"]`);
  const orgId = mock.state.organization.id.toLowerCase();
  assert.match(await field('entra', 'issuer'), /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/);
  assert.equal((await field('entra', 'subject')).split('/sc/')[1], `${orgId}/${e.id}`);
  assert.equal(await field('entra', 'audience'), 'api://AzureADTokenExchange');
  assert.equal(await field('azureDevOps', 'issuer'), `https://vstoken.dev.azure.com/${orgId}`);
  assert.equal(await field('azureDevOps', 'subject'), `sc://${mock.org}/${project}/${e.name}`);
  assert.ok((await page.locator(`${manual} select option`).count()) >= 2, 'a format switch');
  assert.ok((await page.textContent(`${manual} pre`)).length > 20, 'the commands');
  assert.equal(await page.locator(`${manual} button`, { hasText: 'Copy' }).count(), 1, 'a copy button');
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'ServicePrincipal', 'not modified');
  mock.setMeta(e.id, { convert: 'A' }); // the owner added the federated credential
  await page.click(`[data-convert-item="${e.id}"] [data-action="retry"]`);
  await page.waitForSelector(`[data-convert-item="${e.id}"][data-outcome="converted"]`, { timeout: 30_000 });
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'WorkloadIdentityFederation');
  await page.close();
});

test('403: says which role is needed', async () => {
  const e = take();
  mock.setMeta(e.id, { admin: false });
  const { item, page } = await single(e.id);
  assert.equal(item.outcome, 'forbidden');
  assert.match(item.message, /Administrator/);
  await page.close();
});

test('another operation in progress: waits, then converts', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const page = await openConvert(browser, mock, { project, tab: String(tabId), ids: e.id });
  await waitState(page, ['plan']);
  // Between the plan and the confirmation, something else starts on the connection.
  mock.state.endpoints.get(e.id).operationStatus = { state: 'InProgress', statusMessage: 'updating_endpoint' };
  mock.setMeta(e.id, { busyPolls: 1 });
  await page.click('[data-action="confirm"]');
  await waitState(page, ['done'], 60_000);
  const job = await storedJob(page, mock.org);
  assert.equal(job.items[0].outcome, 'converted', job.items[0].message ?? '');
  const attempts = mock.conversions.filter((c) => c.id === e.id);
  assert.equal(attempts[0].status, 400, 'the first attempt met the running operation');
  assert.equal(attempts.at(-1).outcome, 'converted');
  assert.deepEqual(mock.convertedTwice(), []);
  await page.close();
});

test('dry run: the exact requests, nothing sent', async () => {
  const e = take();
  const before = mock.requests.filter((r) => r.method === 'PUT').length;
  const page = await openConvert(browser, mock, { project, tab: String(tabId), ids: e.id });
  await waitState(page, ['plan']);
  await page.click('[data-action="dry-run"]');
  await page.waitForSelector('[data-convert-dry-run="1"]');
  const body = JSON.parse(await page.textContent('.convert-body'));
  const stored = mock.getEndpoint(e.id);
  assert.equal(body.authorization.scheme, 'WorkloadIdentityFederation');
  assert.deepEqual(
    { ...body, authorization: { ...body.authorization, scheme: stored.authorization.scheme } },
    stored,
    'the body is the endpoint as read, scheme aside',
  );
  assert.equal(mock.requests.filter((r) => r.method === 'PUT').length, before, 'nothing sent');
  await page.close();
});

test('revert inside the window, and the explanation after it', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const { item, page } = await single(e.id);
  assert.equal(item.outcome, 'converted');
  await page.close();
  // Inside the window: the card's revert part offers it, with the time left.
  const card = await openConvert(browser, mock, { view: 'revert', project, tab: String(tabId), ids: e.id, deadline: item.revertDeadline });
  await waitState(card, ['revert-available']);
  assert.match(await card.textContent('[data-revert="available"]'), /left/);
  await card.click('[data-action="revert"]');
  await waitState(card, ['plan']);
  await card.click('[data-action="confirm"]');
  await waitState(card, ['done'], 60_000);
  const job = await storedJob(card, mock.org);
  assert.equal(job.items[0].outcome, 'reverted', job.items[0].message ?? '');
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'ServicePrincipal');
  await card.close();
  // After the window: explained, nothing offered.
  const late = await openConvert(browser, mock, {
    view: 'revert',
    project,
    tab: String(tabId),
    ids: e.id,
    deadline: new Date(Date.now() - 3_600_000).toISOString(),
  });
  await waitState(late, ['revert-unavailable']);
  assert.match(await late.textContent('[data-revert="unavailable"]'), /can no longer be reverted/);
  assert.equal(await late.$('[data-action="revert"]'), null);
  await late.close();
});

test('a shared connection is not converted from a project that does not own it', async () => {
  const owner = mock.state.projects[0];
  const other = mock.state.projects[1];
  const e = take();
  // Share it into the other project, through the mock's own PATCH (which keeps its index by project).
  const stored = mock.state.endpoints.get(e.id);
  mock.store.share(e.id, [{ projectReference: { id: other.id, name: other.name }, name: stored.name, description: '' }]);
  assert.equal(mock.state.endpoints.get(e.id).serviceEndpointProjectReferences.length, 2, 'shared');
  const { tabId: otherTab, page: otherPage } = await openAdoPage(browser, mock, other.name);
  const puts = mock.requests.filter((r) => r.method === 'PUT').length;
  const page = await openConvert(browser, mock, { project: other.name, tab: String(otherTab), ids: e.id });
  await waitState(page, ['plan']);
  const reason = await page.getAttribute(`[data-convert-plan="skip"] [data-id="${e.id}"]`, 'data-reason');
  assert.equal(reason, 'sharedFromAnotherProject');
  assert.equal(await page.isDisabled('[data-action="confirm"]'), true, 'nothing to convert from here');
  assert.equal(mock.requests.filter((r) => r.method === 'PUT').length, puts);
  // From its owning project, without selecting it, "all convertible" leaves it out too.
  const all = await openConvert(browser, mock, { project: owner.name, tab: String(tabId) });
  await waitState(all, ['plan']);
  assert.equal(await all.getAttribute(`[data-convert-plan="skip"] [data-id="${e.id}"]`, 'data-reason'), 'sharedNotSelected');
  await Promise.all([page.close(), all.close(), otherPage.close()]);
});

test('the mock rejected no body, and nothing was converted twice', () => {
  const bodyErrors = mock.rejections().filter((c) => /Properties cannot be changed|Project reference/.test(c.message));
  assert.deepEqual(bodyErrors, []);
  assert.deepEqual(mock.convertedTwice(), []);
});
