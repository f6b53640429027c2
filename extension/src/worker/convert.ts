// The conversion commands, in the service worker: plans come from the engine's planning
// functions, jobs are the engine's job machine (driver.ts drives one), jobs are stored by
// jobstore.ts. What this file decides is only plumbing: which plan the user confirmed (kept
// by id), which tab relays, when a job is restored. Imported once by worker/main.ts.
import { warnFailure } from '../shared/log.js';
import type { ConvertMessage, JobReply, MessageOf, PlanRequest, ReplyOf } from '../shared/messages.js';
import {
  ConversionJob,
  conversionRequest,
  jobConflicts,
  jobHeader,
  type JobView,
  loadEngine,
  organizationIdOf,
  planConversions,
  planOrganization,
  planReverts,
  type ProjectRead,
  readEndpoint,
  readProject,
  type ServiceEndpoint,
} from '../shared/engine.js';
import { type Direction, type JobTarget, jobStorage, type Plan, type PlannedRequest } from '../shared/convert-types.js';
import { JobRunner, LostError } from './driver.js';
import { appendRecords, clearEnded, createJob, loadJobs, markEnded, prune, setTab, type StoredJob, usage } from './jobstore.js';
import { onOrigin, relayThrough } from './relay.js';

// ---------------------------------------------------------------------------------------
// Planning: reads through the tab, then the engine's plan.

/** Runs `f` over `items`, at most `limit` at a time, results in order (reads only). */
async function mapLimit<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function makePlan(message: PlanRequest): Promise<{ plan: Plan; endpoints: ServiceEndpoint[] }> {
  await loadEngine();
  const { target } = message;
  const relay = relayThrough(target.tabId, target.apiBase);
  if (message.groups) {
    if (message.direction !== 'convert') throw new Error('Reverts are made per connection, from its details.');
    const reads: ProjectRead[] = await mapLimit(message.groups, 4, async (g) => ({
      project: g.project,
      selected: g.selected,
      also: g.also,
      endpoints: [...(await readProject(target, g.project, relay)).values()],
    }));
    return { plan: planOrganization(reads, message.allowManual), endpoints: reads.flatMap((r) => r.endpoints) };
  }
  if (!target.projectName) throw new Error('Conversions are planned from a project page: open the project that owns the connections.');
  const endpoints = [...(await readProject(target, target.projectName, relay)).values()];
  const plan =
    message.direction === 'convert'
      ? planConversions(endpoints, target, message.selected, message.allowManual)
      : planReverts(endpoints, message.selected ?? []);
  return { plan, endpoints };
}

function dryRun(plan: Plan, endpoints: ServiceEndpoint[], target: JobTarget, direction: Direction): PlannedRequest[] {
  const byId = new Map(endpoints.map((e) => [String(e.id ?? '').toLowerCase(), e]));
  return plan.send.flatMap((p) => {
    const ep = byId.get(p.id.toLowerCase());
    if (!ep) return [];
    const req = conversionRequest(ep, { apiBase: target.apiBase, projectName: p.project }, direction);
    return [{ id: ep.id ?? p.id, name: ep.name ?? null, method: req.method, url: req.url, body: req.body }];
  });
}

/** Plans shown to the user, by id, so "Convert" sends exactly what was confirmed. */
const plans = new Map<string, { plan: Plan; endpoints: ServiceEndpoint[]; key: string }>();
const planKey = (m: PlanRequest) =>
  JSON.stringify([m.target.apiBase, m.target.projectName, m.target.tabId, m.direction, m.selected, m.allowManual, m.groups ?? null]);

// ---------------------------------------------------------------------------------------
// Relaying and storing for the driver

/** The job's relay: through its tab, which must still show the organization; otherwise the tab is gone. */
async function relayJob(target: JobTarget, request: Parameters<ReturnType<typeof relayThrough>>[0], signal: AbortSignal) {
  let tab: chrome.tabs.Tab;
  try {
    tab = await chrome.tabs.get(target.tabId);
  } catch {
    throw new LostError({ kind: 'tabGone' }, 'The Azure DevOps tab was closed.');
  }
  if (!onOrigin(tab.url, target.apiBase)) throw new LostError({ kind: 'tabGone' }, 'The Azure DevOps tab left the organization.');
  try {
    const r = await relayThrough(target.tabId, target.apiBase, { signal })(request);
    return { status: r.status, headers: Object.entries(r.headers), body: r.body, url: r.url, opaqueRedirect: r.opaqueRedirect };
  } catch (err) {
    const kind = (err as { kind?: unknown }).kind;
    const message = err instanceof Error ? err.message : String(err);
    throw new LostError(kind === 'tab' ? { kind: 'tabGone' } : { kind: 'network', message }, message);
  }
}

