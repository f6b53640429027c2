// Storage benchmark (issue 10): what a conversion job costs chrome.storage.local, per item,
// for a job of 100 and of 1,000 connections side by side. The real worker module
// (extension/src/worker/convert.ts with driver.ts and jobstore.ts, bundled by esbuild) runs in
// node over a fake chrome whose storage counts writes and bytes (tests/node/job-harness.mjs),
// against the mock Azure DevOps. The figures must not grow with the job's length: the header
// is written once, then one small chunk per batch of records. Figures go to
// tests/.out/bench.json (storage.*).
//
//   node tests/bench/storage.bench.mjs [--small 100] [--large 1000] [--concurrency 8]
import { randomUUID } from 'node:crypto';
import { generateScenario, startMock } from '../mock/server.mjs';
import { makeEndpoint, rng } from '../mock/scenario.mjs';
import { startWorker, until } from '../node/job-harness.mjs';
import { recordFigures } from './results.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SIZES = [arg('small', 100), arg('large', 1000)];
const CONCURRENCY = arg('concurrency', 8);

/** A mock with `n` convertible connections in its first project. */
async function mockWith(n) {
  const scenario = generateScenario({ seed: 31, projects: 1, connectionsPerProject: 1 });
  const project = scenario.projects[0];
  const r = rng(9);
  for (let i = 0; i < n; i++) {
    scenario.endpoints.push(
      makeEndpoint('azurerm-sp-automatic', {
        org: scenario.organization.name,
        orgId: scenario.organization.id,
        tenantId: scenario.tenants[0],
        project,
        name: `bench-arm-${i}`,
        id: randomUUID(),
        r,
        now: Date.now(),
      }),
    );
  }
  const mock = await startMock({ scenario });
  return { mock, project: project.name };
}

/** Runs one job of `n` connections; returns its storage figures. */
async function run(n) {
  const { mock, project } = await mockWith(n);
  try {
    const w = await startWorker(mock, project);
    const t0 = performance.now();
    const { job, plan } = await w.start(null, { concurrency: CONCURRENCY });
    // The generated scenario may add a convertible connection of its own.
    if (plan.send.length < n) throw new Error(`planned ${plan.send.length}, expected ${n}`);
    const planned = plan.send.length;
    const view = await until(() => (w.view(job.jobId)?.state === 'done' ? w.view(job.jobId) : null), 600_000, 'the job');
    const ms = performance.now() - t0;
    const converted = view.items.filter((i) => i.outcome === 'converted').length;
    if (converted !== planned) throw new Error(`${converted} of ${planned} converted`);
    // Let the end's writes (finished, ended) land.
    await new Promise((r) => setTimeout(r, 200));
    let headBytes = 0;
    let recordBytes = 0;
    let chunks = 0;
    let largestChunk = 0;
    for (const [k, v] of w.storage.items) {
      const size = k.length + JSON.stringify(v).length;
      if (k.endsWith('.h')) headBytes += size;
      else if (/\.r\.\d+$/.test(k)) {
        chunks += 1;
        recordBytes += size;
        largestChunk = Math.max(largestChunk, size);
      }
    }
    w.stop();
    return {
      n: planned,
      ms,
      writes: w.storage.writes,
      bytesWritten: w.storage.bytesWritten,
      chunks,
      headBytes,
      recordBytes,
      largestChunk,
      requests: w.relayed.count,
    };
  } finally {
    await mock.close();
  }
}

const results = [];
for (const n of SIZES) results.push(await run(n));

const figures = {};
console.log(
  'items | writes/item | bytes written/item | record chunks/item | record bytes/item | header bytes/item | largest chunk | requests/item | ms',
);
for (const r of results) {
  const size = r.n < 500 ? SIZES[0] : SIZES[1];
  const row = {
    writesPerItem: r.writes / r.n,
    bytesPerItem: r.bytesWritten / r.n,
    chunksPerItem: r.chunks / r.n,
    recordBytesPerItem: r.recordBytes / r.n,
    headerBytesPerItem: r.headBytes / r.n,
    largestChunkBytes: r.largestChunk,
    requestsPerItem: r.requests / r.n,
    ms: r.ms,
  };
  console.log(
    `${r.n} | ${row.writesPerItem.toFixed(2)} | ${row.bytesPerItem.toFixed(0)} | ${row.chunksPerItem.toFixed(2)} | ${row.recordBytesPerItem.toFixed(0)} | ${row.headerBytesPerItem.toFixed(0)} | ${row.largestChunkBytes} | ${row.requestsPerItem.toFixed(2)} | ${row.ms.toFixed(0)}`,
  );
  for (const [k, v] of Object.entries(row)) figures[`storage.${k}.${size}`] = v;
}
const [small, large] = results;
const growth = large.bytesWritten / large.n / (small.bytesWritten / small.n);
console.log(`bytes per item, ${large.n} vs ${small.n} items: ×${growth.toFixed(2)} (must not grow with the job's length)`);
figures['storage.bytesPerItemGrowth'] = growth;
recordFigures(figures);
if (growth > 1.25) {
  console.error('storage per item grows with the job length');
  process.exitCode = 1;
}
