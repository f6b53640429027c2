// The conversion job runner, in the service worker. Imported once by worker/main.ts; its
// listener is registered synchronously at top level. Jobs live in chrome.storage.local
// (journal.ts): a reload, a closed panel or a restarted worker loses nothing, and a scheme
// change is never sent twice: "sent" is on disk before the request leaves, and a connection
// with a send whose answer was lost is read (GET) before anything else is sent for it.
import { warnFailure } from '../shared/log.js';
import type { ConvertMessage, MessageOf, PlanRequest, ReplyOf } from '../shared/messages.js';
import {
  changeScheme,
  conversionRequest,
  type JournalEntry,
  loadEngine,
  type ConversionOutcome as Outcome,
  organizationIdOf,
  owningProject,
  planConversions,
  pollEndpoint,
  readProject,
  type Relay,
  type ServiceEndpoint,
} from '../shared/engine.js';
import { addJob, loadJob, loadJobs, organizations, record, save } from './journal.js';
import { relayThrough } from './relay.js';
import {
  type Direction,
  FINAL_OUTCOMES,
  type Job,
  type JobItem,
  type JobTarget,
  type Plan,
  type PlanGroup,
  type PlannedRequest,
} from '../shared/convert-types.js';

/** Rounds of "another operation is in progress" before the connection is left for later. */
const IN_PROGRESS_ROUNDS = 3;
/** Throttled jobs resume by themselves after the service's wait, or this long. */
const DEFAULT_THROTTLE_WAIT_MS = 30_000;
/** Pauses that resume by themselves once the page is back (a reload cut an answer off). */
const AUTO_RESUME = new Set(['network', 'throttled']);

const active = new Map<string, Promise<void>>();
const timers = new Map<string, ReturnType<typeof setTimeout>>();
const jobKey = (job: Job) => `${job.target.organizationName.toLowerCase()}/${job.id}`;

// ---------------------------------------------------------------------------------------
// Planning

/** The project's connections as read now, by id (lowercase). */
async function readEndpoints(target: JobTarget): Promise<Map<string, ServiceEndpoint>> {
  if (!target.projectName) throw new Error('Conversions are planned from a project page: open the project that owns the connections.');
  return readProject(target, target.projectName, relayThrough(target.tabId, target.apiBase));
}

/** Revert plans: the selected connections that are on workload identity federation. */
function planReverts(endpoints: Map<string, ServiceEndpoint>, selected: string[] | null): Plan {
  // The revert is offered per connection from its card; the engine's answer decides the rest
  // (a passed window comes back as `revertUnavailable`), so this only picks the selection.
  const plan: Plan = { send: [], skip: [] };
  for (const id of selected ?? []) {
    const ep = endpoints.get(id.toLowerCase()) as { id?: string; name?: string } | undefined;
    const { project } = homeOf(ep);
    if (!ep || !project) plan.skip.push({ id, name: ep?.name ?? null, reason: 'notFound', message: 'Not found in this project.' });
    else plan.send.push({ id: ep.id ?? id, name: ep.name ?? null, project });
  }
  return plan;
}

/** The project a scheme change of an endpoint goes to, and its name: the engine's `owningProject`. */
function homeOf(ep: ServiceEndpoint | undefined): { project: string | null; name: string | null } {
  const home = ep ? owningProject(ep) : null;
  return { project: home?.project ?? null, name: home?.projectName ?? null };
}

/** Runs `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * An organization-wide plan (the panel's organization view): each owning project is read and
 * planned by the engine as from that project (so shared connections are sent only from their
 * owner, and only when ticked), and the plans are merged into one. Each planned item keeps the
 * project its request goes to; a connection is planned at most once.
 */
