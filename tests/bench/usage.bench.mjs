// Usage benchmark (issue 13): the usage history of 500 connections (50 projects x 10), 30 ms
// latency, the mock in its own process. Side by side in one run: the engine's usage load at
// the client's default concurrency, the same load one request at a time, and the lower bound
// (requests / concurrency reached x latency). Figures go to tests/.out/bench.json (usage.*).
//
//   node tests/bench/usage.bench.mjs [--projects 50] [--connections 10] [--latency 30]
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { initSync, loadUsage, scanOrganization, usageTargets } from '../../pkg/web/federate_wasm.js';
import { recordFigures } from './results.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const PROJECTS = arg('projects', 50);
const CONNECTIONS = arg('connections', 10);
const LATENCY = arg('latency', 30);

initSync({ module: readFileSync(join(root, 'pkg', 'web', 'federate_wasm_bg.wasm')) });

/** The mock in a child process (tests/bench/mock-child.mjs). */
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
    control: (opts) => call({ op: 'control', opts }),
    requestsSince: (since) => call({ op: 'requests', since }),
    close: () => call({ op: 'close' }),
  };
}

/** A relay like the extension's content script, with kept-alive connections, counting requests in flight. */
function relayTo(mock, stats) {
  const auth = `Basic ${Buffer.from(`:${mock.pat}`).toString('base64')}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: mock.ca });
  let inFlight = 0;
  return (req) =>
    new Promise((resolve, reject) => {
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
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
          res.on('end', () => {
            inFlight--;
            resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      r.on('error', (e) => {
        inFlight--;
        reject(e);
      });
      if (req.body) r.write(req.body);
      r.end();
    });
}

async function measure(mock, targets, concurrency) {
  const before = (await mock.requestsSince(1e12)).total;
  const stats = { maxInFlight: 0 };
  const t0 = performance.now();
  const load = await loadUsage({ orgUrl: mock.orgUrl, concurrency }, targets, relayTo(mock, stats), null, null);
  const ms = performance.now() - t0;
  const { statuses } = await mock.requestsSince(before);
  const known = load.connections.filter((c) => c.usage).length;
  return { ms, requests: statuses.length, maxInFlight: stats.maxInFlight, complete: load.complete, known, read: load.connections.length };
}

const fmt = (n, d = 0) => n.toFixed(d).padStart(8);

async function main() {
  console.log(`\nUsage load: ${PROJECTS} projects x ${CONNECTIONS} connections, ${LATENCY} ms latency (executionhistory per connection)`);
  const mock = await startMock({ seed: 44, projects: PROJECTS, connectionsPerProject: CONNECTIONS, latencyMs: LATENCY });
  try {
    const scan = await scanOrganization({ orgUrl: mock.orgUrl }, relayTo(mock, { maxInFlight: 0 }), null, null);
    const targets = usageTargets(scan.connections.map((c) => c.endpoint));
    const engine = await measure(mock, targets, undefined);
    const serial = await measure(mock, targets, 1);
    const bound = (engine.requests / engine.maxInFlight) * LATENCY;
    console.log('\n| usage load | concurrency | wall ms | requests | read | x lower bound | x engine |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [name, r] of [
      ['engine (default)', engine],
      ['serial', serial],
    ]) {
      console.log(
        `| ${name} | ${r.maxInFlight} | ${fmt(r.ms)} | ${r.requests} | ${r.read} | ${(r.ms / bound).toFixed(2)} | ${(r.ms / engine.ms).toFixed(2)} |`,
      );
    }
    console.log(
      `| lower bound | ${engine.maxInFlight} | ${fmt(bound)} | ${engine.requests} | | 1.00 | ${(bound / engine.ms).toFixed(2)} |`,
    );
    console.log(
      `\nconnections: ${targets.length}; usage read for ${engine.read} (${engine.known} known), ${engine.requests} requests (1 per connection)`,
    );
    recordFigures({
      'usage.connections': targets.length,
      'usage.latencyMs': LATENCY,
      'usage.engine.concurrency': engine.maxInFlight,
      'usage.engine.ms': engine.ms,
      'usage.engine.requests': engine.requests,
      'usage.serial.ms': serial.ms,
      'usage.serial.requests': serial.requests,
      'usage.lowerBoundMs': bound,
      'usage.engineOverLowerBound': engine.ms / bound,
      'usage.serialOverEngine': serial.ms / engine.ms,
    });
    if (!engine.complete || engine.read !== targets.length || engine.requests !== targets.length) {
      console.error('MISMATCH: the usage load did not read every connection exactly once');
      process.exitCode = 1;
    }
  } finally {
    await mock.close();
  }
}

await main();
