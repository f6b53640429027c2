// `federate convert` against the mock, from the packed install: the plan without --yes sends
// nothing; --yes converts through the engine's job machine; a run killed with SIGKILL half-way
// and started again with the same journal converts every connection exactly once; --revert
// inside and after the revert window; --interactive (no terminal: exit 2; a pseudo-terminal
// from `script`: Convert / Skip / Exit); --format json; a journal of another organization.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMock } from '../mock/server.mjs';
import { installPacked } from './packed.mjs';

let pkg;
let scratch;
before(() => {
  pkg = installPacked();
  scratch = mkdtempSync(join(tmpdir(), 'federate-convert-'));
});
after(() => {
  pkg?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let journals = 0;
const journalPath = () => join(scratch, `journal-${++journals}.json`);
const envOf = (mock) => ({ AZURE_DEVOPS_EXT_PAT: mock.pat, SYSTEM_ACCESSTOKEN: '', NODE_EXTRA_CA_CERTS: mock.caPath });
const puts = (mock) => mock.requests.filter((r) => r.method === 'PUT');
const schemeOf = (mock, id) => mock.getEndpoint(id)?.authorization?.scheme;
const journalLines = (file) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

/** The ids the plan (without --yes, as JSON) says it will send. */
async function planned(mock, extra = []) {
  const r = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--all-convertible', '--format', 'json', ...extra], {
    env: envOf(mock),
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('without --yes: the plan (what is sent, what is skipped and why), nothing sent, exit 0', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const journal = journalPath();
    const r = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--all-convertible', '--journal', journal], { env: envOf(mock) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Will convert [1-9]\d* connections?:/m);
    assert.match(r.stdout, /^Skipped [1-9]\d* connections?:/m);
    assert.match(r.stdout, /It already uses workload identity federation\./, 'a skip says why, in the engine words');
    assert.match(r.stderr, /nothing was sent\. Run again with --yes/);
    assert.equal(puts(mock).length, 0, 'no PUT reached the mock');
    assert.equal(existsSync(journal), false, 'no journal for a plan that was only shown');
    const json = await planned(mock);
    assert.ok(json.send.length >= 1 && json.skip.length >= 1);
    for (const s of json.skip) assert.ok(s.reason && s.message, 'each skip has a reason and a message');
    assert.equal(puts(mock).length, 0);
  } finally {
    await mock.close();
  }
});

test('--yes converts the plan it printed; --format json prints the final job', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const plan = await planned(mock);
    const journal = journalPath();
    const r = await pkg.runLive(
      ['convert', '--org', mock.localOrgUrl, '--all-convertible', '--yes', '--format', 'json', '--journal', journal],
      {
        env: envOf(mock),
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['counts', 'items', 'state']);
    assert.equal(out.items.length, plan.send.length);
    for (const item of out.items) {
      assert.deepEqual(Object.keys(item).sort(), [
        'attempts',
        'id',
        'issuer',
        'message',
        'name',
        'outcome',
        'project',
        'revertDeadline',
        'subject',
      ]);
      assert.equal(item.outcome, 'converted');
      assert.equal(item.attempts, 1);
      assert.match(item.issuer, /^https:\/\//);
      assert.ok(item.subject && item.revertDeadline, 'subject and revert deadline after a conversion');
      assert.equal(schemeOf(mock, item.id), 'WorkloadIdentityFederation');
    }
    assert.deepEqual(out.counts, { converted: plan.send.length });
    assert.deepEqual(
      puts(mock)
        .map((p) => p.path.split('/').pop())
        .sort(),
      plan.send.map((s) => s.id).sort(),
      'one PUT per planned connection, none other',
    );
    // Progress on stderr: one line per outcome with a running count.
    assert.match(r.stderr, new RegExp(`\\[${plan.send.length}/${plan.send.length}\\] converted: `));
    assert.ok(!r.stderr.includes(mock.pat) && !r.stdout.includes(mock.pat), 'the token is never printed');
    // The journal: the header first, a `sent` record before each PUT.
    const lines = journalLines(journal);
    assert.ok(lines[0].job, 'the confirmed plan first');
    assert.equal(lines.filter((l) => l.kind === 'sent').length, plan.send.length);
    // Run again: the connections are federated now, the engine plans nothing.
    const again = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--all-convertible', '--yes', '--journal', journal], {
      env: envOf(mock),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(puts(mock).length, plan.send.length, 'nothing converted twice');
  } finally {
    await mock.close();
  }
});

test('a run killed with SIGKILL half-way, run again with the same journal, converts each connection exactly once', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const plan = await planned(mock);
    assert.ok(plan.send.length >= 3, `enough connections to kill half-way (${plan.send.length})`);
    mock.control({ latencyMs: 250 });
    const journal = journalPath();
    const args = ['convert', '--org', mock.localOrgUrl, '--all-convertible', '--yes', '--concurrency', '1', '--journal', journal];
    const child = spawn(pkg.bin, args, { cwd: pkg.dir, env: { ...process.env, ...envOf(mock) }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Kill once two `sent` records are on disk (the second PUT may or may not have left).
    for (let i = 0; i < 600; i++) {
      const sent = journalLines(journal).filter((l) => l.kind === 'sent').length;
      if (sent >= 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    const { signal } = await exited;
    assert.equal(signal, 'SIGKILL');
    const before = journalLines(journal);
    assert.ok(before.filter((l) => l.kind === 'outcome').length < plan.send.length, 'killed before the end');
    mock.control({ latencyMs: 0 });
    const r = await pkg.runLive([...args, '--format', 'json'], { env: envOf(mock) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is unfinished/);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.items.map((i) => i.outcome),
      plan.send.map(() => 'converted'),
    );
    assert.deepEqual(mock.convertedTwice(), [], 'no connection converted twice');
    const converted = mock.conversions.filter((c) => c.op === 'convert' && (c.outcome === 'converted' || c.outcome === 'converting'));
    assert.deepEqual(
      converted.map((c) => c.id).sort(),
      plan.send.map((s) => s.id.toLowerCase()).sort(),
      'each planned connection converted exactly once',
    );
    for (const s of plan.send) assert.equal(schemeOf(mock, s.id), 'WorkloadIdentityFederation');
    assert.equal(journalLines(journal).filter((l) => l.job).length, 1, 'the same job resumed, not a second one');
  } finally {
    await mock.close();
  }
});

test('Ctrl-C pauses the job (exit 130, the journal says so); a last line cut short is dropped; run again it finishes', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const plan = await planned(mock);
    mock.control({ latencyMs: 250 });
    const journal = journalPath();
    const args = ['convert', '--org', mock.localOrgUrl, '--all-convertible', '--yes', '--concurrency', '1', '--journal', journal];
    const child = spawn(pkg.bin, args, { cwd: pkg.dir, env: { ...process.env, ...envOf(mock) } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.stdout.resume();
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once two PUTs were announced (a background conversion does not hold a slot, so
    // the job moves on to the next connection while it polls the first).
    for (let i = 0; i < 600 && journalLines(journal).filter((l) => l.kind === 'sent').length < 2; i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /pausing: waiting for the requests in flight/);
    const lines = journalLines(journal);
    assert.ok(
      lines.some((l) => l.kind === 'paused' && l.reason.kind === 'user'),
      'the pause is in the journal',
    );
    const sent = lines.filter((l) => l.kind === 'sent').length;
    assert.ok(sent < plan.send.length, `stopped before the end: ${JSON.stringify(lines.map((l) => l.kind))}`);
    assert.equal(puts(mock).length, sent, 'every sent record has its PUT, no PUT without one');
    // A write cut short by a kill: the half line is left out, then dropped before appending.
    appendFileSync(journal, '{"kind":"sent","at":1,"it');
    mock.control({ latencyMs: 0 });
    const r = await pkg.runLive([...args, '--format', 'json'], { env: envOf(mock) });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).items.every((i) => i.outcome === 'converted'));
    assert.deepEqual(mock.convertedTwice(), []);
    assert.equal(puts(mock).length, plan.send.length);
    assert.ok(journalLines(journal).length > lines.length, 'the journal reads whole again');
  } finally {
    await mock.close();
  }
});

test('--project plans one project; signed out during the job: paused (exit 4), then run again it finishes', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const env = envOf(mock);
    const project = mock.state.projects[0].name;
    const before = mock.requests.length;
    const shown = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--project', project, '--all-convertible', '--format', 'json'], {
      env,
    });
    assert.equal(shown.code, 0, shown.stderr);
    const plan = JSON.parse(shown.stdout);
    assert.ok(plan.send.length >= 1);
    for (const s of plan.send) assert.equal(s.project, project, 'only that project, by name');
    // The session ends right after the scan: the job's first request finds it signed out.
    const scanRequests = mock.requests.length - before;
    mock.control({ faults: { expireSessionAfter: scanRequests } });
    const journal = journalPath();
    const args = ['convert', '--org', mock.localOrgUrl, '--project', project, '--all-convertible', '--yes', '--journal', journal];
    const paused = await pkg.runLive([...args, '--format', 'json'], { env });
    assert.equal(paused.code, 4, paused.stderr);
    assert.match(paused.stderr, /signed out of Azure DevOps/);
    assert.equal(JSON.parse(paused.stdout).state, 'paused');
    assert.equal(puts(mock).length, 0);
    mock.control({ signIn: true });
    const r = await pkg.runLive([...args, '--format', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).items.map((i) => [i.id, i.outcome]),
      plan.send.map((s) => [s.id, 'converted']),
    );
    assert.equal(puts(mock).length, plan.send.length);
  } finally {
    await mock.close();
  }
});