async function planGroups(
  target: JobTarget,
  groups: PlanGroup[],
  allowManual: boolean,
): Promise<{ plan: Plan; endpoints: Map<string, ServiceEndpoint> }> {
  const relay = relayThrough(target.tabId, target.apiBase);
  const reads = await mapLimit(groups, 4, async (g) => ({ g, read: await readProject(target, g.project, relay) }));
  const plan: Plan = { send: [], skip: [] };
  const endpoints = new Map<string, ServiceEndpoint>();
  const planned = new Set<string>();
  for (const { g, read } of reads) {
    const from = { ...target, projectName: g.project };
    const list = [...read.values()];
    const also = new Set(g.also.map((id) => id.toLowerCase()));
    const parts: Plan[] = [];
    if (g.selected === null) {
      const all = planConversions(list, from, null, allowManual);
      // Connections shared into this project from another are planned in their owner's group.
      parts.push({
        send: all.send.filter((p) => !also.has(p.id.toLowerCase())),
        skip: all.skip.filter((s) => s.reason !== 'sharedFromAnotherProject' && !also.has(s.id.toLowerCase())),
      });
      if (also.size) parts.push(planConversions(list, from, g.also, allowManual));
    } else parts.push(planConversions(list, from, g.selected, allowManual));
    const projectName = list.map(homeOf).find((h) => h.project?.toLowerCase() === g.project.toLowerCase())?.name ?? null;
    for (const part of parts) {
      for (const p of part.send) {
        const id = p.id.toLowerCase();
        if (planned.has(id)) continue;
        planned.add(id);
        const ep = read.get(id);
        if (ep) endpoints.set(id, ep);
        plan.send.push({ ...p, projectName: homeOf(ep).name ?? projectName });
      }
      for (const s of part.skip) {
        const id = s.id.toLowerCase();
        if (planned.has(id)) continue;
        planned.add(id);
        plan.skip.push({ ...s, project: g.project, projectName });
      }
    }
    for (const id of [...(g.selected ?? []), ...g.also]) {
      if (planned.has(id.toLowerCase())) continue;
      planned.add(id.toLowerCase());
      plan.skip.push({ id, name: null, reason: 'notFound', message: 'Not found in its owning project.', project: g.project, projectName });
    }
  }
  return { plan, endpoints };
}

async function makePlan(message: PlanRequest): Promise<{ plan: Plan; endpoints: Map<string, ServiceEndpoint> }> {
  await loadEngine();
  if (message.groups) {
    if (message.direction !== 'convert') throw new Error('Reverts are made per connection, from its details.');
    return planGroups(message.target, message.groups, message.allowManual);
  }
  const endpoints = await readEndpoints(message.target);
  const plan =
    message.direction === 'convert'
      ? planConversions([...endpoints.values()], message.target, message.selected, message.allowManual)
      : planReverts(endpoints, message.selected);
  return { plan, endpoints };
}

function dryRun(plan: Plan, endpoints: Map<string, ServiceEndpoint>, target: JobTarget, direction: Direction): PlannedRequest[] {
  return plan.send.flatMap((p) => {
    const ep = endpoints.get(p.id.toLowerCase());
    if (!ep) return [];
    const req = conversionRequest(ep, target, direction);
    return [{ id: ep.id ?? p.id, name: ep.name ?? null, method: req.method, url: req.url, body: req.body }];
  });
}

