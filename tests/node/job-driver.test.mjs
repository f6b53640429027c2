// The extension's job driver (worker/convert.ts, driver.ts, jobstore.ts) against the mock
// Azure DevOps, without a browser (job-harness.mjs): the issue-10 defects that live in the
// driver. Each test says how it was seen failing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { generateScenario, startMock } from '../mock/server.mjs';
import { makeEndpoint, rng } from '../mock/scenario.mjs';
import { startWorker, until } from './job-harness.mjs';

let mock;
let project;
const pool = [];

before(async () => {
  const scenario = generateScenario({ seed: 21, projects: 2, connectionsPerProject: 2 });
  project = scenario.projects[0];
  const r = rng(5);
  for (let i = 0; i < 160; i++) {
    const id = randomUUID();
    scenario.endpoints.push(
      makeEndpoint('azurerm-sp-automatic', {
        org: scenario.organization.name,
        orgId: scenario.organization.id,
        tenantId: scenario.tenants[0],
        project,
        name: `driver-arm-${i}`,
        id,
        r,
        now: Date.now(),
      }),
    );
    pool.push(id);
  }
  mock = await startMock({ scenario });
  for (const id of pool) mock.setMeta(id, { convert: 'A' });
});
after(() => mock?.close());

const take = (n) => pool.splice(0, n);
const puts = () => mock.requests.filter((q) => q.method === 'PUT').length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Seen failing: with the driver's storage-failure handling removed (persist() returning true
// when append rejects), the job went on sending after the refused write.
test('a refused storage write pauses the job visibly, and nothing is sent after it', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(8);
  let sentAtRefusal = null;
  w.storage.onRefused = () => {
    sentAtRefusal ??= w.relayed.count;
  };
  mock.control({ latencyMs: 40 });
  const { job } = await w.start(ids, { concurrency: 2 });
  // Refuse every write once the first conversion went out.
  await until(() => puts() > 0 && w.relayed.count >= 3, 20_000, 'a first request');
  w.storage.refuse = true;
  const paused = await until(() => (w.view(job.jobId)?.pause?.kind === 'storageFull' ? w.view(job.jobId) : null), 20_000, 'the pause');
  assert.match(paused.pause.message, /^Browser storage is full: \d+ jobs, \d+ KB; export and clear History/);
  assert.equal(paused.state, 'paused');
  assert.ok(sentAtRefusal !== null, 'a write was refused');
  await sleep(1500);
  assert.equal(w.relayed.count, sentAtRefusal, 'no request relayed after the refused write');
  mock.control({ latencyMs: 0 });
  w.stop();
});

// Seen failing: with relayJob mapping a closed tab to a network error (the old relay), the
// pause was `network`, not `tabGone`.
test('the tab closed mid-job: paused "The Azure DevOps tab was closed", no loop; Resume from another tab finishes it', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(10);
  mock.control({ latencyMs: 60 });
  const { job } = await w.start(ids, { concurrency: 2 });
  await until(() => w.relayed.count >= 4, 20_000, 'some requests');
  w.closeTab(1);
  const paused = await until(() => (w.view(job.jobId)?.state === 'paused' ? w.view(job.jobId) : null), 20_000, 'the pause');
  assert.equal(paused.pause.kind, 'tabGone');
  assert.match(paused.pause.message, /^The Azure DevOps tab was closed/);
  // Requests relayed before the pause finish first (the mock logs a request when it answers).
  const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
  await until(() => runner.inFlight.size === 0, 10_000, 'the requests out');
  await sleep(200);
  const before = mock.requests.length;
  const relayedBefore = w.relayed.count;
  await sleep(3000);
  assert.equal(mock.requests.length, before, 'no request reached Azure DevOps while the tab is gone');
  assert.equal(w.relayed.count, relayedBefore, 'nothing relayed (no auto-resume loop)');
  assert.equal(w.view(job.jobId).state, 'paused', 'it waits for the user');
  // The user opens the organization in another tab and resumes from it.
  mock.control({ latencyMs: 0 });
  w.openTab(2);
  await w.handlers['convert.resume']({ organizationName: mock.org, jobId: job.jobId, tabId: 2 });
  const done = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 30_000, 'the end');
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ids.map(() => 'converted'),
  );
  assert.deepEqual(mock.convertedTwice(), []);
  w.stop();
});

