// Runs the mock Azure DevOps in its own process for benchmarks, so that its work does not
// share an event loop (or a core) with the client being measured. Talks over fork IPC:
// in: {id, op: 'control', opts} | {id, op: 'requests', since} ; out: {id, result}
// (requests: their statuses, and how many were pages of the project list).
import { startMock } from '../mock/server.mjs';

const mock = await startMock(JSON.parse(process.argv[2] ?? '{}'));
process.send({ ready: { port: mock.port, pat: mock.pat, ca: mock.ca, orgUrl: mock.orgUrl, count: mock.countEndpoints() } });
process.on('message', async ({ id, op, opts, since }) => {
  if (op === 'control') {
    mock.control(opts);
    process.send({ id, result: true });
  } else if (op === 'requests') {
    const list = mock.requests.slice(since);
    const projectPages = list.filter((r) => /\/_apis\/projects\/?$/.test(r.path)).length;
    process.send({ id, result: { total: mock.requests.length, statuses: list.map((r) => r.status), projectPages } });
  } else if (op === 'close') {
    await mock.close();
    process.send({ id, result: true });
    process.exit(0);
  }
});