function newJob(target: JobTarget, direction: Direction, plan: Plan, endpoints: Map<string, ServiceEndpoint>, concurrency: number): Job {
  const now = Date.now();
  const job: Job = {
    id: `${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
    direction,
    target,
    createdAt: now,
    updatedAt: now,
    state: 'running',
    pause: null,
    concurrency,
    items: plan.send.map((p) => ({
      id: p.id,
      name: p.name,
      project: p.project,
      status: 'pending',
      outcome: null,
      message: null,
      issuer: null,
      subject: null,
      revertDeadline: null,
      attempts: 0,
      endpoint: endpoints.get(p.id.toLowerCase()) ?? null,
    })),
    skipped: plan.skip,
    journal: [],
  };
  for (const p of plan.send)
    record(job, {
      kind: 'planned',
      endpointId: p.id,
      method: 'PUT',
      outcome: direction,
      message: p.name,
      url: null,
      status: null,
      at: now,
    });
  for (const s of plan.skip)
    record(job, {
      kind: 'skipped',
      endpointId: s.id,
      outcome: s.reason,
      message: s.message,
      method: null,
      url: null,
      status: null,
      at: now,
    });
  return job;
}

// ---------------------------------------------------------------------------------------
// Running

function journalSink(job: Job): (entry: JournalEntry) => void {
  return (entry) => {
    record(job, {
      at: entry.atMs || Date.now(),
      kind: entry.kind,
      endpointId: entry.endpointId,
      method: entry.method,
      url: entry.url,
      status: entry.status,
      outcome: entry.outcome,
      message: entry.message,
    });
    void save(job);
  };
}

/**
 * The relay of one connection: before a scheme change leaves, its "sent" entry (recorded by
 * the engine just before it calls the relay) and the attempt count are written to disk.
 */
function itemRelay(job: Job, item: JobItem, base: Relay): Relay {
  return async (request) => {
    if (request.method.toUpperCase() !== 'GET') {
      item.attempts += 1;
      // The engine records "sent" just before it calls the relay; add it if it did not.
      const last = [...job.journal].reverse().find((s) => s.endpointId === item.id);
      if (last?.kind !== 'sent')
        record(job, {
          kind: 'sent',
          endpointId: item.id,
          method: request.method,
          url: request.url,
          status: null,
          outcome: null,
          message: null,
        });
      await save(job);
    }
    return base(request);
  };
}

/** Whether the connection, as just read, shows the scheme change did not happen (nothing ran). */
function unchanged(outcome: Outcome, direction: Direction): boolean {
  if (outcome.outcome !== 'failed' || !outcome.endpoint) return false;
  const ep = outcome.endpoint;
  const scheme = (ep.authorization?.scheme ?? '').toLowerCase();
  const before = direction === 'convert' ? 'serviceprincipal' : 'workloadidentityfederation';
  return scheme === before && (ep.operationStatus?.state ?? 'Ready').toLowerCase() !== 'failed';
}

function finish(item: JobItem, out: Outcome): void {
  item.status = 'done';
  item.outcome = out.outcome;
  item.message = 'message' in out ? out.message : out.outcome === 'paused' && 'message' in out.error ? out.error.message : null;
  if (out.outcome === 'forbidden') {
    item.message = `${out.message || 'No permission.'} Needed: ${out.role || 'Administrator role on this service connection'}.`;
  }
  const converted = out.outcome === 'converted' ? out : null;
  item.issuer = converted?.issuer ?? null;
  item.subject = converted?.subject ?? null;
  item.revertDeadline = converted?.revertDeadline ?? null;
  if ('endpoint' in out && out.endpoint) item.endpoint = out.endpoint;
}

function pauseJob(job: Job, kind: string, message: string, resumeAt: number | null): void {
  if (job.state !== 'running') return;
  job.state = 'paused';
  job.pause = { kind, message, resumeAt };
  record(job, { kind: 'job', outcome: 'paused', message, endpointId: null, method: null, url: null, status: null });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Converts (or reverts) one connection; leaves it `pending` when the job paused. */
async function runItem(job: Job, item: JobItem, base: Relay): Promise<void> {
  const relay = itemRelay(job, item, base);
  const sink = journalSink(job);
  const { direction, target } = job;
  item.status = 'running';
  void save(job);
  let out: Outcome | null = null;
  if (item.attempts > 0) {
    // A scheme change went out before and its answer is not known: read, don't resend.
    out = await pollEndpoint(direction, target, item.project, item.id, relay, sink);
    record(job, {
      kind: 'answered',
      endpointId: item.id,
      outcome: `resolved by reading: ${out.outcome}`,
      message: 'message' in out ? out.message : null,
      method: 'GET',
      url: null,
      status: null,
    });
    if (unchanged(out, direction)) out = null; // it never ran: send it now
  }
  for (let round = 1; out === null || out.outcome === 'inProgress'; round++) {
    if (out?.outcome === 'inProgress') {
      if (round > IN_PROGRESS_ROUNDS) break;
      // Another operation runs on it: wait for it to settle (poll), then send again.
      await wait(1000 * round);
      const read = await pollEndpoint(direction, target, item.project, item.id, relay, sink);
      if (read.outcome === 'paused') {
        out = read;
        break;
      }
      if (!unchanged(read, direction) && read.outcome !== 'failed') {
        out = read;
        break;
      }
    }
    if (job.state !== 'running') {
      item.status = 'pending';
      return;
    }
    out = item.endpoint
      ? await changeScheme(direction, target, item.endpoint, relay, sink)
      : { outcome: 'notFound', message: 'The connection was not read when the job was planned.' };
  }
  if (out.outcome === 'converting') out = await pollEndpoint(direction, target, item.project, item.id, relay, sink);
  if (out.outcome === 'paused' || out.outcome === 'cancelled' || out.outcome === 'converting') {
    item.status = 'pending';
    if (out.outcome === 'paused') {
      const { error } = out;
      const kind = error.kind;
      const retry = error.kind === 'throttled' ? error.retryAfterMs : null;
      const resumeAt =
        kind === 'throttled' ? Date.now() + (retry ?? DEFAULT_THROTTLE_WAIT_MS) : kind === 'network' ? Date.now() + 1000 : null;
      pauseJob(job, kind, pauseMessage(kind, 'message' in error ? error.message : ''), resumeAt);
    } else if (out.outcome === 'converting') {
      pauseJob(job, 'converting', 'Azure DevOps is still converting in the background. Resume later to check again.', null);
    }
    return;
  }
  finish(item, out);
  if (!FINAL_OUTCOMES.has(out.outcome) && out.outcome !== 'inProgress') item.message ??= out.outcome;
}

function pauseMessage(kind: string, detail: string): string {
  switch (kind) {
    case 'signedOut':
      return 'Paused: you are signed out of Azure DevOps. Sign in again in the tab, then resume.';
    case 'throttled':
      return `Paused: Azure DevOps is rate limiting this user; the job resumes by itself after the wait. ${detail}`.trim();
    case 'server':
      return `Paused: Azure DevOps answered with a server error. Resume to continue where it stopped. ${detail}`.trim();
    case 'tab':
      return detail || 'Paused: the Azure DevOps tab is gone. Open the page again and resume.';
    default:
      return `Paused: no answer from Azure DevOps (the page may have reloaded). ${detail}`.trim();
  }
}

/** Runs a job until it finishes, pauses or is cancelled; one runner per job. */
function runJob(job: Job): Promise<void> {
  const key = jobKey(job);
  const running = active.get(key);
  if (running) return running;
  clearTimeout(timers.get(key));
  const run = (async () => {
    await loadEngine();
    const base = relayThrough(job.target.tabId, job.target.apiBase);
    const next = () => job.items.find((i) => i.status === 'pending' || i.status === 'running');
    const taken = new Set<JobItem>();
    const worker = async () => {
      while (job.state === 'running') {
        const item = job.items.find((i) => (i.status === 'pending' || i.status === 'running') && !taken.has(i));
        if (!item) return;
        taken.add(item);
        try {
          await runItem(job, item, base);
        } catch (err) {
          item.status = 'pending';
          const kind = (err as { kind?: string }).kind ?? 'network';
          pauseJob(job, kind, pauseMessage(kind, err instanceof Error ? err.message : String(err)), null);
        }
        await save(job);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, worker));
    if (job.state === 'running' && !next()) {
      job.state = 'done';
      record(job, { kind: 'job', outcome: 'finished', message: summary(job), endpointId: null, method: null, url: null, status: null });
    }
    await save(job);
    if (job.state === 'paused' && job.pause?.resumeAt && AUTO_RESUME.has(job.pause.kind)) schedule(job);
  })().finally(() => active.delete(key));
  active.set(key, run);
  return run;
}

function summary(job: Job): string {
  const counts = new Map<string, number>();
  for (const i of job.items) counts.set(i.outcome ?? i.status, (counts.get(i.outcome ?? i.status) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${n} ${k}`);
  if (job.skipped.length) parts.push(`${job.skipped.length} skipped by the plan`);
  return parts.join(', ');
}

