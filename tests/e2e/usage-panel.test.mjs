// Usage in the panel, against the mock's demo organization: "disabled with a secret" works
// before any usage is read; "Load usage for all" fills the Last used column (sorted by last
// use, never used first) and the filters; the details list the pipelines that used a
// connection; a conversion plan shows the pre-flight with its warning (screenshot); a load
// throttled by Azure DevOps can be cancelled and keeps what it read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { scenarioDemo, startMock } from '../mock/server.mjs';
import { convertState, listPath, openPanel, scanState } from './panel-helpers.mjs';

let mock;
let browser;
const DAY = 86_400_000;

before(async () => {
  mock = await startMock({ scenario: scenarioDemo(), autoSignIn: true });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const usageState = (panel, states, timeout = 30_000) =>
  panel.waitForFunction((s) => s.includes(document.documentElement.dataset.federateUsage), states, { timeout });

/** The shown rows: name and Last used cell. */
const shownRows = (panel) =>
  panel.locator('#inventory tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      name: tr.querySelector('th')?.textContent ?? '',
      used: tr.querySelector('td[data-col="lastUsed"]')?.textContent ?? '',
    })),
  );

/** Days from the engine's words ("used today", "used 3 days ago", "unused for 120 days"). */
const days = (label) => (label === 'used today' ? 0 : Number(/(\d+) days?/.exec(label)?.[1] ?? Number.NaN));