// Seen failing: with the jobConflicts check removed from convert.start, the second job started.
test('a second job on a connection another active job holds is refused, naming that job', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(3);
  mock.control({ latencyMs: 200 });
  const first = await w.start(ids.slice(0, 2), { concurrency: 1 });
  await assert.rejects(w.start(ids.slice(1), { concurrency: 1 }), (err) => {
    assert.match(err.message, new RegExp(first.job.jobId));
    return true;
  });
  mock.control({ latencyMs: 0 });
  await until(() => w.view(first.job.jobId)?.state === 'done', 30_000, 'the first job');
  const listed = await w.handlers['convert.jobs']({ organizationName: mock.org });
  assert.equal(listed.length, 1, 'only the first job exists');
  w.stop();
});

// The storage-full pause asks the user to "export and clear History": History's Clear finished
// jobs removes the organization's finished ones, never a running or paused job nor another
// organization's. Seen failing with prune's organization filter removed.
test('clear finished jobs removes the finished jobs from History, never a paused one', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(3);
  const finished = await w.start(ids.slice(0, 2));
  const jobs = () => w.handlers['convert.jobs']({ organizationName: mock.org });
  await until(async () => (await jobs()).find((j) => j.header.id === finished.job.jobId)?.endedAt != null, 30_000, 'the first job ended');
  mock.control({ latencyMs: 200 });
  const held = await w.start(ids.slice(2), { concurrency: 1 });
  await w.handlers['convert.pause']({ organizationName: mock.org, jobId: held.job.jobId });
  mock.control({ latencyMs: 0 });
  assert.deepEqual(await w.handlers['convert.clearFinished']({ organizationName: 'another-org' }), { removed: 0 });
  assert.deepEqual(await w.handlers['convert.clearFinished']({ organizationName: mock.org }), { removed: 1 });
  assert.deepEqual(
    (await jobs()).map((j) => j.header.id),
    [held.job.jobId],
  );
  w.stop();
});

// Seen failing: with the driver ignoring Pause (command() not applying it), requests went on
// after the 429 wait.
for (const command of ['pause', 'cancel']) {
  test(`${command} during a 429 wait sends nothing more`, async () => {
    const w = await startWorker(mock, project.name);
    const ids = take(6);
    mock.control({ throttle: { limit: 1, blockAt: 2, windowMs: 1_500, delayMs: 0 } });
    const { job } = await w.start(ids, { concurrency: 2 });
    const stored = async () => (await w.handlers['convert.jobs']({ organizationName: mock.org })).find((j) => j.header.id === job.jobId);
    await until(async () => (await stored())?.records.some((r) => r.kind === 'throttled'), 20_000, 'a 429 wait');
    await w.handlers[`convert.${command}`]({ organizationName: mock.org, jobId: job.jobId });
    const relayed = w.relayed.count;
    // The service stops throttling at once: only the pause (or cancel) can keep requests back.
    mock.control({ throttle: false });
    await sleep(5000);
    assert.equal(w.relayed.count, relayed, `nothing relayed after ${command}`);
    const view = w.view(job.jobId);
    assert.equal(view.state, command === 'pause' ? 'paused' : 'cancelled');
    w.stop();
  });
}

// Seen failing: with the job's head written under one shared index key read and written back
// (the old addJob), one of the two jobs was missing from History.
test('two convert.start at once both land in History', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(4);
  const [a, b] = await Promise.all([w.start(ids.slice(0, 2)), w.start(ids.slice(2))]);
  await until(() => w.view(a.job.jobId)?.state === 'done' && w.view(b.job.jobId)?.state === 'done', 30_000, 'both jobs');
  const listed = (await w.handlers['convert.jobs']({ organizationName: mock.org })).map((j) => j.header.id).sort();
  assert.deepEqual(listed, [a.job.jobId, b.job.jobId].sort());
  w.stop();
});

