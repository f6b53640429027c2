// Benchmark (npm run bench): for 50, 500 and 2,000 connections on one list page,
//  - the time from the page's own list response to all marks drawn,
//  - the time from the page's rows in the DOM to their marks (what a user sees: the rows
//    appear, then their marks; ≤ one frame means they appear together), and
//  - the main-thread time of the page (CDP Performance metrics: TaskDuration, ScriptDuration)
//    with the extension, side by side with the same page in a browser without it.
// Those rows are not virtualized (every row in the DOM), the worst case for marking. Then a
// virtualized list (2,000 connections, the mock's ~31 rows in the DOM) scrolled three times:
// rows → marks for each scroll, and the content script's time for the whole visit.
// The content script's own JavaScript time is the CDP sampling profiler's time in content.js
// (inclusive: what it calls). Every browser is profiled, so the overhead is the same for all.
// FEDERATE_BENCH_BASELINE=<dir of another unpacked build> adds that build side by side (say,
// the previous commit's dist/extension) to compare strategies in one run.
// Printed as a table with ratios and written to tests/.out/bench.json (marks.*); nothing is
// asserted (benchmarks are not timed tests).
import { startMock } from '../mock/server.mjs';
import { launchBrowser } from '../harness/browser.mjs';
import { recordFigures } from './results.mjs';

// FEDERATE_BENCH_SIZES=50,500 narrows a run while working (the JSON then has only those).
const SIZES = (process.env.FEDERATE_BENCH_SIZES ?? '50,500,2000').split(',').map(Number);
const RUNS = Number(process.env.FEDERATE_BENCH_RUNS ?? 3);
const BASELINE = process.env.FEDERATE_BENCH_BASELINE ?? null;

// Records, in the page: when the page's rows are first in the DOM (`rowsAt`) and when every
// row in the DOM holds the mark of its own connection (`drawnAt`, checked when the content
// script reports a pass). `window.__federateBench.reset()` starts over (before a scroll).
const RECORDER = () => {
  const state = { rowsAt: null, drawnAt: null, firstRow: null };
  const rows = () => document.getElementsByClassName('mock-row');
  const idOf = (row) => {
    const a = row.matches('a[href]') ? row : row.querySelector('a[href*="resourceId="]');
    return a ? new URL(a.href).searchParams.get('resourceId') : null;
  };
  const allMarked = () => {
    const list = rows();
    if (list.length === 0 || document.documentElement.dataset.federate !== 'ready') return false;
    for (const row of list) {
      const mark = row.querySelector('.federate-mark');
      if (!mark) return false;
      const id = idOf(row);
      if (id && mark.dataset.federateId !== id.toLowerCase()) return false;
    }
    return true;
  };
  const check = () => {
    const first = rows()[0];
    if (state.rowsAt === null && first && first.getAttribute('data-row-index') !== state.firstRow) state.rowsAt = performance.now();
    if (state.rowsAt !== null && state.drawnAt === null && document.documentElement.dataset.federateMarks && allMarked())
      state.drawnAt = performance.now();
  };
  window.__federateBench = {
    state,
    reset() {
      state.rowsAt = null;
      state.drawnAt = null;
      state.firstRow = rows()[0]?.getAttribute('data-row-index') ?? null;
    },
  };
  // The document node: at init time the <html> element may not exist yet. Rows: childList;
  // the content script's passes: its data-federate-marks attribute.
  new MutationObserver(check).observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
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

/** Opens a page with the recorder and the profiler on. */
async function openPage(browser) {
  const page = await browser.context.newPage();
  await page.addInitScript(RECORDER);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  return { page, cdp };
}

/** Stops the profiler; the page's main-thread times and the content script's. */
async function finish(page, cdp) {
  const m = await metrics(cdp);
  const { profile } = await cdp.send('Profiler.stop');
  await page.close();
  return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000, content: contentScriptTime(profile) };
}

/** Waits until every row in the DOM holds its own mark; rows → marks in ms. */
async function rowsToMarks(page) {
  await page.waitForFunction(() => window.__federateBench.state.drawnAt !== null, null, { timeout: 60_000 });
  return page.evaluate(() => window.__federateBench.state.drawnAt - window.__federateBench.state.rowsAt);
}

