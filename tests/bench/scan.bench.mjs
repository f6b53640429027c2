// Org scan benchmark (issue 4): 1,000 projects x 10 connections, 30 ms latency, the mock's
// throttling on. Side by side in one run: the engine's scan (bounded concurrency), a serial
// scan (one project after another, as the reference PowerShell scripts do), and the lower
// bound: the fastest schedule any client could run with the engine's concurrency, given the
// latency, that the project list's pages come one after another (each names the projects
// that can then be read), and the service's rate budget (a request sent while the user's
// sliding-window usage is at the limit is delayed and answered with Retry-After, which a
// client must honour, so the fastest client waits for usage to fall below the limit instead).
// Also a concurrency sweep on a smaller organization, which is how the client's default
// concurrency was chosen. Figures go to tests/.out/bench.json (scan.*).
//
//   node tests/bench/scan.bench.mjs [--projects 1000] [--connections 10] [--latency 30] [--regime budget|exceeded] [--no-sweep]
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { fork } from 'node:child_process';
import { initSync, scanOrganization } from '../../pkg/web/federate_wasm.js';
import { recordFigures } from './results.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const PROJECTS = arg('projects', 1000);
const CONNECTIONS = arg('connections', 10);
const LATENCY = arg('latency', 30);
// Two throttling regimes: "budget" stays under the limit but the mock counts down
// X-RateLimit-Remaining (the usual case: list calls are cheap); "exceeded" runs past the
// per-user budget, so the service delays answers and sends Retry-After, which every scan
// must honour: then the budget, not concurrency, sets the pace.
const REGIMES = {
  budget: { limit: 600, windowMs: 60_000, delayMs: 20, blockAt: 1_500, cost: 0.5 },
  exceeded: { limit: 600, windowMs: 60_000, delayMs: 20, blockAt: 1_500, cost: 1 },
};

const wasm = initSync({ module: readFileSync(join(root, 'pkg', 'web', 'federate_wasm_bg.wasm')) });
// FEDERATE_BENCH_BASELINE=<dir of another unpacked extension build>: its engine (<dir>/wasm/)
// scans too, right after this one, in each regime (printed, not written to the JSON).
const BASELINE = process.env.FEDERATE_BENCH_BASELINE ?? null;
const baseline = BASELINE ? await import(join(BASELINE, 'wasm', 'federate_wasm.js')) : null;
baseline?.initSync({ module: readFileSync(join(BASELINE, 'wasm', 'federate_wasm_bg.wasm')) });

/** Starts the mock in a child process; returns a handle with the same names the bench uses. */
async function startMock(options) {
  const child = fork(join(root, 'tests', 'bench', 'mock-child.mjs'), [JSON.stringify(options)], { stdio: 'inherit' });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.ready));
    child.once('exit', (code) => reject(new Error(`mock exited with ${code}`)));
  });
  let next = 0;
  const call = (msg) =>
    new Promise((resolve) => {
      const id = ++next;
      const on = (m) => {
        if (m.id === id) {
          child.off('message', on);
          resolve(m.result);
        }
      };
      child.on('message', on);
      child.send({ ...msg, id });
    });
  return {
    ...ready,
    countEndpoints: () => ready.count,
    control: (opts) => call({ op: 'control', opts }),
    requestsSince: (since) => call({ op: 'requests', since }),
    close: () => call({ op: 'close' }),
  };
}

/** A relay like the extension's content script: performs each request against the mock. */
function relayTo(mock) {
  const auth = `Basic ${Buffer.from(`:${mock.pat}`).toString('base64')}`;
  // Connections are kept alive, as a browser keeps them: a TLS handshake per request would
  // measure the handshake, not the scan.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: mock.ca });
  return (req) =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const r = request(
        {
          host: '127.0.0.1',
          port: mock.port,
          servername: 'dev.azure.com',
          agent,
          method: req.method,
          path: url.pathname + url.search,
          headers: { ...Object.fromEntries(req.headers), host: url.host, authorization: auth },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      r.on('error', reject);
      if (req.body) r.write(req.body);
      r.end();
    });
}

async function measure(mock, concurrency, scan = scanOrganization) {
  await mock.control({ resetThrottle: true });
  const before = (await mock.requestsSince(1e12)).total;
  let peakHeap = 0;
  const baseHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - baseHeap);
  }, 25);
  let maxInFlight = 0;
  let inFlight = 0;
  const relay = relayTo(mock);
  const counted = async (req) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await relay(req);
    } finally {
      inFlight--;
    }
  };
  const t0 = performance.now();
  const result = await scan({ orgUrl: mock.orgUrl, concurrency }, counted, null, null);
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const { statuses, projectPages } = await mock.requestsSince(before);
  const requests = statuses.length;
  const throttled = statuses.filter((s) => s === 429).length;
  const found = result.connections?.length ?? result.endpoints?.length ?? 0;
  const delayed = result.stats?.waitedMs ?? 0;
  return { concurrency, ms, requests, throttled, found, maxInFlight, projectPages, waitedMs: delayed, peakHeapMiB: peakHeap / 2 ** 20 };
}