// Seen failing (old worker): resume() while the run ended handed back the dying run and left
// the job "Running…". Here Pause then Resume arrive while the last answer is in flight.
test("pause and resume during a run's end: the job ends done, nothing sent twice", async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(1);
  mock.control({ latencyMs: 400 });
  const { job } = await w.start(ids);
  const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
  await until(() => w.relayed.lastMethod === 'PUT' && runner.inFlight.size > 0, 20_000, 'the PUT in flight');
  await w.handlers['convert.pause']({ organizationName: mock.org, jobId: job.jobId });
  await w.handlers['convert.resume']({ organizationName: mock.org, jobId: job.jobId, tabId: null });
  mock.control({ latencyMs: 0 });
  const done = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 20_000, 'the end');
  assert.equal(done.items[0].outcome, 'converted');
  // Resume after the end: refused in words, the job stays done (no second run handed back).
  await assert.rejects(w.handlers['convert.resume']({ organizationName: mock.org, jobId: job.jobId, tabId: null }), /has ended/);
  assert.equal(w.view(job.jobId).state, 'done');
  assert.equal(mock.conversions.filter((c) => c.id === ids[0].toLowerCase()).length, 1, 'one PUT');
  // A restarted worker restores it as done and sends nothing.
  const again = await startWorker(mock, project.name);
  again.storage.items = new Map(w.storage.items);
  const before = mock.requests.length;
  const listed = await again.handlers['convert.jobs']({ organizationName: mock.org });
  assert.equal(listed.length, 1);
  await sleep(500);
  assert.equal(mock.requests.length, before, 'a restored finished job sends nothing');
  w.stop();
  again.stop();
});

// A worker restarted mid-job restores the job from its records and finishes it, no PUT twice.
test('a worker restarted mid-job restores it from storage and finishes it', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(8);
  mock.control({ latencyMs: 80 });
  const { job } = await w.start(ids, { concurrency: 2 });
  await until(() => mock.conversions.length > 0 && w.relayed.count >= 6, 20_000, 'some progress');
  // The worker stops: its runners are dropped (their in-flight answers are lost with it).
  w.stop();
  w.runners.clear();
  // The page's fetches that were out still land (the content script outlives the worker);
  // the new worker starts after they did. (A settle read that overtakes a PUT still on the
  // wire would see "unchanged" and send again: a window the engine's settle rule has.)
  await sleep(400);
  const again = await startWorker(mock, project.name);
  again.storage.items = new Map(w.storage.items);
  await again.handlers['convert.jobs']({ organizationName: mock.org });
  mock.control({ latencyMs: 0 });
  const done = await until(() => (again.view(job.jobId)?.state === 'done' ? again.view(job.jobId) : null), 30_000, 'the end');
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ids.map(() => 'converted'),
  );
  assert.deepEqual(mock.convertedTwice(), []);
  again.stop();
});

// Seen failing with the worker handing back the answer's body as parsed JSON (the leaked
// value reached the panel's reply); the engine's readEndpoint drops it.
test('the connection handed to the panel after a job carries no secret value the service leaked', async () => {
  const w = await startWorker(mock, project.name);
  const [id] = take(1);
  // A service bug: its answers carry the stored secret values instead of null. The conversion
  // needs manual steps (400), so the last answer is the read before it, secret and all.
  mock.control({ leakSecrets: [id] });
  mock.setMeta(id, { convert: 'C' });
  const secrets = Object.values(mock.store.secrets.get(id.toLowerCase()) ?? {}).filter((v) => typeof v === 'string' && v.length > 4);
  assert.ok(secrets.length > 0, 'the mock holds a secret value for it');
  try {
    const { job } = await w.start([id]);
    await until(() => w.view(job.jobId)?.state === 'done', 20_000, 'the job');
    const endpoints = await w.handlers['convert.endpoints']({ organizationName: mock.org, jobId: job.jobId, ids: [id] });
    assert.equal(endpoints.length, 1, 'the connection as last answered');
    assert.equal(endpoints[0].authorization.scheme, 'ServicePrincipal');
    const stored = JSON.stringify([...w.storage.items]);
    for (const secret of secrets) {
      assert.ok(!JSON.stringify(endpoints).includes(secret), 'no secret value handed to the panel');
      assert.ok(!stored.includes(secret), 'none stored either');
    }
  } finally {
    mock.control({ leakSecrets: null });
    w.stop();
  }
});

