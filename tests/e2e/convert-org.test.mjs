// Organization-wide bulk conversion from the panel's organization inventory: connections ticked
// in two different projects (one of them shared into a third project, ticked from the org view)
// are planned per owning project in one combined plan, confirmed once, and each PUT goes to its
// owning project's path; "Convert all convertible…" at organization level plans every
// convertible connection of every project and leaves shared ones out unless ticked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot } from '../harness/browser.mjs';
import { convertible } from './convert-helpers.mjs';
import { storedJob } from './convert-helpers.mjs';
import { convertState, openPanel } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  mock = await startMock({ seed: 31, projects: 4, connectionsPerProject: 10, autoSignIn: true });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const homeOf = (e) => e.serviceEndpointProjectReferences[0].projectReference;

test('organization view: ticked connections of two projects (one shared) convert in their owning projects, once', {
  timeout: 60_000,
}, async () => {
  const [p0, p1, p2, p3] = mock.state.projects;
  // One convertible connection owned by p1, and one owned by p2 that we share into p3: both
  // are ticked from the organization view of a panel opened on p0 (which owns neither).
  const a = convertible(mock, p1.name)[0];
  const b = convertible(mock, p2.name)[0];
  assert.ok(a && b, 'the scenario has convertible connections in two projects');
  const stored = mock.getEndpoint(b.id);
  mock.store.share(b.id, [{ projectReference: { id: p3.id, name: p3.name }, name: stored.name, description: '' }]);
  assert.equal(mock.state.endpoints.get(b.id).serviceEndpointProjectReferences.length, 2, 'b is shared');
  for (const e of [a, b]) mock.setMeta(e.id, { convert: 'A' });
  const before = mock.requests.length;

  const { page, panel } = await openPanel(browser, mock, p0.name);
  await panel.click('#scan-org');
  await panel.waitForFunction(
    () => document.documentElement.dataset.federateScope === 'organization' && document.documentElement.dataset.federateScan === 'done',
    null,
    { timeout: 30_000 },
  );
  assert.equal(await panel.evaluate(() => Number(document.documentElement.dataset.federateTotal)), mock.countEndpoints());

  const tick = (id) => panel.check(`#inventory tbody tr[data-federate-id="${id.toLowerCase()}"] input[type="checkbox"]`);
  await tick(a.id);
  await tick(b.id);

  // "Convert all convertible…" at organization level: every convertible connection of every
  // project, shared ones only when ticked (b is).
  await panel.click('#convert-all');
  await convertState(panel, '#bulk-convert', ['plan']);
  const allSend = await panel
    .locator('#bulk-convert [data-convert-plan="send"] li[data-id]')
    .evaluateAll((li) => li.map((l) => ({ id: l.dataset.id.toLowerCase(), project: l.dataset.project.toLowerCase() })));
  const expectedAll = mock.state.projects.flatMap((p) => convertible(mock, p.name)).map((e) => e.id.toLowerCase());
  for (const id of expectedAll)
    assert.ok(
      allSend.some((s) => s.id === id),
      `"all" plans ${id}`,
    );
  assert.ok(
    allSend.some((s) => s.id === b.id.toLowerCase()),
    'the ticked shared connection is in "all"',
  );
  for (const s of allSend) {
    const e = mock.getEndpoint(s.id);
    assert.equal(s.project, homeOf(e).id.toLowerCase(), `${e.name} is planned in its owning project`);
    if (e.serviceEndpointProjectReferences.length > 1) assert.equal(s.id, b.id.toLowerCase(), `shared ${e.name} only when ticked`);
  }
  assert.equal(mock.conversions.length, 0, 'a plan sends nothing');

  // "Convert selected…": one combined plan, per project; confirm once.
  await panel.click('#convert-selected');
  await convertState(panel, '#bulk-convert', ['plan']);
  const groups = await panel.locator('#bulk-convert [data-convert-plan="send"] > li[data-convert-project]').evaluateAll((li) =>
    li.map((l) => ({
      project: l.dataset.convertProject.toLowerCase(),
      ids: [...l.querySelectorAll('li[data-id]')].map((x) => x.dataset.id.toLowerCase()),
      text: l.textContent,
    })),
  );
  assert.deepEqual(
    groups.map((g) => [g.project, g.ids]).sort(),
    [
      [p1.id.toLowerCase(), [a.id.toLowerCase()]],
      [p2.id.toLowerCase(), [b.id.toLowerCase()]],
    ].sort(),
    'one group per owning project',
  );
  assert.ok(
    groups.some((g) => g.text.startsWith(`${p2.name}: 1`)),
    'groups are named by project',
  );
  assert.match(await panel.textContent('#bulk-convert .convert-confirm h3'), /Convert 2 service connections\?/);
  await screenshot(page, 'e2e-convert-org-plan');
  await panel.click('#bulk-convert [data-action="confirm"]');
  await convertState(panel, '#bulk-convert', ['done'], 45_000);

  // Each PUT went to its owning project's path, once; the mock rejected nothing.
  const puts = mock.requests.slice(before).filter((r) => r.method === 'PUT');
  for (const [e, owner] of [
    [a, p1],
    [b, p2],
  ]) {
    const mine = puts.filter((r) => r.path.toLowerCase().includes(e.id.toLowerCase()));
    assert.equal(mine.length, 1, `one PUT for ${e.name}`);
    const path = decodeURIComponent(mine[0].path).toLowerCase();
    assert.ok(
      path.includes(owner.id.toLowerCase()) || path.includes(`/${owner.name.toLowerCase()}/`),
      `${mine[0].path} is in ${owner.name}`,
    );
    assert.equal(mock.getEndpoint(e.id).authorization.scheme, 'WorkloadIdentityFederation');
  }
  assert.equal(puts.length, 2, 'nothing else was sent');
  assert.deepEqual(mock.convertedTwice(), []);
  assert.deepEqual(mock.rejections(), []);
  for (const e of [a, b])
    assert.equal(
      await panel.getAttribute(`#bulk-convert [data-convert-item="${e.id}"]`, 'data-outcome'),
      'converted',
      `${e.name} converted`,
    );

  // The rows update to federated without a rescan.
  await panel.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`#inventory tbody tr[data-federate-id="${id}"]`)?.dataset.credential === 'federated'),
    [a.id.toLowerCase(), b.id.toLowerCase()],
    { timeout: 10_000 },
  );

  // The journal records planned, sent and answered for each, and the history lists the job.
  const jobId = await panel.evaluate(() => document.getElementById('bulk-convert').dataset.convertJob);
  const job = await storedJob({ panel, area: '#bulk-convert' }, mock.org);
  assert.equal(job.id, jobId);
  assert.equal(job.target.projectName, null, 'an organization job');
  for (const [e, owner] of [
    [a, p1],
    [b, p2],
  ]) {
    const item = job.items.find((i) => i.id.toLowerCase() === e.id.toLowerCase());
    assert.equal(item.project.toLowerCase(), owner.id.toLowerCase());
    const steps = job.steps(e.id);
    assert.equal(steps[0], 'planned');
    assert.equal(steps.filter((k) => k === 'sent').length, 1, `one send journaled for ${e.name}: ${steps}`);
    assert.ok(steps.lastIndexOf('answered') > steps.indexOf('sent'), steps.join(','));
  }
  await panel.click('#tab-history');
  await convertState(panel, '#view-history', ['history']);
  const listed = panel.locator(`#view-history .convert-history > li[data-job="${jobId}"]`);
  assert.equal(await listed.getAttribute('data-state'), 'done');
  assert.match(await listed.textContent(), /convert · 2 connection/);
  const journal = await listed.locator('.convert-journal').textContent();
  for (const e of [a, b]) assert.ok(journal.toLowerCase().includes(e.id.toLowerCase()), `the history's journal lists ${e.name}`);
  await screenshot(page, 'e2e-convert-org-done');
  await page.close();
});