test('--revert inside the window reverts; after the window it fails with the reason (exit 1)', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const plan = await planned(mock);
    const [first, second] = plan.send;
    assert.ok(second, 'two convertible connections');
    const env = envOf(mock);
    const conv = await pkg.runLive(
      ['convert', '--org', mock.localOrgUrl, '--ids', `${first.id},${second.id}`, '--yes', '--journal', journalPath()],
      { env },
    );
    assert.equal(conv.code, 0, conv.stderr);
    const inside = await pkg.runLive(
      ['convert', '--org', mock.localOrgUrl, '--revert', '--ids', first.id, '--yes', '--format', 'json', '--journal', journalPath()],
      {
        env,
      },
    );
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(JSON.parse(inside.stdout).items[0].outcome, 'reverted');
    assert.equal(schemeOf(mock, first.id), 'ServicePrincipal');
    mock.control({ advanceClockMs: 8 * 86_400_000 });
    const late = await pkg.runLive(
      ['convert', '--org', mock.localOrgUrl, '--revert', '--ids', second.id, '--yes', '--format', 'json', '--journal', journalPath()],
      {
        env,
      },
    );
    assert.equal(late.code, 1, late.stderr);
    const item = JSON.parse(late.stdout).items[0];
    assert.equal(item.outcome, 'failed');
    assert.match(item.message, /revert window has passed/);
    assert.equal(schemeOf(mock, second.id), 'WorkloadIdentityFederation');
  } finally {
    await mock.close();
  }
});