// Fix 1. Seen failing: with storageFailed() naming no batch (the engine undid "the last batch
// handed out", the other connection's PUT already on the wire), that connection was sent a
// second PUT after Resume.
test('a refused write of an answer undoes no request already sent: after Resume no connection gets a second PUT', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(6);
  mock.control({ latencyMs: 150 });
  const { job } = await w.start(ids, { concurrency: 2 });
  const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
  // Two PUTs on the wire: the next write is an answer's records, the other PUT still out.
  await until(() => w.relayed.lastMethod === 'PUT' && runner.inFlight.size === 2, 20_000, 'two requests out');
  w.storage.refuse = true;
  await until(() => w.view(job.jobId)?.pause?.kind === 'storageFull', 20_000, 'the pause');
  await until(() => runner.inFlight.size === 0, 10_000, 'the requests out');
  w.storage.refuse = false;
  mock.control({ latencyMs: 0 });
  await w.handlers['convert.resume']({ organizationName: mock.org, jobId: job.jobId, tabId: null });
  const done = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 30_000, 'the end');
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ids.map(() => 'converted'),
  );
  for (const id of ids) {
    const n = mock.requests.filter((q) => q.method === 'PUT' && q.path.toLowerCase().includes(id.toLowerCase())).length;
    assert.equal(n, 1, `one PUT for ${id}`);
  }
  w.stop();
});

// Fix 7. Seen failing: with command() clearing the timer before a refused apply, the job
// waiting out a 429 never woke up (no timer, no kick) and never finished.
test('a refused command during a 429 wait leaves the job running: it finishes', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(4);
  mock.control({ throttle: { limit: 1, blockAt: 2, windowMs: 1_500, delayMs: 0 } });
  const { job } = await w.start(ids, { concurrency: 2 });
  const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
  const stored = async () => (await w.handlers['convert.jobs']({ organizationName: mock.org })).find((j) => j.header.id === job.jobId);
  await until(
    async () => (await stored())?.records.some((r) => r.kind === 'throttled') && runner.inFlight.size === 0,
    20_000,
    'a 429 wait',
  );
  // Retry of a connection that is not waiting for one: the engine refuses it.
  await assert.rejects(
    w.handlers['convert.retry']({ organizationName: mock.org, jobId: job.jobId, endpointId: ids[0], tabId: null }),
    /not waiting for a retry|not in the job/,
  );
  mock.control({ throttle: false });
  const done = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 20_000, 'the end');
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ids.map(() => 'converted'),
  );
  w.stop();
});

// Fix 5. Seen failing: with command() ignoring a failed write, Pause answered success
// although its record was not stored (a restarted worker would have sent again).
for (const command of ['pause', 'cancel']) {
  test(`${command} whose record cannot be stored answers an error; the job sends nothing`, async () => {
    const w = await startWorker(mock, project.name);
    const ids = take(4);
    mock.control({ latencyMs: 150 });
    const { job } = await w.start(ids, { concurrency: 1 });
    await until(() => w.relayed.count >= 2, 20_000, 'a first request');
    w.storage.refuse = true;
    await assert.rejects(w.handlers[`convert.${command}`]({ organizationName: mock.org, jobId: job.jobId }), /could not be stored/);
    const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
    await until(() => runner.inFlight.size === 0, 10_000, 'the requests out');
    const relayed = w.relayed.count;
    mock.control({ latencyMs: 0 });
    await sleep(1000);
    assert.equal(w.relayed.count, relayed, 'nothing relayed after it');
    assert.equal(w.view(job.jobId).state, command === 'pause' ? 'paused' : 'cancelled');
    w.storage.refuse = false;
    w.stop();
  });
}