/** Loads the list once; returns main-thread times and, with the extension, the marking latencies. */
async function measure(browser, mock, project, withExtension) {
  const { page, cdp } = await openPage(browser);
  const path = `/${mock.org}/${encodeURIComponent(project)}/_settings/adminservices`;
  await page.goto(mock.signInUrl(path));
  await page.waitForFunction(() => document.body?.dataset.mockReady === 'list', null, { timeout: 60_000 });
  let latency = null;
  let rows = null;
  if (withExtension) {
    rows = await rowsToMarks(page);
    latency = await page.evaluate(() => {
      // The list response: the page's own endpoints list (the content script's relayed fetch is
      // not in the page's timeline; it is made at the same time, from the same origin).
      const drawnAt = window.__federateBench.state.drawnAt;
      const ends = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/_apis/serviceendpoint/endpoints') && e.responseEnd <= drawnAt)
        .map((e) => e.responseEnd);
      return ends.length ? drawnAt - Math.max(...ends) : null;
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
  return { latency, rows, ...(await finish(page, cdp)) };
}

/**
 * The virtualized list: load, then scroll three times (each scroll replaces the rows in the
 * DOM); rows → marks for the first render and the median of the scrolls.
 */
async function measureVirtualized(browser, mock, project) {
  const { page, cdp } = await openPage(browser);
  await page.goto(mock.signInUrl(`/${mock.org}/${encodeURIComponent(project)}/_settings/adminservices`));
  await page.waitForFunction(() => document.body?.dataset.mockReady === 'list', null, { timeout: 60_000 });
  const first = await rowsToMarks(page);
  const inDom = await page.evaluate(() => document.getElementsByClassName('mock-row').length);
  const scrolls = [];
  for (const at of [0.25, 0.5, 0.9]) {
    await page.evaluate((f) => {
      window.__federateBench.reset();
      const s = document.querySelector('[data-mock-scroll]');
      s.scrollTop = Math.floor(s.scrollHeight * f);
    }, at);
    scrolls.push(await rowsToMarks(page));
  }
  return { first, scroll: median(scrolls), inDom, ...(await finish(page, cdp)) };
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
    rows: median(runs.map((r) => r.rows)),
    task: median(runs.map((r) => r.task)),
    script: median(runs.map((r) => r.script)),
    content: median(runs.map((r) => r.content)),
  });
  rows.push({ n, with: summary(a), without: summary(b), base: base ? summary(c) : null });
}

// The virtualized list, side by side with the baseline build when there is one.
const VIRTUAL_N = 2000;
const virtual = await (async () => {
  const mock = await startMock({ seed: 5, projects: 1, connectionsPerProject: VIRTUAL_N, autoSignIn: true, virtualize: true });
  const project = mock.state.projects[0].name;
  const withExt = await launchBrowser({ port: mock.port });
  const base = BASELINE ? await launchBrowser({ port: mock.port, extensionPath: BASELINE }) : null;
  const a = [];
  const c = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await measureVirtualized(withExt, mock, project));
    if (base) c.push(await measureVirtualized(base, mock, project));
  }
  await withExt.close();
  await base?.close();
  await mock.close();
  const summary = (runs) => ({
    first: median(runs.map((r) => r.first)),
    scroll: median(runs.map((r) => r.scroll)),
    inDom: median(runs.map((r) => r.inDom)),
    content: median(runs.map((r) => r.content)),
  });
  return { this: summary(a), baseline: base ? summary(c) : null };
})();

const ratio = (x, y) => `${(x / y).toFixed(2)}x`;
console.log(`\nMarks on the service connections list (median of ${RUNS} runs, every row in the DOM)\n`);
const head = [
  'build',
  'connections',
  'list response -> marks drawn',
  'rows -> marks',
  'content.js JS',
  'main thread with / without (ratio, added)',
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
        ms(x.rows).padStart(13),
        ms(x.content).padStart(13),
        `${ms(x.task)} / ${ms(r.without.task)} (${ratio(x.task, r.without.task)}, +${ms(x.task - r.without.task)})`.padStart(41),
        `${ms(x.script)} / ${ms(r.without.script)} (${ratio(x.script, r.without.script)})`.padStart(29),
      ].join(' | '),
    );
  }
}
console.log(
  `\nVirtualized list: ${VIRTUAL_N} connections, ${virtual.this.inDom} rows in the DOM, loaded then scrolled 3 times (median of ${RUNS} runs)\n`,
);
console.log('build | rows -> marks, first render | rows -> marks, scroll (median of 3 scrolls) | content.js JS, whole visit');
console.log('---|---|---|---');
for (const [name, x] of Object.entries(virtual)) {
  if (x) console.log(`${name} | ${ms(x.first)} | ${ms(x.scroll)} | ${ms(x.content)}`);
}

const at = (n) => rows.find((r) => r.n === n)?.with ?? {};
const without50 = rows.find((r) => r.n === 50)?.without;
const figures = {
  'marks.runs': RUNS,
  'marks.virtualizedRowsInDom': virtual.this.inDom,
  'marks.rowsToMarksMs.virtualized': virtual.this.scroll,
  'marks.rowsToMarksMs.virtualizedFirst': virtual.this.first,
  'marks.contentScriptMs.virtualized': virtual.this.content,
  'marks.mainThreadAddedMs.50': without50 && at(50).task != null ? at(50).task - without50.task : null,
  'marks.mainThreadRatio.50': without50 && at(50).task != null ? at(50).task / without50.task : null,
};
for (const n of SIZES) {
  figures[`marks.listToMarksMs.${n}`] = at(n).latency ?? null;
  figures[`marks.rowsToMarksMs.${n}`] = at(n).rows ?? null;
  figures[`marks.contentScriptMs.${n}`] = at(n).content ?? null;
}
recordFigures(figures);