function schedule(job: Job): void {
  const key = jobKey(job);
  clearTimeout(timers.get(key));
  const ms = Math.max(0, (job.pause?.resumeAt ?? Date.now()) - Date.now());
  timers.set(
    key,
    setTimeout(() => void resume(job, null), ms),
  );
}

async function resume(job: Job, tabId: number | null): Promise<Job> {
  if (job.state !== 'paused') return job;
  if (tabId !== null) job.target = { ...job.target, tabId };
  job.state = 'running';
  job.pause = null;
  record(job, { kind: 'job', outcome: 'resumed', message: null, endpointId: null, method: null, url: null, status: null });
  await save(job);
  void runJob(job);
  return job;
}

// ---------------------------------------------------------------------------------------
// Messages

/** Plans shown to the user, by id, so "Convert" sends exactly what was confirmed. */
const plans = new Map<string, { plan: Plan; endpoints: Map<string, ServiceEndpoint>; key: string }>();
const planKey = (m: PlanRequest) =>
  JSON.stringify([m.target.apiBase, m.target.projectName, m.target.tabId, m.direction, m.selected, m.allowManual, m.groups ?? null]);

async function tabOnOrigin(tabId: number, apiBase: string): Promise<void> {
  const tab = await chrome.tabs.get(tabId);
  if (!tab.url || new URL(tab.url).origin !== new URL(apiBase).origin) throw new Error('The tab does not show this organization.');
}

async function mustLoad(org: string, id: string): Promise<Job> {
  const job = await loadJob(org, id);
  if (!job) throw new Error('No such job.');
  return job;
}

type ConvertHandlers = { [K in ConvertMessage['type']]: (message: MessageOf<K>) => Promise<ReplyOf[K]> };