// Fix 9. Seen failing: with event() swallowing the engine's refusal of an answer it cannot
// read, the step stayed in flight for ever and the job never ended.
test('an answer the engine cannot read settles its step as lost (a read, no second PUT): the job finishes', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(2);
  // The first PUT's answer arrives with a status no HTTP answer has: the engine cannot decode it.
  let corrupted = 0;
  w.relayed.corrupt = (r) => {
    if (corrupted > 0 || w.relayed.lastMethod !== 'PUT' || !r.url.toLowerCase().includes(ids[0].toLowerCase())) return r;
    corrupted += 1;
    return { ...r, status: 70_000 };
  };
  const { job } = await w.start(ids, { concurrency: 1 });
  const done = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 20_000, 'the end');
  assert.equal(corrupted, 1, 'one answer was corrupted');
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ids.map(() => 'converted'),
  );
  const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
  assert.equal(runner.inFlight.size, 0);
  const putsFor = mock.requests.filter((q) => q.method === 'PUT' && q.path.toLowerCase().includes(ids[0].toLowerCase())).length;
  assert.equal(putsFor, 1, 'settled by a read, not sent again');
  w.relayed.corrupt = null;
  w.stop();
});

// Fix 3. Seen failing: with the finished marker kept on Retry, History listed the revived job
// as ended (pruning could delete it) and a restarted worker skipped it: it never finished.
test('a finished job retried loses its finished marker: a restarted worker finishes it', async () => {
  const w = await startWorker(mock, project.name);
  const [id] = take(1);
  mock.setMeta(id, { convert: 'C' });
  const { job } = await w.start([id]);
  const ended = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 20_000, 'the first end');
  assert.equal(ended.items[0].outcome, 'manualRequired');
  const listed = async (worker) =>
    (await worker.handlers['convert.jobs']({ organizationName: mock.org })).find((j) => j.header.id === job.jobId);
  await until(async () => (await listed(w))?.endedAt !== null, 5_000, 'the finished marker');
  mock.setMeta(id, { convert: 'A' });
  mock.control({ latencyMs: 300 });
  await w.handlers['convert.retry']({ organizationName: mock.org, jobId: job.jobId, endpointId: id, tabId: null });
  assert.equal((await listed(w)).endedAt, null, 'no longer marked finished');
  w.stop();
  w.runners.clear();
  await sleep(700);
  const again = await startWorker(mock, project.name);
  again.storage.items = new Map(w.storage.items);
  mock.control({ latencyMs: 0 });
  await again.handlers['convert.jobs']({ organizationName: mock.org });
  const done = await until(() => (again.view(job.jobId)?.state === 'done' ? again.view(job.jobId) : null), 20_000, 'the retried end');
  assert.equal(done.items[0].outcome, 'converted');
  assert.notEqual((await listed(again)).endedAt, null, 'marked finished again');
  again.stop();
});

// Fix 8. Seen failing: with ready() restoring every job in one cached promise, one stored job
// the engine cannot restore made convert.jobs and convert.start reject for good.
test('one unreadable stored job does not disable the others: listed, and a new job starts', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(3);
  mock.control({ latencyMs: 300 });
  const { job } = await w.start(ids.slice(0, 1));
  await until(() => [...w.storage.items.keys()].some((k) => k.includes(job.jobId) && /\.r\.\d+$/.test(k)), 20_000, 'a record stored');
  w.stop();
  w.runners.clear();
  await sleep(700);
  const again = await startWorker(mock, project.name);
  again.storage.items = new Map(w.storage.items);
  // Its journal is damaged (a record no engine wrote).
  const chunk = [...again.storage.items.keys()].find((k) => k.includes(job.jobId) && /\.r\.\d+$/.test(k));
  assert.ok(chunk, 'a stored chunk');
  again.storage.items.set(chunk, [{ kind: 'bogus', at: 'yesterday' }]);
  mock.control({ latencyMs: 0 });
  const listed = await again.handlers['convert.jobs']({ organizationName: mock.org });
  assert.ok(
    listed.some((j) => j.header.id === job.jobId),
    'the damaged job is listed (History shows it unreadable)',
  );
  const second = await again.start(ids.slice(1));
  const done = await until(
    () => (again.view(second.job.jobId)?.state === 'done' ? again.view(second.job.jobId) : null),
    20_000,
    'the new job',
  );
  assert.deepEqual(
    done.items.map((i) => i.outcome),
    ['converted', 'converted'],
  );
  again.stop();
});

