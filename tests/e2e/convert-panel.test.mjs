// Conversions reachable from the panel and the card: the panel's details of a convertible
// connection offer "Convert…", which shows the plan; confirming converts it (one PUT, nothing
// rejected by the mock); the History tab lists the job; rescanned, it offers Revert…; the inventory has labelled selection
// checkboxes and the bulk buttons; the card's "Convert…" only opens the panel on that
// connection (the content script sends no conversion).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScenario, startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { addAutomaticArm, convertible } from './convert-helpers.mjs';
import { convertState, listPath, openPanel, scannedPanel, scanState } from './panel-helpers.mjs';

let mock;
let browser;
let project;
let pool;

before(async () => {
  const scenario = generateScenario({ seed: 21, projects: 2, connectionsPerProject: 6 });
  addAutomaticArm(scenario, { count: 3, name: (i) => `panel-arm-${i}`, seed: 5 });
  mock = await startMock({ scenario, autoSignIn: true });
  project = mock.state.projects[0].name;
  pool = convertible(mock, project).filter((e) => e.name.startsWith('panel-arm-'));
  assert.equal(pool.length, 3, 'the scenario has the added convertible connections');
  for (const e of pool) mock.setMeta(e.id, { convert: 'A' });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

test('panel: details → Convert… → plan → confirm → converted; History lists it; card opens the panel on a connection', {
  timeout: 60_000,
}, async () => {
  const [first, second] = pool;
  const { page, panel } = await openPanel(browser, mock, project);

  // The inventory: a labelled checkbox per row, and the bulk buttons.
  const box = panel.locator(`#inventory tbody tr[data-federate-id="${first.id}"] input[type="checkbox"]`);
  assert.equal(await box.getAttribute('aria-label'), `Select ${first.name}`);
  assert.ok(await panel.isDisabled('#convert-selected'), 'nothing selected yet');
  await box.focus();
  await panel.press(`#inventory tbody tr[data-federate-id="${first.id}"] input[type="checkbox"]`, 'Space');
  assert.ok(await box.isChecked(), 'the keyboard ticks it');
  // Enabled once the clickjacking guard has seen it for a moment (frames.test.mjs checks the guard).
  await panel.waitForSelector('#convert-selected:not([disabled])', { timeout: 10_000 });
  assert.match(await panel.textContent('#picked'), /1 selected/);
  await box.uncheck();

  // Details of a convertible connection → Convert… → the plan with one connection to send.
  await panel.click(`#inventory tbody button[data-open="${first.id}"]`);
  const area = `[data-federate-convert="${first.id}"]`;
  await panel.click('#details [data-action="convert"]');
  await convertState(panel, area, ['plan']);
  const send = await panel.locator(`${area} [data-convert-plan="send"] li`).evaluateAll((li) => li.map((l) => l.dataset.id));
  assert.deepEqual(
    send.map((s) => s.toLowerCase()),
    [first.id.toLowerCase()],
  );
  assert.match(await panel.textContent(`${area} .convert-confirm`), /WorkloadIdentityFederation/);
  assert.equal(mock.conversions.length, 0, 'the plan sends nothing');
  await screenshot(page, 'e2e-convert-panel-plan');

  await panel.click(`${area} [data-action="confirm"]`);
  await convertState(panel, area, ['done']);
  const item = panel.locator(`${area} [data-convert-item="${first.id}"]`);
  assert.equal(await item.getAttribute('data-outcome'), 'converted', await item.textContent());
  assert.equal(mock.conversions.length, 1, 'exactly one conversion');
  assert.equal(mock.conversions[0].id.toLowerCase(), first.id.toLowerCase());
  assert.deepEqual(mock.rejections(), []);
  assert.equal(mock.getEndpoint(first.id).authorization.scheme, 'WorkloadIdentityFederation');
  // Without a rescan, the table and the details show the new verdict.
  const row = panel.locator(`#inventory tbody tr[data-federate-id="${first.id}"]`);
  await panel.waitForFunction(
    (id) => document.querySelector(`#inventory tbody tr[data-federate-id="${id}"]`)?.dataset.credential === 'federated',
    first.id,
    { timeout: 10_000 },
  );
  assert.equal(await row.getAttribute('data-credential'), 'federated');
  assert.match(await panel.textContent('#details [data-action="revert"]'), /^Revert… \(\d+ days? \d+ hours? left\)$/);
  assert.equal(await panel.locator('#details [data-action="convert"]').count(), 0, 'no Convert… on a converted connection');
  assert.equal(
    await panel.locator(`${area} [data-convert-item="${first.id}"]`).getAttribute('data-outcome'),
    'converted',
    'the job stays on screen',
  );

  // History tab: the job is listed.
  await panel.click('#tab-history');
  await convertState(panel, '#view-history', ['history']);
  const jobs = panel.locator('#view-history .convert-history > li');
  assert.equal(await jobs.count(), 1);
  assert.equal(await jobs.first().getAttribute('data-state'), 'done');
  assert.match(await jobs.first().textContent(), /convert · 1 connection/);
  // Clear finished jobs (what the storage-full pause asks for): after the user confirms,
  // History is empty; local history only, nothing is sent.
  const sentBefore = mock.requests.length;
  page.once('dialog', (d) => void d.accept());
  await panel.click('#view-history [data-action="clear-finished"]');
  await panel.waitForFunction(() => document.querySelectorAll('#view-history .convert-history > li').length === 0);
  assert.equal(await panel.locator('#view-history [data-action="clear-finished"]').isDisabled(), true);
  assert.equal(mock.requests.length, sentBefore, 'clearing History sends nothing');

  // Scanned again, the converted connection offers Revert… with the time left, not Convert….
  await panel.click('#tab-inventory');
  await panel.click('#scan-project');
  await scanState(panel, ['done'], 30_000);
  await panel.click(`#inventory tbody button[data-open="${first.id}"]`);
  assert.match(await panel.textContent('#details [data-action="revert"]'), /^Revert… \(\d+ days? \d+ hours? left\)$/);
  assert.equal(await panel.locator('#details [data-action="convert"]').count(), 0);
  await page.close();

  // The card: Convert… opens the panel on that connection's details (a view, not an action:
  // no plan until the user clicks Convert… there, and focus never on the confirming button);
  // nothing is sent.
  const cardPage = await browser.context.newPage();
  await cardPage.goto(mock.signInUrl(`${listPath(mock, project)}?resourceId=${second.id}`));
  await cardPage.waitForFunction(() => document.documentElement.dataset.federateCard === 'ready', null, { timeout: 20_000 });
  await cardPage.click('.federate-card [data-federate-slot="actions"] [data-federate-action="convert"]');
  const cardPanel = await scannedPanel(cardPage);
  await cardPanel.waitForFunction(
    (id) => document.getElementById('details')?.dataset.federateId === id && !document.getElementById('details').hidden,
    second.id.toLowerCase(),
  );
  const cardArea = `[data-federate-convert="${second.id.toLowerCase()}"]`;
  assert.equal(await cardPanel.locator(`${cardArea} [data-action="confirm"]`).count(), 0, 'no plan opened by itself');
  await cardPanel.click('#details [data-action="convert"]');
  await convertState(cardPanel, cardArea, ['plan']);
  assert.equal(
    await cardPanel.evaluate(() => document.activeElement?.dataset.action ?? document.activeElement?.className ?? ''),
    'convert-confirm',
    'focus on the plan dialog, not on its confirming button',
  );
  assert.equal(mock.conversions.length, 1, 'opening the panel from the card converts nothing');

  // The worker no longer holds the confirmed plan (it restarted while the dialog was open):
  // confirming sends nothing and asks for the plan again, never a plan the user did not see.
  await cardPanel.evaluate(() => {
    const original = chrome.runtime.sendMessage.bind(chrome.runtime);
    chrome.runtime.sendMessage = (m, ...rest) => original(m?.type === 'convert.start' ? { ...m, planId: 'forgotten' } : m, ...rest);
  });
  await cardPanel.waitForSelector(`${cardArea} [data-action="confirm"]:not([disabled])`, { timeout: 10_000 });
  await cardPanel.click(`${cardArea} [data-action="confirm"]`);
  await cardPanel.waitForSelector(`${cardArea} .convert-error`, { timeout: 10_000 });
  assert.match(await cardPanel.textContent(`${cardArea} .convert-error`), /no longer held.*Nothing was sent/);
  assert.equal(mock.conversions.length, 1, 'a forgotten plan is not made again and sent');
  await cardPage.close();
});

// Seen failing with planInto clearing the other views without aborting them (the job view's
// storage listener kept redrawing the finished job next to the new plan).
test('a new plan stops the job view it clears: no redraw of the old job next to the plan', { timeout: 60_000 }, async () => {
  const third = pool[2];
  const { page, panel } = await openPanel(browser, mock, project);
  await panel.click(`#inventory tbody button[data-open="${third.id}"]`);
  const area = `[data-federate-convert="${third.id}"]`;
  await panel.click('#details [data-action="convert"]');
  await convertState(panel, area, ['plan']);
  await panel.click(`${area} [data-action="confirm"]`);
  await convertState(panel, area, ['done']);
  const jobId = await panel.evaluate((sel) => document.querySelector(sel)?.dataset.convertJob, area);
  assert.ok(jobId, 'the job view is drawn');

  // Convert all convertible…: the bulk plan; the connection's job view is cleared.
  await panel.click('#convert-all');
  await convertState(panel, '#bulk-convert', ['plan']);
  assert.equal(await panel.evaluate((sel) => document.querySelector(sel)?.childElementCount, area), 0, 'the job view was cleared');

  // A write to the old job's keys (as a worker appending records would): nothing redraws it.
  await panel.evaluate(
    async ([org, id]) => chrome.storage.local.set({ [`federate.job.${org.toLowerCase()}.${id}.r.999`]: [] }),
    [mock.org, jobId],
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await panel.evaluate((sel) => document.querySelector(sel)?.childElementCount, area), 0, 'the old job view stays cleared');
  assert.equal(await panel.locator('#convert-confirm-title').count(), 1, 'one plan dialog, no duplicate ids');
  await page.close();
});
