// Benchmark (npm run bench): the engine's wasm, as shipped (pkg/web, the file the extension,
// the library and the playground load): its size raw and gzip (level 9), and the time to
// instantiate it
//  - in Node: fetch-free `initSync` (compile + instantiate) in a fresh process each run, so no
//    code cache helps, and
//  - in the extension's service worker: the `federate:engine-instantiate` measure that
//    `loadEngine` records (fetch from the package, compile, instantiate), in a fresh browser
//    profile each run, triggered by opening a list page of the mock.
// Medians of RUNS (default 3). Printed and written to tests/.out/bench.json (wasm.*).
// FEDERATE_BENCH_BASELINE=<dir of another unpacked extension build> measures its wasm
// (<dir>/wasm/) side by side, interleaved run by run (not written to the JSON).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { root } from '../../scripts/lib.mjs';
import { launchBrowser } from '../harness/browser.mjs';
import { startMock } from '../mock/server.mjs';
import { recordFigures } from './results.mjs';

const RUNS = Number(process.env.FEDERATE_BENCH_RUNS ?? 3);
const BASELINE = process.env.FEDERATE_BENCH_BASELINE ?? null;
const builds = [{ name: 'this', dir: join(root, 'pkg', 'web'), extension: undefined }];
if (BASELINE) builds.push({ name: 'baseline', dir: join(BASELINE, 'wasm'), extension: BASELINE });
for (const b of builds) {
  b.bytes = readFileSync(join(b.dir, 'federate_wasm_bg.wasm'));
  b.gzip = gzipSync(b.bytes, { level: 9 }).length;
  b.node = [];
  b.sw = [];
}
const wasmPath = join(builds[0].dir, 'federate_wasm_bg.wasm');

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

/** One fresh Node process: reads the file first, then times initSync alone. */
function nodeOnce(dir) {
  const glue = join(dir, 'federate_wasm.js');
  const wasmPath = join(dir, 'federate_wasm_bg.wasm');
  const script = `
    import { readFileSync } from 'node:fs';
    import { initSync } from ${JSON.stringify(glue)};
    const bytes = readFileSync(${JSON.stringify(wasmPath)});
    const t0 = performance.now();
    initSync({ module: bytes });
    console.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

/** One fresh browser profile: opens a list page and reads the worker's measure. */
async function serviceWorkerOnce(mock, project, extensionPath) {
  const browser = await launchBrowser({ port: mock.port, ...(extensionPath ? { extensionPath } : {}) });
  try {
    const page = await browser.context.newPage();
    await page.goto(mock.signInUrl(`/${mock.org}/${encodeURIComponent(project)}/_settings/adminservices`));
    await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.federate ?? ''), null, {
      timeout: 60_000,
    });
    const worker = browser.serviceWorker();
    return await worker.evaluate(() => performance.getEntriesByName('federate:engine-instantiate')[0]?.duration ?? null);
  } finally {
    await browser.close();
  }
}

// Interleaved, so every build sees the same machine load.
for (let i = 0; i < RUNS; i++) for (const b of builds) b.node.push(nodeOnce(b.dir));
const mock = await startMock({ seed: 5, projects: 1, connectionsPerProject: 10, autoSignIn: true });
try {
  for (let i = 0; i < RUNS; i++) for (const b of builds) b.sw.push(await serviceWorkerOnce(mock, mock.state.projects[0].name, b.extension));
} finally {
  await mock.close();
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (x) => (x === null ? 'n/a' : `${x.toFixed(1)} ms`);
console.log(`\nThe engine's wasm (${wasmPath.replace(`${root}/`, '')}), median of ${RUNS} fresh runs\n`);
console.log('| build | raw | gzip -9 | instantiate, service worker | instantiate, Node |');
console.log('|---|---|---|---|---|');
for (const b of builds) {
  console.log(`| ${b.name} | ${kib(b.bytes.length)} | ${kib(b.gzip)} | ${ms(median(b.sw))} | ${ms(median(b.node))} |`);
}
for (const b of builds) console.log(`\n${b.name}: service worker runs ${b.sw.map(ms).join(', ')}; Node runs ${b.node.map(ms).join(', ')}`);
const self = builds[0];
recordFigures({
  'wasm.rawBytes': self.bytes.length,
  'wasm.gzipBytes': self.gzip,
  'wasm.instantiateMs.serviceWorker': median(self.sw),
  'wasm.instantiateMs.node': median(self.node),
});
