// Org scan benchmark (issue 4): 1,000 projects x 10 connections, 30 ms latency, the mock's
// throttling on. Side by side in one run: the engine's scan (bounded concurrency), a serial
// scan (one project after another, as the reference PowerShell scripts do), and the lower
// bound (requests / allowed concurrency x latency). Also a concurrency sweep on a smaller
// organization, which is how the client's default concurrency was chosen.
//
//   node tests/bench/scan.bench.mjs [--projects 1000] [--connections 10] [--latency 30]
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { fork } from 'node:child_process';
import { initSync, scanOrganization } from '../../pkg/web/federate_wasm.js';

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

async function measure(mock, concurrency) {
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
  const scan = await scanOrganization({ orgUrl: mock.orgUrl, concurrency }, counted, null, null);
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const { statuses } = await mock.requestsSince(before);
  const requests = statuses.length;
  const throttled = statuses.filter((s) => s === 429).length;
  const found = scan.connections?.length ?? scan.endpoints?.length ?? 0;
  return { concurrency, ms, requests, throttled, found, maxInFlight, peakHeapMiB: peakHeap / 2 ** 20 };
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
    const bound = (engine.requests / engine.maxInFlight) * LATENCY;
    console.log('\n| scan | concurrency | wall ms | requests | 429s | found | x lower bound | x engine |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const [name, r] of [
      ['engine (default)', engine],
      ['serial', serial],
    ]) {
      console.log(
        `| ${name} | ${r.maxInFlight} | ${fmt(r.ms)} | ${r.requests} | ${r.throttled} | ${r.found} | ${(r.ms / bound).toFixed(2)} | ${(r.ms / engine.ms).toFixed(2)} |`,
      );
    }
    console.log(
      `| lower bound | ${engine.maxInFlight} | ${fmt(bound)} | ${engine.requests} | | | 1.00 | ${(bound / engine.ms).toFixed(2)} |`,
    );
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
    const levels = [1, 2, 4, 6, 8, 12, 16, 32];
    const runs = new Map(levels.map((c) => [c, []]));
    for (let round = 0; round < 3; round++) for (const c of levels) runs.get(c).push(await measure(small, c));
    const median = (xs) => xs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(runs.get(1));
    console.log('\n| concurrency | median wall ms (3 runs) | x concurrency 1 | 429s |');
    console.log('|---|---|---|---|');
    for (const c of levels) {
      const m = median(runs.get(c));
      console.log(`| ${c} | ${fmt(m)} | ${(m / base).toFixed(3)} | ${runs.get(c).reduce((s, r) => s + r.throttled, 0)} |`);
    }
  } finally {
    await small.close();
  }
}

await main();
