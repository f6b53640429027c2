// Benchmark (npm run bench): for 50, 500 and 2,000 connections on one list page,
//  - the time from the list response to all marks drawn, and
//  - the main-thread time of the page (CDP Performance metrics: TaskDuration, ScriptDuration)
//    with the extension, side by side with the same page in a browser without it.
// Rows are not virtualized here (every row in the DOM), the worst case for marking.
// The content script's own JavaScript time is the CDP sampling profiler's time in content.js
// (inclusive: what it calls). Every browser is profiled, so the overhead is the same for all.
// FEDERATE_BENCH_BASELINE=<dir of another unpacked build> adds that build side by side (say,
// the previous commit's dist/extension) to compare strategies in one run.
// Printed as a table with ratios; nothing is asserted (benchmarks are not timed tests).
import { startMock } from '../mock/server.mjs';
import { launchBrowser } from '../harness/browser.mjs';

const SIZES = [50, 500, 2000];
const RUNS = Number(process.env.FEDERATE_BENCH_RUNS ?? 3);
const BASELINE = process.env.FEDERATE_BENCH_BASELINE ?? null;

// Records, in the page, when the marks were complete (the content script sets the attribute
// after the pass that drew them).
const RECORDER = () => {
  const mark = () => {
    const d = document.documentElement.dataset;
    if (d.federate === 'ready' && d.federateMarks && !window.__federateDrawnAt) window.__federateDrawnAt = performance.now();
  };
  // The document node: at init time the <html> element may not exist yet.
  new MutationObserver(mark).observe(document, {
    attributes: true,
    subtree: true,
    attributeFilter: ['data-federate', 'data-federate-marks'],
  });
};

/** Milliseconds of profiler samples with a content.js frame on the stack. */
function contentScriptTime(profile) {
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inContent = new Map();
  const hits = (id) => {
    if (id === undefined) return false;
    if (inContent.has(id)) return inContent.get(id);
    const v = byId.get(id).callFrame.url.endsWith('/content.js') || hits(parent.get(id));
    inContent.set(id, v);
    return v;
  };
  let us = 0;
  for (let i = 0; i < profile.samples.length; i++) if (hits(profile.samples[i])) us += profile.timeDeltas[i] ?? 0;
  return us / 1000;
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Loads the list once; returns main-thread times and, with the extension, the marking latency. */
async function measure(browser, mock, project, withExtension) {
  const page = await browser.context.newPage();
  await page.addInitScript(RECORDER);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  const path = `/${mock.org}/${encodeURIComponent(project)}/_settings/adminservices`;
  await page.goto(mock.signInUrl(path));
  await page.waitForFunction(() => document.body?.dataset.mockReady === 'list', null, { timeout: 60_000 });
  let latency = null;
  if (withExtension) {
    await page.waitForFunction(() => window.__federateDrawnAt, null, { timeout: 60_000 });
    latency = await page.evaluate(() => {
      // The list response: the page's own endpoints list (the content script's relayed fetch is
      // not in the page's timeline; it is made at the same time, from the same origin).
      const ends = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/_apis/serviceendpoint/endpoints') && e.responseEnd <= window.__federateDrawnAt)
        .map((e) => e.responseEnd);
      return ends.length ? window.__federateDrawnAt - Math.max(...ends) : null;
    });
  }
  // Then the same interaction on both: filter (rows reused) and clear.
  await page.fill('.mock-filter', 'a');
  await page.waitForFunction(() => Number(document.body.dataset.mockCount) >= 0);
  await page.fill('.mock-filter', '');
  await page.waitForFunction(
    (n) => Number(document.body.dataset.mockCount) === n,
    await page.evaluate(() => document.querySelectorAll('.mock-row').length),
  );
  if (withExtension)
    await page.waitForFunction(
      () => document.documentElement.dataset.federateMarks === String(document.querySelectorAll('.mock-row').length),
    );
  const m = await metrics(cdp);
  const { profile } = await cdp.send('Profiler.stop');
  await page.close();
  return { latency, task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000, content: contentScriptTime(profile) };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const ms = (x) => (x === null ? 'n/a' : `${x.toFixed(1)} ms`);

const rows = [];
for (const n of SIZES) {
  const mock = await startMock({ seed: 5, projects: 1, connectionsPerProject: n, autoSignIn: true, virtualize: false });
  const project = mock.state.projects[0].name;
  const withExt = await launchBrowser({ port: mock.port });
  const without = await launchBrowser({ port: mock.port, extension: false });
  const base = BASELINE ? await launchBrowser({ port: mock.port, extensionPath: BASELINE }) : null;
  const a = [];
  const b = [];
  const c = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate so all see the same machine load.
    a.push(await measure(withExt, mock, project, true));
    b.push(await measure(without, mock, project, false));
    if (base) c.push(await measure(base, mock, project, true));
  }
  await withExt.close();
  await without.close();
  await base?.close();
  await mock.close();
  const summary = (runs) => ({
    latency: median(runs.map((r) => r.latency)),
    task: median(runs.map((r) => r.task)),
    script: median(runs.map((r) => r.script)),
    content: median(runs.map((r) => r.content)),
  });
  rows.push({ n, with: summary(a), without: summary(b), base: base ? summary(c) : null });
}

const ratio = (x, y) => `${(x / y).toFixed(2)}x`;
console.log(`\nMarks on the service connections list (median of ${RUNS} runs, every row in the DOM)\n`);
const head = [
  'build',
  'connections',
  'list response -> marks drawn',
  'content.js JS',
  'main thread with / without (ratio)',
  'script with / without (ratio)',
];
console.log(head.join(' | '));
console.log(head.map((h) => '-'.repeat(h.length)).join(' | '));
for (const r of rows) {
  for (const [name, x] of [
    ['this', r.with],
    ['baseline', r.base],
  ]) {
    if (!x) continue;
    console.log(
      [
        name.padEnd(5),
        String(r.n).padStart(11),
        ms(x.latency).padStart(28),
        ms(x.content).padStart(13),
        `${ms(x.task)} / ${ms(r.without.task)} (${ratio(x.task, r.without.task)})`.padStart(34),
        `${ms(x.script)} / ${ms(r.without.script)} (${ratio(x.script, r.without.script)})`.padStart(29),
      ].join(' | '),
    );
  }
}
