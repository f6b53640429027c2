// A bulk conversion of 100 connections, planned and confirmed in the panel, with throttling, a
// server fault and a reload of the page in the middle (the panel goes with it; reopened, its
// History follows the job): every connection ends converted or skipped with a reason, none is
// converted twice, and the journal agrees with the mock's own record of requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateScenario, startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { addAutomaticArm, planInPanel, storedJob, waitState } from './convert-helpers.mjs';
import { scannedPanel } from './panel-helpers.mjs';

let mock;
let browser;

/** Waits for a condition on the mock's own record (checked on each turn of a 50 ms timer). */
async function until(check, timeout) {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the mock');
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  const scenario = generateScenario({ seed: 5, projects: 2, connectionsPerProject: 10 });
  const project = scenario.projects[0];
  addAutomaticArm(scenario, { count: 100, name: (i) => `bulk-arm-${String(i).padStart(3, '0')}`, seed: 99, project });
  mock = await startMock({ scenario, autoSignIn: true, latencyMs: [20, 60] });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

test('100 conversions through throttling, a server fault and a page reload', { timeout: 150_000 }, async () => {
  const project = mock.state.projects[0].name;
  const bulk = [...mock.state.endpoints.values()].filter((e) => e.name.startsWith('bulk-arm-'));
  for (const e of bulk) mock.setMeta(e.id, { convert: 'A' });
  // Convert all convertible…, at most 4 at once.
  const view = await planInPanel(browser, mock, { project });
  const { page: ado } = view;
  let page = view.panel;
  await waitState(view, ['plan']);
  await page.fill(`${view.area} #convert-concurrency`, '4');
  const planned = await page.$$eval(`${view.area} [data-convert-plan="send"] li`, (els) => els.map((el) => el.dataset.id.toLowerCase()));
  for (const e of bulk) assert.ok(planned.includes(e.id), `${e.name} is planned`);
  const skipped = await page.$$eval(`${view.area} [data-convert-plan="skip"] li`, (els) =>
    els.map((el) => ({ id: el.dataset.id, reason: el.dataset.reason })),
  );
  for (const s of skipped) assert.ok(s.reason, `skip ${s.id} has a reason`);

  const firstRequest = mock.requests.length;
  await page.click(`${view.area} [data-action="confirm"]`);
  const done = (n) =>
    page.waitForFunction((min) => Number(document.querySelector('#bulk-convert progress')?.value ?? 0) >= min, n, { timeout: 60_000 });

  // A phase of throttling (a tight window, so Retry-After is a second or two): delayed, then
  // blocked answers with 429; it ends once the mock has blocked a few.
  await done(5);
  mock.control({ throttle: { limit: 3, blockAt: 4, windowMs: 2_000, delayMs: 50 } });
  await until(() => mock.requests.slice(firstRequest).filter((q) => q.route === 'throttled').length >= 3, 60_000);
  mock.control({ throttle: false });

  // A server fault on the next scheme change, once some are done: the job pauses with a
  // message (a read that meets a 5xx is tried again by the engine, a PUT may have run).
  await done(20);
  mock.control({ faults: { failNext: 1, failStatus: 503, method: 'PUT' } });
  const paused = await page.waitForSelector('#bulk-convert [data-convert-job-state="paused"]', { timeout: 60_000 });
  assert.match(await paused.textContent(), /Paused/);
  await screenshot(ado, 'e2e-convert-bulk-paused');
  await page.click('#bulk-convert [data-action="resume"]');

  // A reload of the Azure DevOps page while requests are out: the panel goes with it.
  await done(50);
  const jobId = await page.evaluate(() => document.querySelector('#bulk-convert')?.dataset.convertJob);
  await ado.reload();

  // Reopened from the bar, its History follows the job (the view re-drawn from storage).
  await ado.waitForFunction(() => document.documentElement.dataset.federate === 'ready', null, { timeout: 30_000 });
  await ado.click('.federate-bar .federate-open-panel');
  page = await scannedPanel(ado);
  await page.click('#tab-history');
  await page.click(`#view-history [data-job="${jobId}"] > button`);
  const follow = { panel: page, area: '#view-history .convert-job-detail' };

  // The job finishes (a paused state after the reload resumes by itself; a server pause needs Resume).
  for (;;) {
    const state = await waitState(follow, ['done', 'paused'], 120_000);
    if (state === 'done') break;
    const kind = await page.evaluate(() => document.querySelector('.convert-job-detail [data-convert-job-state]')?.textContent ?? '');
    if (/server error|signed out/i.test(kind)) await page.click('.convert-job-detail [data-action="resume"]');
    else
      await page.waitForFunction(() => document.querySelector('.convert-job-detail')?.dataset.convertState !== 'paused', null, {
        timeout: 60_000,
      });
  }
  const job = await storedJob(follow, mock.org);
  await screenshot(ado, 'e2e-convert-bulk-done');

  // Every connection ends converted, or skipped with a reason.
  for (const item of job.items) assert.equal(item.outcome, 'converted', `${item.name}: ${item.outcome} ${item.message ?? ''}`);
  for (const s of job.skipped) assert.ok(s.reason && s.message, `${s.id} skipped with a reason`);
  for (const e of bulk) assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'WorkloadIdentityFederation', e.name);

  // None converted twice; the mock rejected nothing of ours but the injected fault and throttling.
  assert.deepEqual(mock.convertedTwice(), []);
  assert.deepEqual(mock.rejections(), [], 'no body was rejected');

  // The journal agrees with the mock's record: every PUT the mock received is a "sent" in the
  // journal, and each conversion the mock made is an answered or resolved step.
  const puts = mock.requests.slice(firstRequest).filter((q) => q.method === 'PUT');
  const sent = job.records
    .filter((r) => r.kind === 'sent' && r.method === 'PUT')
    .map((r) => ({ ...r, endpointId: job.header.items[r.item].id }));
  assert.ok(sent.length >= puts.length, `journal sent ${sent.length} >= mock PUTs ${puts.length}`);
  // (a 202 is recorded by the mock as `converting`; the poll then saw it Ready)
  const converted = new Set(mock.conversions.filter((c) => c.outcome === 'converted' || c.outcome === 'converting').map((c) => c.id));
  for (const item of job.items) {
    assert.ok(converted.has(item.id.toLowerCase()), `the mock converted ${item.name}`);
    assert.ok(job.steps(item.id).includes('planned'), `${item.name} planned`);
    assert.ok(job.steps(item.id).includes('sent'), `${item.name} sent`);
  }
  const mockIds = new Set(puts.map((q) => q.path.split('/').pop().toLowerCase()));
  const journalIds = new Set(sent.map((s) => s.endpointId.toLowerCase()));
  assert.deepEqual([...mockIds].sort(), [...journalIds].filter((id) => mockIds.has(id)).sort());
  assert.ok(
    job.records.some((r) => r.kind === 'paused'),
    'the pause is in the journal',
  );
  // The disturbances really happened.
  const during = mock.requests.slice(firstRequest);
  const tally = {};
  for (const q of during) tally[`${q.method} ${q.status} ${q.route ?? ''}`] = (tally[`${q.method} ${q.status} ${q.route ?? ''}`] ?? 0) + 1;
  console.log('# requests during the run', JSON.stringify(tally));
  assert.ok(
    during.some((q) => q.route === 'throttled' || q.status === 429),
    'the mock throttled some requests',
  );
  assert.ok(
    during.some((q) => q.route === 'fault'),
    'the mock injected the server fault',
  );
  const resolved = job.header.items.flatMap((i) => job.steps(i.id)).filter((k) => k === 'resolved').length;
  console.log(
    `# bulk: ${puts.length} PUTs, ${during.filter((q) => q.route === 'throttled' || q.status === 429).length} throttled, ${resolved} sends resolved by reading after the fault or the reload`,
  );
  assert.ok(resolved >= 1, 'a send without a clear answer was resolved by reading, not resent');

  // The history shows the job and exports it.
  const history = { panel: page, area: '#view-history' };
  await waitState(history, ['history']);
  assert.ok(await page.$(`#view-history [data-job="${job.id}"]`));
  const [download] = await Promise.all([ado.waitForEvent('download'), page.click('#view-history [data-action="export-csv"]')]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  await ado.close();
});