/** The conversion commands' handlers; worker/main.ts routes to them (and checks the sender). */
export const convertHandlers: ConvertHandlers = {
  async 'convert.plan'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    const made = await makePlan(message);
    const planId = crypto.randomUUID();
    plans.set(planId, { ...made, key: planKey(message) });
    if (plans.size > 20) plans.delete(plans.keys().next().value!);
    return { plan: made.plan, planId };
  },
  async 'convert.dryRun'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    const { plan, endpoints } = await makePlan(message);
    return { plan, requests: dryRun(plan, endpoints, message.target, message.direction) };
  },
  async 'convert.start'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    // Only the plan the user confirmed (and the endpoints as read then). If the worker no
    // longer holds it (it restarted while the user read the dialog, or the plan was evicted),
    // nothing is planned again here: a new plan could hold connections the user never saw.
    const kept = message.planId ? plans.get(message.planId) : undefined;
    if (message.planId) plans.delete(message.planId);
    if (!kept || kept.key !== planKey(message)) {
      throw new Error(
        'This plan is no longer held by Federate (the browser may have paused the extension while the dialog was open). Nothing was sent: review the plan again, then confirm it.',
      );
    }
    const { plan, endpoints } = kept;
    const job = newJob(message.target, message.direction, plan, endpoints, message.concurrency);
    job.organizationId = await organizationIdOf(message.target, relayThrough(message.target.tabId, message.target.apiBase));
    record(job, {
      kind: 'job',
      outcome: 'started',
      message: `${plan.send.length} to send, ${plan.skip.length} skipped`,
      endpointId: null,
      method: null,
      url: null,
      status: null,
    });
    await addJob(job);
    void runJob(job);
    return job;
  },
  async 'convert.pause'(message) {
    const job = await mustLoad(message.organizationName, message.jobId);
    pauseJob(job, 'user', 'Paused by you. Requests already sent finish; nothing new is sent until you resume.', null);
    clearTimeout(timers.get(jobKey(job)));
    await save(job);
    return job;
  },
  async 'convert.resume'(message) {
    const job = await mustLoad(message.organizationName, message.jobId);
    if (message.tabId !== null) await tabOnOrigin(message.tabId, job.target.apiBase);
    return resume(job, message.tabId);
  },
  async 'convert.cancel'(message) {
    const job = await mustLoad(message.organizationName, message.jobId);
    if (job.state === 'running' || job.state === 'paused') {
      job.state = 'cancelled';
      job.pause = null;
      clearTimeout(timers.get(jobKey(job)));
      for (const item of job.items) {
        if (item.status !== 'pending') continue;
        // A connection with a send whose answer was lost stays to be checked on its card.
        item.status = 'skipped';
        item.outcome = 'cancelled';
        item.message = item.attempts > 0 ? 'Cancelled; a request was sent earlier: check the connection.' : 'Cancelled before it was sent.';
      }
      record(job, { kind: 'job', outcome: 'cancelled', message: summary(job), endpointId: null, method: null, url: null, status: null });
      await save(job);
    }
    return job;
  },
  async 'convert.retry'(message) {
    const job = await mustLoad(message.organizationName, message.jobId);
    const item = job.items.find((i) => i.id.toLowerCase() === message.endpointId.toLowerCase());
    if (!item || item.status === 'running' || active.has(jobKey(job))) throw new Error('This connection is not waiting for a retry.');
    if (message.tabId !== null) await tabOnOrigin(message.tabId, job.target.apiBase);
    item.status = 'pending';
    item.outcome = null;
    item.message = null;
    // A retry after an answer is a new attempt; the previous PUT was answered.
    item.attempts = 0;
    record(job, { kind: 'job', outcome: 'retry', endpointId: item.id, message: item.name, method: null, url: null, status: null });
    job.state = 'paused';
    job.pause = { kind: 'user', message: 'Trying again.', resumeAt: null };
    return resume(job, message.tabId);
  },
  async 'convert.jobs'(message) {
    return loadJobs(message.organizationName);
  },
};

/** On worker start: resume jobs that were running, and re-arm timed resumes. */
async function resumeJobs(): Promise<void> {
  for (const org of await organizations()) {
    for (const job of await loadJobs(org)) {
      if (job.state === 'running') void runJob(job);
      else if (job.state === 'paused' && job.pause?.resumeAt && AUTO_RESUME.has(job.pause.kind)) schedule(job);
    }
  }
}
/** Called once by worker/main.ts at start. */
export function resumeAll(): void {
  void resumeJobs().catch((err: unknown) => warnFailure('could not resume conversion jobs', err));
}