/**
 * The lower bound, in ms: the earliest a client like the engine can finish `requests`
 * requests with `concurrency` in flight, each taking `latency`, when the first `pages` are
 * the project list's pages (one after another; page i's projects can be read once it is
 * answered, so the rest overlap the paging), and the service counts `cost` per request in a
 * sliding window of `windowMs` (the mock's model of ado-facts §12): a request sent while
 * usage is at `limit` or more is served `delayMs` late with a Retry-After, which the client
 * honours. The client learns that the budget is spent only from such an answer, so at most
 * `concurrency` requests land past the limit (delayed); then it waits until usage is below
 * the limit again. Requests never reach `blockAt` (429) in this model.
 */
export function lowerBound({ requests, pages, concurrency, latency, throttle }) {
  const { limit, windowMs, cost, delayMs } = throttle;
  const sent = [];
  let oldest = 0;
  let used = 0;
  let over = 0;
  const expire = (at) => {
    while (oldest < sent.length && sent[oldest] <= at - windowMs) {
      used -= cost;
      oldest++;
    }
  };
  /** Sends at the earliest time from `earliest` the budget allows; returns when it is answered. */
  let hold = 0;
  const send = (earliest) => {
    // A wait for the budget holds every later request too (the engine pauses the whole job).
    let at = Math.max(earliest, hold);
    expire(at);
    let delay = 0;
    if (used < limit) over = 0;
    else if (over < Math.max(1, concurrency)) {
      over++;
      delay = delayMs;
    } else {
      while (used >= limit) {
        at = sent[oldest] + windowMs;
        expire(at);
      }
      over = 0;
      hold = at;
    }
    sent.push(at);
    used += cost;
    return at + latency + delay;
  };
  const perPage = Math.ceil((requests - pages) / Math.max(1, pages));
  const slots = Array(Math.max(1, concurrency)).fill(0);
  // The pages hold one slot, one after another; each page's projects are ready when it ends.
  const ready = [];
  let t = 0;
  for (let p = 0; p < pages; p++) {
    t = send(t);
    ready.push(t);
  }
  slots[0] = t;
  let end = t;
  for (let i = 0; i < requests - pages; i++) {
    let k = 0;
    for (let j = 1; j < slots.length; j++) if (slots[j] < slots[k]) k = j;
    const available = ready[Math.min(ready.length - 1, Math.floor(i / perPage))] ?? 0;
    slots[k] = send(Math.max(slots[k], available));
    end = Math.max(end, slots[k]);
  }
  return end;
}

const fmt = (n, d = 0) => n.toFixed(d).padStart(8);