test('load usage: Last used column, sort, filters, Used by, pre-flight in a plan, cancel', { timeout: 120_000 }, async () => {
  const { page, panel } = await openPanel(browser, mock, 'Payments');
  await panel.click('#scan-org');
  await scanState(panel, ['done'], 30_000);
  const total = mock.countEndpoints();
  assert.equal(Number(await panel.getAttribute('html', 'data-federate-total')), total);

  // Before any usage: the column says nothing is loaded, and "disabled with a secret" already works.
  assert.deepEqual([...new Set((await shownRows(panel)).map((r) => r.used))], ['—']);
  await panel.selectOption('#filter', 'disabledWithSecret');
  assert.deepEqual(
    (await shownRows(panel)).map((r) => r.name),
    ['retired-batch-arm'],
  );

  // Load usage for all, through the page, with progress.
  await panel.selectOption('#filter', 'all');
  const prod = '64171687-7a59-4fce-b2c8-823278dcf176';
  // Slowed down, so the load runs while a connection's details are open.
  mock.control({ latencyMs: 1000 });
  await panel.click(`#inventory tbody button[data-open="${prod}"]`);
  await panel.click('#usage-load-all');
  await usageState(panel, ['running']);
  // One load at a time: "Load its usage" waits (disabled, saying why) instead of aborting this one.
  const loadOne = panel.locator('#details [data-action="load-usage"]');
  assert.ok(await loadOne.isDisabled(), '"Load its usage" is disabled while a load runs');
  assert.match(await loadOne.getAttribute('aria-description'), /usage load is running/);
  // The load's progress leaves the open details alone: Convert… arms, and focus in them stays.
  // (New Last used words change the table's height: the test keeps the button in view, as a user would.)
  await panel.waitForFunction(
    () => {
      const b = document.querySelector('#details [data-action="convert"]');
      b?.scrollIntoView({ block: 'start' });
      return b?.dataset.armed === 'true' && !b.disabled;
    },
    null,
    { timeout: 10_000, polling: 100 },
  );
  assert.equal(await panel.getAttribute('html', 'data-federate-usage'), 'running', 'armed while the load still runs');
  await panel.locator('#details button', { hasText: 'Close details' }).focus();
  await panel.evaluate(() => {
    document.activeElement.dataset.testMark = 'focused';
  });
  const before = await panel.getAttribute('html', 'data-federate-usage-progress');
  await panel.waitForFunction((b) => document.documentElement.dataset.federateUsageProgress !== b, before, { timeout: 10_000 });
  await panel.waitForTimeout(200);
  assert.equal(
    await panel.evaluate(() => document.activeElement?.dataset.testMark ?? document.activeElement?.tagName),
    'focused',
    'focus stays in the details during the load',
  );
  // A row's checkbox keeps focus across the table's redraws.
  await panel.focus(`#inventory tbody input[data-pick="${prod}"]`);
  const progressed = await panel.getAttribute('html', 'data-federate-usage-progress');
  await panel.waitForFunction((b) => document.documentElement.dataset.federateUsageProgress !== b, progressed, { timeout: 10_000 });
  await panel.waitForTimeout(200);
  assert.equal(await panel.evaluate(() => document.activeElement?.dataset.pick), prod, 'focus stays on the row checkbox');
  mock.control({ latencyMs: 0 });
  await usageState(panel, ['done']);
  assert.equal(await panel.getAttribute('html', 'data-federate-usage-progress'), `${total}/${total}`);
  assert.match(await panel.textContent('#usage-status'), new RegExp(`Usage read for ${total} connections`));
  const byName = Object.fromEntries((await shownRows(panel)).map((r) => [r.name, r.used]));
  assert.equal(byName['payments-prod-arm'], 'used 1 day ago');
  assert.equal(byName['payments-staging-arm'], 'unused for 120 days');
  assert.equal(byName['payments-legacy-spn'], 'never used');
  assert.equal(byName['ml-workspace-cert'], 'usage unknown', 'a 403 on one connection, the others go on');
  assert.equal(byName['retired-batch-arm'], 'unused for 400 days');
  assert.equal(mock.requests.filter((r) => r.route === 'executionhistory').length, total, 'one history read per connection');

  // What was read is kept for the session (a restarted service worker still knows it for the marks).
  const inSession = await browser.serviceWorker().evaluate(async () => Object.values(await chrome.storage.session.get(null)).flat().length);
  assert.equal(inSession, total, 'every connection read is in session storage');

  // The export carries the usage (the engine's report with usage).
  const [download] = await Promise.all([page.waitForEvent('download'), panel.click('button[data-export="csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /,lastUsed,usedBy,jobs30d,usage,usageAction\r?$/);
  assert.match(csv, /payments-staging-arm,.*,unused for 120 days,delete\r?$/m);

  // The marks on the Azure DevOps page say it too, once usage was read (the service worker keeps it for the scan).
  const list = await browser.context.newPage();
  await list.goto(mock.signInUrl(listPath(mock, 'Payments')));
  await waitForFederate(list);
  const staging = '5e47a0d8-c745-44f8-8f93-784f18ff31c4';
  const mark = await list.waitForSelector(`.federate-mark[data-federate-id="${staging}"]`, { timeout: 20_000 });
  assert.match(await mark.getAttribute('aria-description'), /Unused for 120 days: past the 100 days after which Azure DevOps disables/);
  await mark.hover();
  await list.waitForFunction(() => /Unused for 120 days/.test(document.getElementById('federate-tooltip')?.textContent ?? ''));
  await list.close();
  // And the card of the connection's own page.
  const card = await browser.context.newPage();
  await card.goto(mock.signInUrl(`${listPath(mock, 'Payments')}?resourceId=${staging}`));
  await card.waitForFunction(() => document.documentElement.dataset.federateCard === 'ready', null, { timeout: 20_000 });
  assert.match(await card.textContent('.federate-card'), /Unused for 120 days/);
  await card.close();

  // Sorted by last use: never used first, then the oldest use first; unknown last.
  await panel.click('button[data-sort="lastUsed"]');
  const sorted = (await shownRows(panel)).map((r) => r.used);
  const never = sorted.filter((u) => u === 'never used').length;
  assert.ok(never >= 1);
  assert.deepEqual(sorted.slice(0, never), Array(never).fill('never used'));
  assert.equal(sorted.at(-1), 'usage unknown');
  const known = sorted.slice(never, -1).map(days);
  assert.deepEqual(
    known,
    [...known].sort((a, b) => b - a),
    'oldest use first',
  );

  // Filters from the engine's tags: exactly the connections unused 90+ days (as the mock knows them).
  await panel.selectOption('#filter', 'unused90');
  const expected = [];
  for (const [id, meta] of mock.state.meta) {
    if (!meta.usage && meta.lastUsed && Date.now() - Date.parse(meta.lastUsed) >= 90 * DAY) expected.push(mock.getEndpoint(id).name);
  }
  assert.deepEqual((await shownRows(panel)).map((r) => r.name).sort(), expected.sort());
  await panel.selectOption('#filter', 'neverUsed');
  assert.ok((await shownRows(panel)).every((r) => r.used === 'never used'));
  await panel.selectOption('#filter', 'toDelete');
  const toDelete = (await shownRows(panel)).map((r) => r.name);
  assert.ok(toDelete.includes('payments-staging-arm') && toDelete.includes('retired-batch-arm'), toDelete.join(', '));
  assert.ok(!toDelete.includes('payments-prod-arm'));
  await panel.selectOption('#filter', 'all');

  // Details: Used by.
  await panel.click(`#inventory tbody button[data-open="${prod}"]`);
  const usedBy = await panel.locator('#details .used-by li strong').allTextContents();
  assert.deepEqual(usedBy, ['payments-deploy', 'payments-release']);
  assert.match(await panel.textContent('#details .usage-details'), /Used by 2 pipelines: after converting, watch their next runs/);

  // A conversion plan with its pre-flight: the warned task, and Convert still offered (a warning, not a block).
  await panel.click('#details [data-action="convert"]');
  const area = `[data-federate-convert="${prod}"]`;
  await convertState(panel, area, ['plan']);
  await panel.waitForFunction((sel) => document.querySelector(`${sel} .convert-preflight-slot`)?.dataset.preflight === 'done', area, {
    timeout: 20_000,
  });
  const pre = `${area} .convert-confirm .preflight`;
  assert.equal(await panel.getAttribute(pre, 'data-preflight-warnings'), '1');
  const warning = await panel.textContent(`${pre} .preflight-warnings li`);
  assert.match(warning, /^Warning: AzureFileCopy@4\.248\.2: AzureFileCopy before version 6 was reported failing/);
  assert.match(warning, /Source: ado-facts\.md §17\.4/);
  assert.match(await panel.textContent(pre), /payments-release \(release pipeline\).*classic release pipeline: its tasks are not read/);
  // The warning does not block: Convert arms once seen (the clickjacking guard), warnings or not.
  await panel.locator(`${area} [data-action="confirm"]`).scrollIntoViewIfNeeded();
  await panel.waitForSelector(`${area} [data-action="confirm"][data-armed="true"]:not([disabled])`, { timeout: 10_000 });
  assert.ok(
    mock.requests.some((r) => r.route === 'build.timeline'),
    'the last run’s timeline was read',
  );
  assert.equal(mock.conversions.length, 0, 'the plan and its pre-flight send nothing that writes');
  await panel.locator(pre).scrollIntoViewIfNeeded();
  await screenshot(page, 'e2e-usage-preflight');

  // A new scan forgets the usage; a throttled load can be cancelled and keeps what it read.
  mock.control({ throttle: { limit: 4, windowMs: 60_000, blockAt: 6 }, resetThrottle: true });
  await panel.click('#scan-project');
  await scanState(panel, ['done'], 30_000);
  assert.deepEqual([...new Set((await shownRows(panel)).map((r) => r.used))], ['—'], 'usage is per scan');
  await panel.click('#usage-load-all');
  await panel.waitForFunction(
    () => /Throttled by Azure DevOps: waiting \d+ s/.test(document.getElementById('usage-status')?.textContent ?? ''),
    null,
    {
      timeout: 30_000,
    },
  );
  await panel.click('#usage-cancel');
  await usageState(panel, ['cancelled']);
  const status = await panel.textContent('#usage-status');
  const kept = Number(/(\d+) connections? read before it stopped \(kept\)/.exec(status)?.[1]);
  assert.ok(kept >= 1 && kept < mock.countEndpoints({ project: 'Payments' }), status);
  const labelled = (await shownRows(panel)).filter((r) => r.used !== '—').length;
  assert.equal(labelled, kept, 'what was read stays in the column');
  mock.control({ throttle: false });
  await page.close();
});