// Fix 2. Seen failing: without the step's abort signal, the request the relay held while the
// tab was loading was delivered after Pause/Cancel, once the page had loaded.
for (const command of ['pause', 'cancel']) {
  test(`${command} stops a request the relay holds for a loading tab: it is never delivered`, async () => {
    const w = await startWorker(mock, project.name);
    const ids = take(3);
    mock.control({ latencyMs: 100 });
    const { job } = await w.start(ids, { concurrency: 1 });
    const runner = w.runners.get(`${mock.org.toLowerCase()}/${job.jobId}`);
    await until(() => w.relayed.count >= 2, 20_000, 'some requests');
    // The page reloads: the relay holds the next request until it has loaded.
    w.tabs.get(1).status = 'loading';
    await sleep(400);
    assert.ok(runner.inFlight.size > 0, 'a request is held');
    const relayed = w.relayed.count;
    await w.handlers[`convert.${command}`]({ organizationName: mock.org, jobId: job.jobId });
    await sleep(100);
    w.tabs.get(1).status = 'complete';
    mock.control({ latencyMs: 0 });
    await until(() => runner.inFlight.size === 0, 10_000, 'the held request settled');
    await sleep(1500);
    assert.equal(w.relayed.count, relayed, `nothing delivered after ${command}`);
    const view = w.view(job.jobId);
    assert.equal(view.state, command === 'pause' ? 'paused' : 'cancelled');
    if (command === 'pause') assert.equal(view.pause.kind, 'user', "still the user's pause (no auto-resume)");
    w.stop();
  });
}

// Fix 12. Seen failing: with runners never freed, every finished job kept its runner (and
// its wasm ConversionJob) for the worker's life: 12 runners after 12 jobs.
test('finished jobs free their runners (a bounded few are kept); a freed job is restored on demand', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(12);
  const jobs = [];
  for (const id of ids) {
    const { job } = await w.start([id]);
    await until(() => w.view(job.jobId)?.state === 'done', 20_000, 'a job');
    jobs.push(job.jobId);
  }
  await sleep(100);
  assert.ok(w.runners.size <= 8, `at most 8 finished runners kept (${w.runners.size})`);
  assert.equal(w.view(jobs[0]), null, 'the oldest was freed');
  // Still in History, and still answers a command (restored from storage).
  const listed = await w.handlers['convert.jobs']({ organizationName: mock.org });
  assert.equal(listed.length, 12);
  await assert.rejects(w.handlers['convert.resume']({ organizationName: mock.org, jobId: jobs[0], tabId: null }), /has ended/);
  w.stop();
});

// Fix 4. Seen failing: with the pause only in the worker's memory when its record could not
// be stored, storage told the panel nothing (it drew "Running…" for a paused job).
test('a storage-full pause whose record cannot be stored is still visible (the live view in session storage)', async () => {
  const w = await startWorker(mock, project.name);
  const ids = take(4);
  mock.control({ latencyMs: 60 });
  const { job } = await w.start(ids, { concurrency: 1 });
  await until(() => w.relayed.count >= 2, 20_000, 'a first request');
  w.storage.refuse = true;
  await until(() => w.view(job.jobId)?.pause?.kind === 'storageFull', 20_000, 'the pause');
  const key = `federate.live.${mock.org.toLowerCase()}.${job.jobId}`;
  const live = await until(async () => (await w.session.get(key))[key], 5_000, 'the live view');
  assert.equal(live.state, 'paused');
  assert.equal(live.pause.kind, 'storageFull');
  // Once a write succeeds again (Resume with room), the stored records say it all: the live view goes.
  w.storage.refuse = false;
  mock.control({ latencyMs: 0 });
  await w.handlers['convert.resume']({ organizationName: mock.org, jobId: job.jobId, tabId: null });
  await until(() => w.view(job.jobId)?.state === 'done', 20_000, 'the end');
  await until(async () => (await w.session.get(key))[key] === undefined, 5_000, 'the live view cleared');
  w.stop();
});
