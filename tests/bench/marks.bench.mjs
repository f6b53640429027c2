// Benchmark (npm run bench): for 50, 500 and 2,000 connections on one list page,
//  - the time from the list response to all marks drawn, and
//  - the main-thread time of the page (CDP Performance metrics: TaskDuration, ScriptDuration)
//    with the extension, side by side with the same page in a browser without it.
// Rows are not virtualized here (every row in the DOM), the worst case for marking.
// Printed as a table with ratios; nothing is asserted (benchmarks are not timed tests).
import { startMock } from '../mock/server.mjs';
import { launchBrowser } from '../harness/browser.mjs';

const SIZES = [50, 500, 2000];
const RUNS = Number(process.env.FEDERATE_BENCH_RUNS ?? 3);

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
  await page.close();
  return { latency, task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
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
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate so both see the same machine load.
    a.push(await measure(withExt, mock, project, true));
    b.push(await measure(without, mock, project, false));
  }
  await withExt.close();
  await without.close();
  await mock.close();
  rows.push({
    n,
    latency: median(a.map((r) => r.latency)),
    taskWith: median(a.map((r) => r.task)),
    taskWithout: median(b.map((r) => r.task)),
    scriptWith: median(a.map((r) => r.script)),
    scriptWithout: median(b.map((r) => r.script)),
  });
}

console.log(`\nMarks on the service connections list (median of ${RUNS} runs, every row in the DOM)\n`);
console.log('connections | list response -> marks drawn | main thread with / without extension (ratio) | script with / without (ratio)');
console.log('----------- | ---------------------------- | --------------------------------------------- | -----------------------------');
for (const r of rows) {
  console.log(
    `${String(r.n).padStart(11)} | ${ms(r.latency).padStart(28)} | ${`${ms(r.taskWith)} / ${ms(r.taskWithout)} (${(r.taskWith / r.taskWithout).toFixed(2)}x)`.padStart(45)} | ${`${ms(r.scriptWith)} / ${ms(r.scriptWithout)} (${(r.scriptWith / r.scriptWithout).toFixed(2)}x)`.padStart(29)}`,
  );
}