/** Runners of finished jobs kept (for the panel's refresh right after a job); older ones are freed. */
const KEPT_FINISHED = 8;

/**
 * Frees the runners of pruned jobs, and of finished jobs beyond the last KEPT_FINISHED (a
 * freed job is restored from storage when a command names it). Never a busy runner.
 */
function release(pruned: string[]): void {
  const gone = new Set(pruned);
  const idle = [...runners].filter(([, r]) => r.idle);
  idle.forEach(([key, r], n) => {
    if (gone.has(`${r.org.toLowerCase()}.${r.id}`) || n < idle.length - KEPT_FINISHED) {
      runners.delete(key);
      r.free();
    }
  });
}

/** Prunes the history (failure logged, never thrown), then frees the runners it no longer needs. */
async function pruneAndRelease(): Promise<void> {
  const pruned = await prune().catch((err: unknown) => {
    warnFailure('could not prune the job history', err);
    return [] as string[];
  });
  // After the runner that just ended has left its pump.
  setTimeout(() => release(pruned), 0);
}

const deps = {
  append: appendRecords,
  usage,
  async ended(org: string, id: string, at: number) {
    await markEnded(org, id, at);
    await pruneAndRelease();
  },
  send: relayJob,
  async live(org: string, id: string, view: JobView | null) {
    const key = jobStorage.live(org, id);
    if (view) await chrome.storage.session.set({ [key]: view });
    else await chrome.storage.session.remove(key);
  },
  now: () => Date.now(),
};

/** The jobs this worker drives, by `org/id` (one runner per job for the worker's life). */
const runners = new Map<string, JobRunner>();
const runnerKey = (org: string, id: string) => `${org.toLowerCase()}/${id}`;

/**
 * Restores every stored job that is not finished and continues it (once per worker). A job
 * the engine cannot restore is left alone (History shows it unreadable); it stops no other.
 * A failure to read the store is not kept: the next command tries again.
 */
let restored: Promise<void> | null = null;
function ready(): Promise<void> {
  restored ??= (async () => {
    await loadEngine();
    for (const stored of await loadJobs()) {
      if (stored.endedAt !== null) continue;
      try {
        drive(stored).start();
      } catch (err) {
        warnFailure(`could not restore conversion job ${stored.header.id}`, err);
      }
    }
  })().catch((err: unknown) => {
    restored = null;
    throw err;
  });
  return restored;
}

/** A runner for a stored job (restored by the engine from its header and records). */
function drive(stored: StoredJob): JobRunner {
  const key = runnerKey(stored.target.organizationName, stored.header.id);
  const have = runners.get(key);
  if (have) return have;
  const runner = new JobRunner(ConversionJob.restore(stored.header, stored.records), stored.target, deps);
  runners.set(key, runner);
  return runner;
}

/** The runner of a job: this worker's, else restored from storage. */
async function runnerOf(org: string, id: string): Promise<JobRunner> {
  await ready();
  const have = runners.get(runnerKey(org, id));
  if (have) return have;
  const stored = (await loadJobs(org)).find((j) => j.header.id === id);
  if (!stored) throw new Error('No such job.');
  return drive(stored);
}

function reply(runner: JobRunner): JobReply {
  return { organizationName: runner.org, jobId: runner.id, view: runner.view() };
}

/** Points a job at the tab the user acts from (its page must show the organization). */
async function useTab(runner: JobRunner, tabId: number | null): Promise<void> {
  if (tabId === null) return;
  await tabOnOrigin(tabId, runner.target.apiBase);
  if (tabId !== runner.target.tabId) {
    runner.target = { ...runner.target, tabId };
    await setTab(runner.org, runner.id, tabId);
  }
}

async function tabOnOrigin(tabId: number, apiBase: string): Promise<void> {
  const tab = await chrome.tabs.get(tabId);
  if (!onOrigin(tab.url, apiBase)) throw new Error('The tab does not show this organization.');
}

// ---------------------------------------------------------------------------------------
// Messages

type ConvertHandlers = { [K in ConvertMessage['type']]: (message: MessageOf<K>) => Promise<ReplyOf[K]> };

