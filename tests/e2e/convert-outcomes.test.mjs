// One conversion per outcome (200, 202 then Ready, 202 then Failed, 400 manual, 403, another
// operation in progress), a revert inside and after the window, the dry run, and a shared
// connection that is not converted from a project that doesn't own it. Each is planned and
// confirmed in the panel over the project's page, as a user does; every request goes from the
// Azure DevOps page (content script), every body is checked by the mock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScenario, startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { addAutomaticArm, convertible, convertViaUi, planInPanel, storedJob, waitState } from './convert-helpers.mjs';
import { openPanel } from './panel-helpers.mjs';

let mock;
let browser;
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
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const take = () => pool.shift();
const putsFor = (id) => mock.requests.filter((r) => r.method === 'PUT' && r.path.toLowerCase().includes(id.toLowerCase()));

async function single(id) {
  const view = await convertViaUi(browser, mock, project, [id]);
  await waitState(view, ['done', 'paused', 'cancelled'], 90_000);
  const job = await storedJob(view, mock.org);
  const item = job.items.find((i) => i.id === id);
  return { view, page: view.page, panel: view.panel, area: view.area, job, item };
}

test('200: converted at once, with issuer, subject and revert deadline shown', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const { page, panel, area, item, job } = await single(e.id);
  assert.equal(item.outcome, 'converted');
  assert.match(item.issuer ?? '', /^https:\/\//);
  assert.ok(item.subject, 'subject shown');
  assert.ok(Date.parse(item.revertDeadline) > Date.now(), 'revert deadline in the future');
  const text = await panel.textContent(`${area} [data-convert-item="${e.id}"]`);
  assert.match(text, /Issuer: https:/);
  assert.match(text, /Revert possible until/);
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'WorkloadIdentityFederation');
  assert.equal(putsFor(e.id).length, 1, 'one PUT');
  // The journal holds planned, sent (before) and answered, in that order.
  const steps = job.steps(e.id);
  assert.deepEqual(steps.slice(0, 1), ['planned']);
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
  const { item, page, panel, area } = await single(e.id);
  assert.equal(item.outcome, 'failed');
  assert.match(await panel.textContent(`${area} [data-convert-item="${e.id}"]`), /Failed/);
  await page.close();
});

test('400 manual: explains the manual path, and "Try again" converts once the credential exists', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'C' });
  const { item, page, panel, area } = await single(e.id);
  assert.equal(item.outcome, 'manualRequired');
  assert.equal(item.detail, 'needsManual');
  const box = await panel.textContent(`${area} [data-convert-manual="${e.id}"]`);
  assert.match(box, /federated credential/);
  assert.match(box, /api:\/\/AzureADTokenExchange/);
  // In place: the issuer, subject and audience to put on the identity, and the commands.
  const manual = `${area} [data-convert-manual="${e.id}"]`;
  const field = (form, name) => panel.textContent(`${manual} [data-form="${form}"] [data-field="${name}"]`);
  const orgId = mock.state.organization.id.toLowerCase();
  assert.match(await field('entra', 'issuer'), /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/);
  assert.equal((await field('entra', 'subject')).split('/sc/')[1], `${orgId}/${e.id}`);
  assert.equal(await field('entra', 'audience'), 'api://AzureADTokenExchange');
  assert.equal(await field('azureDevOps', 'issuer'), `https://vstoken.dev.azure.com/${orgId}`);
  assert.equal(await field('azureDevOps', 'subject'), `sc://${mock.org}/${project}/${e.name}`);
  assert.ok((await panel.locator(`${manual} select option`).count()) >= 2, 'a format switch');
  assert.ok((await panel.textContent(`${manual} pre`)).length > 20, 'the commands');
  assert.equal(await panel.locator(`${manual} button`, { hasText: 'Copy' }).count(), 1, 'a copy button');
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'ServicePrincipal', 'not modified');
  mock.setMeta(e.id, { convert: 'A' }); // the owner added the federated credential
  await panel.click(`${area} [data-convert-item="${e.id}"] [data-action="retry"]`);
  await panel.waitForSelector(`${area} [data-convert-item="${e.id}"][data-outcome="converted"]`, { timeout: 30_000 });
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

test('an operation started between the plan and the confirmation: skipped with the difference, nothing sent', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const view = await planInPanel(browser, mock, { project, ids: [e.id] });
  const { page } = view;
  await waitState(view, ['plan']);
  // The confirmed plan is the contract: the job re-reads the connection before sending and
  // finds it no longer as planned (issue 10).
  mock.state.endpoints.get(e.id).operationStatus = { state: 'InProgress', statusMessage: 'updating_endpoint' };
  await view.panel.click(`${view.area} [data-action="confirm"]`);
  await waitState(view, ['done'], 60_000);
  const job = await storedJob(view, mock.org);
  assert.equal(job.items[0].outcome, 'skipped', job.items[0].message ?? '');
  assert.ok(
    job.items[0].differences.some((d) => d.field === 'operationStatus.state' && d.now === 'InProgress'),
    JSON.stringify(job.items[0].differences),
  );
  assert.equal(mock.conversions.filter((c) => c.id === e.id).length, 0, 'nothing sent');
  mock.state.endpoints.get(e.id).operationStatus = { state: 'Ready', statusMessage: '' };
  await page.close();
});