async function scanRegime(name, throttle) {
  console.log(
    `\nOrg scan: ${PROJECTS} projects x ${CONNECTIONS} connections, ${LATENCY} ms latency, throttling "${name}" ${JSON.stringify(throttle)}`,
  );
  const mock = await startMock({ seed: 42, projects: PROJECTS, connectionsPerProject: CONNECTIONS, latencyMs: LATENCY, throttle });
  try {
    const expected = mock.countEndpoints();
    const engine = await measure(mock, undefined); // the client's default concurrency
    const serial = await measure(mock, 1);
    const base = baseline ? await measure(mock, undefined, baseline.scanOrganization) : null;
    const bound = lowerBound({
      requests: engine.requests,
      pages: engine.projectPages,
      concurrency: engine.maxInFlight,
      latency: LATENCY,
      throttle,
    });
    // The bound as it was printed before (latency and concurrency only), for comparison.
    const naive = (engine.requests / engine.maxInFlight) * LATENCY;
    console.log('\n| scan | concurrency | wall ms | requests | 429s | waited ms (summed) | found | x lower bound | x engine |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [name, r] of [
      ['engine (default)', engine],
      ['serial', serial],
      ['baseline engine', base],
    ]) {
      if (!r) continue;
      console.log(
        `| ${name} | ${r.maxInFlight} | ${fmt(r.ms)} | ${r.requests} | ${r.throttled} | ${r.waitedMs} | ${r.found} | ${(r.ms / bound).toFixed(2)} | ${(r.ms / engine.ms).toFixed(2)} |`,
      );
    }
    console.log(
      `| lower bound (latency, paging, concurrency, budget) | ${engine.maxInFlight} | ${fmt(bound)} | ${engine.requests} | | | | 1.00 | ${(bound / engine.ms).toFixed(2)} |`,
    );
    console.log(`| (latency and concurrency only) | ${engine.maxInFlight} | ${fmt(naive)} | | | | | | |`);
    // What the machine adds: the serial scan's time beyond its latency and waits is CPU (the
    // mock, TLS, the relay, the engine), spent one request at a time; spread over every core,
    // that is the least CPU time any concurrency can bring a scan down to on this machine.
    const cpuPerRequest = Math.max(0, serial.ms - serial.requests * LATENCY - serial.waitedMs) / serial.requests;
    const cpuFloor = (cpuPerRequest * engine.requests) / availableParallelism();
    console.log(
      `| CPU floor (${cpuPerRequest.toFixed(1)} ms CPU per request in the serial scan, over ${availableParallelism()} cores) | | ${fmt(cpuFloor)} | ${engine.requests} | | | | | ${(cpuFloor / engine.ms).toFixed(2)} |`,
    );
    console.log(`\nserial / engine: ${(serial.ms / engine.ms).toFixed(2)}x; engine / bound: ${(engine.ms / bound).toFixed(2)}x`);
    recordFigures({
      [`scan.${name}.engineMs`]: engine.ms,
      [`scan.${name}.serialMs`]: serial.ms,
      [`scan.${name}.boundMs`]: bound,
      [`scan.${name}.requests`]: engine.requests,
      [`scan.${name}.serialRequests`]: serial.requests,
      [`scan.${name}.throttled429`]: engine.throttled,
      [`scan.${name}.found`]: engine.found,
      [`scan.${name}.serialFound`]: serial.found,
      [`scan.${name}.expected`]: expected,
      [`scan.${name}.concurrency`]: engine.maxInFlight,
      [`scan.${name}.serialOverEngine`]: serial.ms / engine.ms,
      [`scan.${name}.engineOverBound`]: engine.ms / bound,
      [`scan.${name}.cpuPerRequestMs`]: cpuPerRequest,
      [`scan.${name}.cpuFloorMs`]: cpuFloor,
    });
    console.log(`\nconnections in the mock: ${expected}; engine found ${engine.found}, serial found ${serial.found}`);
    console.log(
      `peak JS heap growth during the engine scan: ${engine.peakHeapMiB.toFixed(1)} MiB; wasm linear memory: ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(1)} MiB`,
    );
    if (engine.found !== expected || serial.found !== expected) {
      console.error('MISMATCH: a scan did not find every connection exactly once');
      process.exitCode = 1;
    }
  } finally {
    await mock.close();
  }
}

async function main() {
  for (const [name, throttle] of Object.entries(REGIMES)) {
    if (!process.argv.includes('--regime') || process.argv.includes(name)) await scanRegime(name, throttle);
  }
  if (process.argv.includes('--no-sweep')) return;
  const THROTTLE = REGIMES.budget;
  const sweepProjects = Math.min(PROJECTS, 200);
  console.log(`\nConcurrency sweep: ${sweepProjects} projects x ${CONNECTIONS}, ${LATENCY} ms latency, same throttling`);
  const small = await startMock({
    seed: 43,
    projects: sweepProjects,
    connectionsPerProject: CONNECTIONS,
    latencyMs: LATENCY,
    throttle: THROTTLE,
  });
  try {
    // Three rounds, interleaved, median per concurrency: this machine is noisy.
    const levels = [1, 2, 4, 6, 8, 12, 16, 24, 32];
    const runs = new Map(levels.map((c) => [c, []]));
    for (let round = 0; round < 3; round++) for (const c of levels) runs.get(c).push(await measure(small, c));
    const median = (xs) => xs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(runs.get(1));
    console.log('\n| concurrency | median wall ms (3 runs) | x concurrency 1 | lower bound ms | x lower bound | 429s |');
    console.log('|---|---|---|---|---|---|');
    const sweep = {};
    for (const c of levels) {
      const m = median(runs.get(c));
      const r = runs.get(c)[0];
      const b = lowerBound({ requests: r.requests, pages: r.projectPages, concurrency: c, latency: LATENCY, throttle: THROTTLE });
      sweep[`scan.sweep.${c}.medianMs`] = m;
      sweep[`scan.sweep.${c}.boundMs`] = b;
      console.log(
        `| ${c} | ${fmt(m)} | ${(m / base).toFixed(3)} | ${fmt(b)} | ${(m / b).toFixed(2)} | ${runs.get(c).reduce((s, r) => s + r.throttled, 0)} |`,
      );
    }
    recordFigures(sweep);
  } finally {
    await small.close();
  }
}

await main();
