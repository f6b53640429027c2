// The panel: opened from the summary bar over the Azure DevOps page; the project's
// inventory; an organization of 200 generated projects scanned with progress, results as
// projects finish, every connection exactly once (against the mock's own count), and
// cancel; filter, search, sort, details, export; and the error states with recovery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { adoIssuer, adoSubject, entraIssuer, entraSubject } from '../mock/federation.mjs';
import { startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { listPath, openPanel, panelFrame, scanState } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  mock = await startMock({ seed: 23, projects: 200, connectionsPerProject: 3, autoSignIn: true, latencyMs: [0, 4] });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

test('the project inventory: table, filter, search, sort, details with remedies, export', async () => {
  const project = mock.state.projects[0].name;
  const { page, panel } = await openPanel(browser, mock, project);
  const expected = mock.endpointsFor(project).length;
  assert.equal(
    await panel.evaluate(() => Number(document.documentElement.dataset.federateTotal)),
    expected,
    'every connection of the project is listed',
  );
  assert.equal(await panel.locator('#inventory tbody tr').count(), expected);

  // Filter and search narrow the rows and the counts say so.
  await panel.selectOption('#filter', 'federated');
  const federated = await panel.locator('#inventory tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.credential));
  assert.ok(
    federated.every((c) => c === 'federated'),
    'the filter keeps only federated connections',
  );
  assert.match(await panel.textContent('#counts'), new RegExp(`Showing ${federated.length} of ${expected}`));
  await panel.selectOption('#filter', 'all');
  const someName = mock.endpointsFor(project)[0].name;
  await panel.fill('#search', someName);
  assert.ok((await panel.locator('#inventory tbody tr').count()) >= 1);
  await panel.fill('#search', '');

  // Sort by name, both ways.
  await panel.click('button[data-sort="name"]');
  const desc = await panel.locator('#inventory tbody th').allTextContents();
  assert.deepEqual(
    desc,
    [...desc].sort((a, b) => b.localeCompare(a, undefined, { sensitivity: 'base', numeric: true })),
    'sorted descending',
  );

  // Details by keyboard: focus a name, Enter.
  await panel.focus('#inventory tbody th button');
  await page.keyboard.press('Enter');
  await panel.waitForSelector('#details:not([hidden])');
  assert.ok((await panel.textContent('#details')).length > 20);
  assert.ok(await panel.locator('#details a[href*="resourceId="]').count(), 'a link to the connection in Azure DevOps');

  // Export: a file download, made in the panel.
  const [download] = await Promise.all([page.waitForEvent('download'), panel.click('button[data-export="csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.split(/\r?\n/).filter(Boolean).length >= expected, 'the CSV has a line per connection');
  const [json] = await Promise.all([page.waitForEvent('download'), panel.click('button[data-export="json"]')]);
  assert.ok(readFileSync(await json.path(), 'utf8').trim().length > 2);
  await screenshot(page, 'extension-panel-project');

  // Escape closes the panel.
  await panel.press('#search', 'Escape');
  await page.waitForFunction(() => document.documentElement.dataset.federatePanel === 'closed');
  await page.close();
});

test("details of a connection no federated credential applies to say why, in the engine's words", async () => {
  const types = ['github', 'generic', 'ssh', 'kubernetes', 'externaltfs'];
  const home = mock.state.projects.find((p) => mock.endpointsFor(p.name).some((e) => types.includes(e.type)));
  assert.ok(home, 'the organization has a connection no federated credential applies to');
  const e = mock.endpointsFor(home.name).find((x) => types.includes(x.type));
  const { page, panel } = await openPanel(browser, mock, home.name);
  await panel.click(`#inventory tbody button[data-open="${String(e.id).toLowerCase()}"]`);
  const reason = panel.locator('#details .federate-remedies [data-remedy-reason]');
  await reason.waitFor();
  assert.match(await reason.textContent(), /\S/, `${e.name} (${e.type}): the engine says why no remedy applies`);
  assert.equal(await panel.locator('#details .federate-remedies select').count(), 0, 'no format switch without remedies');
  await page.close();
});

test('an organization of 200 projects: progress, results as projects finish, every connection exactly once; cancel', async () => {
  const { page, panel } = await openPanel(browser, mock, mock.state.projects[0].name);
  await panel.click('#scan-org');
  // Results appear before the scan ends.
  await panel.waitForFunction(
    () => {
      const [done, total] = (document.documentElement.dataset.federateProgress ?? '0/0').split('/').map(Number);
      return total === 200 && done > 0 && done < total && Number(document.documentElement.dataset.federateTotal) > 0;
    },
    null,
    { timeout: 60_000 },
  );
  assert.equal(await panel.locator('#progress').isVisible(), true, 'a progress bar is shown');
  await scanState(panel, ['done']);
  const ids = await panel.locator('#inventory tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.federateId));
  assert.equal(new Set(ids).size, ids.length, 'no connection is listed twice');
  assert.equal(ids.length, mock.countEndpoints(), 'every connection of the organization is listed');
  await screenshot(page, 'extension-panel-organization');

  // Cancel part way. Latency keeps the scan running long enough (200 projects at 16 in
  // flight x 150 ms is at least 2 s) that the cancel can't lose a race with the scan's end.
  mock.control({ latencyMs: 150 });
  await panel.click('#scan-org');
  await panel.waitForFunction(() => Number((document.documentElement.dataset.federateProgress ?? '0/0').split('/')[0]) >= 5);
  await panel.click('#cancel');
  await scanState(panel, ['cancelled']);
  const [done, total] = (await panel.evaluate(() => document.documentElement.dataset.federateProgress)).split('/').map(Number);
  assert.ok(done < total, `cancelled before the end (${done}/${total})`);
  assert.match(await panel.textContent('#status'), /cancelled/i);
  mock.control({ latencyMs: 0 });

  // A project that can't be read leaves the scan incomplete, and the panel says which (the
  // engine's line), instead of "Scan finished" over rows that are not the whole organization.
  assert.equal(await panel.locator('#incomplete-notice').isHidden(), true, 'a full scan has no gaps to report');
  const unread = mock.state.projects[7];
  const esc = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  mock.control({
    faults: { scope: `/(${unread.id}|${esc(encodeURIComponent(unread.name))})/_apis/serviceendpoint`, failRate: 1, failStatus: 403 },
  });
  try {
    await panel.click('#scan-org');
    await scanState(panel, ['done']);
  } finally {
    mock.control({ faults: { scope: '/_apis/', failRate: 0, failStatus: 503 } });
  }
  const notice = await panel.textContent('#incomplete-notice');
  assert.equal(await panel.locator('#incomplete-notice').isVisible(), true, 'the gap is shown');
  assert.match(notice, /^1 of 200 projects could not be read: /);
  assert.ok(notice.includes(unread.name), notice);
  assert.match(await panel.textContent('#status'), /incomplete/i);
  await page.close();
});

test('signed out, throttled and failing servers show their states, and recover', async () => {
  const project = mock.state.projects[1].name;
  // Signed out: the summary bar and the panel say so, with a sign-in link.
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await waitForFederate(page);
  mock.control({ signOut: true });
  await page.click('.federate-bar .federate-open-panel');
  const panel = await panelFrame(page);
  await scanState(panel, ['error']);
  assert.equal(await panel.evaluate(() => document.documentElement.dataset.federateErrorKind), 'signedOut');
  assert.ok(await panel.locator('#sign-in').count(), 'a sign-in link');
  // The redirect variant: the service answers `_apis` calls with a 302 to the sign-in page even
  // with the suppress header; the relay's `redirect: 'manual'` fetch sees an opaque redirect
  // (status 0, no headers), which the engine reads as signed out (not a malformed answer).
  mock.control({ signedOutAnswer: 'redirect' });
  await panel.click('#scan-project');
  await scanState(panel, ['error']);
  assert.equal(await panel.evaluate(() => document.documentElement.dataset.federateErrorKind), 'signedOut');
  assert.match(await panel.textContent('#alert'), /signed out/i, 'the user reads "signed out"');
  mock.control({ signIn: true, signedOutAnswer: '203' });
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await waitForFederate(page);

  // Server failure: the page's own load may fail too; the panel shows a retry that works.
  await page.click('.federate-bar .federate-open-panel');
  const panel2 = await panelFrame(page);
  await scanState(panel2, ['done']);
  mock.control({ faults: { failNext: 50, failStatus: 503, scope: 'serviceendpoint' } });
  await panel2.click('#scan-project');
  await scanState(panel2, ['error']);
  assert.equal(await panel2.evaluate(() => document.documentElement.dataset.federateErrorKind), 'server');
  mock.control({ faults: { failNext: 0 } });
  await panel2.click('#retry');
  await scanState(panel2, ['done']);

  // Throttled: blocked with a wait longer than the client will sit out; the panel says how long.
  mock.control({ throttle: { limit: 1, blockAt: 2, windowMs: 300_000, delayMs: 0 } });
  for (let i = 0; i < 5; i++) {
    await panel2.click('#scan-project');
    await scanState(panel2, ['error', 'done']);
    if ((await panel2.evaluate(() => document.documentElement.dataset.federateScan)) === 'error') break;
  }
  assert.equal(await panel2.evaluate(() => document.documentElement.dataset.federateErrorKind), 'throttled');
  assert.match(await panel2.textContent('#alert'), /Wait \d+ seconds/);
  mock.control({ throttle: false, resetThrottle: true });
  await panel2.click('#scan-project');
  await scanState(panel2, ['done']);
  await screenshot(page, 'extension-panel-recovered');
  await page.close();
});

test('details of a manual connection and of a draft show the manual path: the exact issuer, subject and audience, and the commands', async () => {
  const lc = (s) => String(s ?? '').toLowerCase();
  const param = (e, k) => Object.entries(e.authorization?.parameters ?? {}).find(([key]) => lc(key) === lc(k))?.[1] ?? null;
  const single = (e) => e.serviceEndpointProjectReferences.length === 1 && !e.isShared && !e.isDisabled && e.isReady !== false;
  const endpoints = [...mock.state.endpoints.values()];
  // A manual service principal with a secret (the verdict's `manual`), and a draft.
  const manual = endpoints.find(
    (e) =>
      e.type === 'azurerm' &&
      e.authorization?.scheme === 'ServicePrincipal' &&
      lc(param(e, 'authenticationType')) === 'spnkey' &&
      lc(e.data?.creationMode) === 'manual' &&
      !e.operationStatus &&
      single(e),
  );
  const draft = endpoints.find((e) => e.type === 'azurerm' && lc(e.data?.isDraft) === 'true' && single(e));
  assert.ok(manual && draft, 'the organization has a manual connection and a draft');
  const org = mock.state.organization;
  for (const e of [manual, draft]) {
    const home = e.serviceEndpointProjectReferences[0];
    const { page, panel } = await openPanel(browser, mock, home.projectReference.name);
    await panel.click(`#inventory tbody button[data-open="${lc(e.id)}"]`);
    const box = `#details [data-manual-path="${lc(e.id)}"]`;
    await panel.waitForSelector(box);
    const field = (form, name) => panel.textContent(`${box} [data-form="${form}"] [data-field="${name}"]`);
    const tenantId = param(e, 'tenantid');
    assert.equal(await field('entra', 'issuer'), entraIssuer(tenantId), `${e.name}: Entra issuer`);
    assert.equal(await field('entra', 'subject'), entraSubject({ tenantId, orgId: org.id, endpointId: e.id }), `${e.name}: Entra subject`);
    assert.equal(await field('entra', 'audience'), 'api://AzureADTokenExchange');
    assert.equal(await field('azureDevOps', 'issuer'), adoIssuer(org.id), `${e.name}: Azure DevOps issuer`);
    assert.equal(
      await field('azureDevOps', 'subject'),
      adoSubject({ org: org.name, project: home.projectReference.name, name: home.name ?? e.name }),
      `${e.name}: Azure DevOps subject`,
    );
    // The remedies: a format switch and copy, inside the box; the generic remedies are not repeated.
    assert.ok((await panel.locator(`${box} select option`).count()) >= 2, 'a format switch');
    assert.ok(await panel.locator(`${box} button`, { hasText: 'Copy' }).count(), 'a copy button');
    assert.match(await panel.textContent(`${box} pre`), /\S/);
    assert.equal(await panel.locator('#details .federate-remedies').count(), 1, 'one remedies section in the details');
    if (e === draft) {
      assert.equal(param(e, 'workloadIdentityFederationSubject'), await field('entra', 'subject'), 'the draft carries that subject');
      assert.match(await panel.textContent(box), /Finish setup/);
    } else assert.match(await panel.textContent(box), /add the federated credential to the identity first, then convert/);
    await screenshot(page, `extension-panel-manual-path-${e === draft ? 'draft' : 'manual'}`);
    await page.close();
  }
});

test('an organization scan throttled by Azure DevOps shows the wait and still completes', async () => {
  const { page, panel } = await openPanel(browser, mock, mock.state.projects[0].name);
  // A small budget in a short window: the engine's client gets 429s with a Retry-After of
  // a second or two, pauses the whole scan, and goes on.
  mock.control({ throttle: { limit: 40, blockAt: 40, windowMs: 2_000, delayMs: 0 }, resetThrottle: true });
  const start = mock.requests.length;
  try {
    await panel.click('#scan-org');
    await panel.waitForFunction(() => document.documentElement.dataset.federateWaiting === 'throttled', null, { timeout: 60_000 });
    const text = await panel.textContent('#status');
    assert.match(text, /Throttled by Azure DevOps: waiting \d+ s/);
    assert.equal(await panel.evaluate(() => document.documentElement.dataset.federateScan), 'running', 'still running while it waits');
    await screenshot(page, 'extension-panel-throttled');
    await scanState(panel, ['done', 'error']);
    assert.equal(await panel.evaluate(() => document.documentElement.dataset.federateScan), 'done', 'the scan completes after the waits');
    const ids = await panel.locator('#inventory tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.federateId));
    assert.equal(new Set(ids).size, ids.length, 'no connection is listed twice');
    assert.equal(ids.length, mock.countEndpoints(), 'every connection of the organization is listed');
    assert.equal(await panel.evaluate(() => document.documentElement.dataset.federateWaiting), undefined, 'the wait is cleared');
    assert.ok(mock.requests.slice(start).filter((r) => r.route === 'throttled').length > 0, 'the mock did block requests');
  } finally {
    mock.control({ throttle: false, resetThrottle: true });
  }
  await page.close();
});