test('another operation in progress when the PUT arrives: waits, then converts', async () => {
  const e = take();
  mock.setMeta(e.id, { convert: 'A' });
  const view = await planInPanel(browser, mock, { project, ids: [e.id] });
  const { page } = view;
  await waitState(view, ['plan']);
  // Something else starts on the connection just as the scheme change arrives.
  mock.setMeta(e.id, { busyOnPut: 1 });
  await view.panel.click(`${view.area} [data-action="confirm"]`);
  await waitState(view, ['done'], 60_000);
  const job = await storedJob(view, mock.org);
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
  const view = await planInPanel(browser, mock, { project, ids: [e.id] });
  const { page, panel, area } = view;
  await waitState(view, ['plan']);
  await panel.click(`${area} [data-action="dry-run"]`);
  await panel.waitForSelector(`${area} [data-convert-dry-run="1"]`);
  const body = JSON.parse(await panel.textContent(`${area} .convert-body`));
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
  // Inside the window: the connection's details offer it, with the time left.
  const card = await planInPanel(browser, mock, { project, ids: [e.id], direction: 'revert' });
  assert.match(await card.panel.textContent('#details [data-action="revert"]'), /left/);
  await waitState(card, ['plan']);
  await card.panel.click(`${card.area} [data-action="confirm"]`);
  await waitState(card, ['done'], 60_000);
  const job = await storedJob(card, mock.org);
  assert.equal(job.items[0].outcome, 'reverted', job.items[0].message ?? '');
  assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'ServicePrincipal');
  await card.page.close();
  // After the window: explained, nothing offered. (Converted again, then its deadline passed.)
  const f = take();
  mock.setMeta(f.id, { convert: 'A' });
  const again = await single(f.id);
  assert.equal(again.item.outcome, 'converted');
  await again.page.close();
  mock.state.endpoints.get(f.id).data.revertSchemeDeadline = new Date(Date.now() - 3_600_000).toISOString();
  const lateView = await openPanel(browser, mock, project);
  await lateView.panel.click(`#inventory tbody button[data-open="${f.id}"]`);
  await lateView.panel.waitForSelector('#details [data-revert="unavailable"]');
  assert.match(await lateView.panel.textContent('#details [data-revert="unavailable"]'), /can no longer be reverted/);
  assert.equal(await lateView.panel.$('#details [data-action="revert"]'), null);
  await lateView.page.close();
});

test('a shared connection is not converted from a project that does not own it', async () => {
  const owner = mock.state.projects[0];
  const other = mock.state.projects[1];
  const e = take();
  // Share it into the other project, through the mock's own PATCH (which keeps its index by project).
  const stored = mock.state.endpoints.get(e.id);
  mock.store.share(e.id, [{ projectReference: { id: other.id, name: other.name }, name: stored.name, description: '' }]);
  assert.equal(mock.state.endpoints.get(e.id).serviceEndpointProjectReferences.length, 2, 'shared');
  const puts = mock.requests.filter((r) => r.method === 'PUT').length;
  // From the other project: ticked there (the panel offers no Convert… in its details).
  const view = await planInPanel(browser, mock, { project: other.name, ids: [e.id], tick: true });
  await waitState(view, ['plan']);
  const reason = await view.panel.getAttribute(`${view.area} [data-convert-plan="skip"] [data-id="${e.id}"]`, 'data-reason');
  assert.equal(reason, 'sharedFromAnotherProject');
  assert.equal(await view.panel.isDisabled(`${view.area} [data-action="confirm"]`), true, 'nothing to convert from here');
  assert.equal(mock.requests.filter((r) => r.method === 'PUT').length, puts);
  // From its owning project, without selecting it, "all convertible" leaves it out too.
  const all = await planInPanel(browser, mock, { project: owner.name });
  await waitState(all, ['plan']);
  assert.equal(
    await all.panel.getAttribute(`${all.area} [data-convert-plan="skip"] [data-id="${e.id}"]`, 'data-reason'),
    'sharedNotSelected',
  );
  await Promise.all([view.page.close(), all.page.close()]);
});

test('the mock rejected no body, and nothing was converted twice', () => {
  const bodyErrors = mock.rejections().filter((c) => /Properties cannot be changed|Project reference/.test(c.message));
  assert.deepEqual(bodyErrors, []);
  assert.deepEqual(mock.convertedTwice(), []);
});