test('usage and journal errors: --interactive without a terminal (2), a journal of another organization (3)', async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const env = envOf(mock);
    const noTty = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--all-convertible', '--interactive'], { env });
    assert.equal(noTty.code, 2);
    assert.match(noTty.stderr, /--interactive needs a terminal/);
    const none = await pkg.runLive(['convert', '--org', mock.localOrgUrl], { env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--ids ID\[,ID\], or --all-convertible/);
    const plan = await planned(mock);
    const journal = journalPath();
    const ok = await pkg.runLive(['convert', '--org', mock.localOrgUrl, '--ids', plan.send[0].id, '--yes', '--journal', journal], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const other = await pkg.runLive(
      ['convert', '--org', mock.localOrgUrl.replace(/contoso$/, 'fabrikam'), '--all-convertible', '--journal', journal],
      {
        env,
      },
    );
    assert.equal(other.code, 3);
    assert.match(other.stderr, /holds a job of .*contoso, not .*fabrikam/);
    assert.equal(puts(mock).length, 1);
  } finally {
    await mock.close();
  }
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

test('--interactive in a pseudo-terminal: Skip, Convert (sent at once), Exit', {
  skip: hasScript ? false : 'util-linux `script` is not installed: no pseudo-terminal',
}, async () => {
  const mock = await startMock({ seed: 11, projects: 4, connectionsPerProject: 12 });
  try {
    const plan = await planned(mock);
    assert.ok(plan.send.length >= 3);
    const journal = journalPath();
    const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = [pkg.bin, 'convert', '--org', mock.localOrgUrl, '--all-convertible', '--interactive', '--journal', journal]
      .map(quote)
      .join(' ');
    // `script` gives the command a pseudo-terminal and types our input into it.
    const r = await new Promise((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: pkg.dir, env: { ...process.env, ...envOf(mock) } });
      let out = '';
      let answered = 0;
      const answers = ['s\n', 'c\n', 'e\n'];
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        const asked = out.split('[c]onvert, [s]kip, [e]xit').length - 1;
        while (answered < asked && answered < answers.length) child.stdin.write(answers[answered++]);
      });
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /skipped /);
    assert.match(r.out, /\[1\/1\] converted: /);
    assert.match(r.out, /stopped; what was converted stays converted/);
    assert.deepEqual(
      puts(mock).map((p) => p.path.split('/').pop()),
      [plan.send[1].id],
      'only the connection answered Convert was sent',
    );
    assert.equal(schemeOf(mock, plan.send[0].id), 'ServicePrincipal');
    assert.equal(schemeOf(mock, plan.send[2].id), 'ServicePrincipal');
    assert.equal(journalLines(journal).filter((l) => l.job).length, 1, 'one job in the journal: the one converted');
  } finally {
    await mock.close();
  }
});