/** The conversion commands' handlers; worker/main.ts routes to them (and checks the sender). */
export const convertHandlers: ConvertHandlers = {
  async 'convert.plan'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    const made = await makePlan(message);
    const planId = crypto.randomUUID();
    plans.set(planId, { ...made, key: planKey(message) });
    if (plans.size > 20) plans.delete(plans.keys().next().value as string);
    return { plan: made.plan, planId };
  },
  async 'convert.dryRun'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    const { plan, endpoints } = await makePlan(message);
    return { plan, requests: dryRun(plan, endpoints, message.target, message.direction) };
  },
  async 'convert.start'(message) {
    await tabOnOrigin(message.target.tabId, message.target.apiBase);
    await ready();
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
    const { target } = message;
    const now = Date.now();
    const id = `${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
    const header = jobHeader(id, message.direction, target.apiBase, kept.plan, kept.endpoints, message.concurrency, now);
    const organizationId = await organizationIdOf(target, relayThrough(target.tabId, target.apiBase));
    await pruneAndRelease();
    // A connection is in at most one active job (the engine's rule); checked and registered
    // with no wait in between, so two starts at once cannot both take it.
    const conflict = jobConflicts(
      kept.plan.send.map((p) => p.id),
      [...runners.values()].map((r) => r.job.active()),
    );
    if (conflict) throw Object.assign(new Error(conflict.message), { kind: 'conflict' });
    const job = ConversionJob.start(header);
    const runner = new JobRunner(job, target, deps);
    runners.set(runnerKey(target.organizationName, id), runner);
    try {
      await createJob(target, header, organizationId);
    } catch (err) {
      runners.delete(runnerKey(target.organizationName, id));
      job.free();
      const u = await usage();
      throw new Error(
        `Browser storage is full: ${u.jobs} jobs, ${u.kilobytes} KB; export and clear History. Nothing was sent. (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    runner.start();
    return reply(runner);
  },
  async 'convert.pause'(message) {
    const runner = await runnerOf(message.organizationName, message.jobId);
    await runner.command({ type: 'pause' });
    return reply(runner);
  },
  async 'convert.resume'(message) {
    const runner = await runnerOf(message.organizationName, message.jobId);
    await useTab(runner, message.tabId);
    await runner.command({ type: 'resume' });
    return reply(runner);
  },
  async 'convert.cancel'(message) {
    const runner = await runnerOf(message.organizationName, message.jobId);
    await runner.command({ type: 'cancel' });
    return reply(runner);
  },
  async 'convert.retry'(message) {
    const runner = await runnerOf(message.organizationName, message.jobId);
    await useTab(runner, message.tabId);
    // A finished job revived by Retry is no longer finished: its mark goes first (else
    // pruning may delete it and a restarted worker skips it); put back if the engine refuses.
    const wasDone = runner.view().state === 'done';
    if (wasDone) await clearEnded(runner.org, runner.id);
    try {
      await runner.command({ type: 'retry', id: message.endpointId });
    } catch (err) {
      if (wasDone && runner.view().state === 'done') await markEnded(runner.org, runner.id, Date.now()).catch(() => undefined);
      throw err;
    }
    return reply(runner);
  },
  async 'convert.jobs'(message) {
    await ready();
    return (await loadJobs(message.organizationName)).map((j) => ({
      target: j.target,
      header: j.header,
      organizationId: j.organizationId,
      records: j.records,
      endedAt: j.endedAt,
    }));
  },
  async 'convert.clearFinished'(message) {
    await ready();
    const removed = await prune(0, message.organizationName);
    // After any runner that just ended has left its pump.
    setTimeout(() => release(removed), 0);
    return { removed: removed.length };
  },
  async 'convert.endpoints'(message) {
    const runner = runners.get(runnerKey(message.organizationName, message.jobId));
    const out: ServiceEndpoint[] = [];
    for (const id of message.ids) {
      const body = runner?.body(id);
      if (!body) continue;
      try {
        // Read by the engine, as every read is: a secret value the service returned is dropped.
        const ep = readEndpoint(body);
        if (String(ep.id ?? '').toLowerCase() === id.toLowerCase()) out.push(ep);
      } catch {
        // Not an endpoint: nothing to refresh from.
      }
    }
    return out;
  },
};

/** Called once by worker/main.ts at start: every unfinished job is restored and continued per the machine's steps. */
export function resumeAll(): void {
  void ready().catch((err: unknown) => warnFailure('could not resume conversion jobs', err));
}

/** For tests: the runners of this worker. */
export const testing = { runners };
