// The job store and journal, in chrome.storage.local (service worker side). One key per job
// (`federate.convert.{org}.job.{id}`) and one index per organization. Writes are serialized
// per job; `save()` resolves once the job is on disk, which is what lets the runner write
// "sent" BEFORE a scheme change goes out.
import { warnFailure } from '../shared/log.js';
import { type Job, type JournalStep, storageKeys } from '../shared/convert-types.js';

/** Jobs kept per organization in the history (the oldest finished ones are dropped). */
const KEEP_JOBS = 50;

const cache = new Map<string, Job>();
const queues = new Map<string, Promise<void>>();

const cacheKey = (org: string, id: string) => storageKeys.job(org, id);

/** Reads one job (from memory, else storage). */
export async function loadJob(org: string, id: string): Promise<Job | null> {
  const key = cacheKey(org, id);
  const hit = cache.get(key);
  if (hit) return hit;
  const got = await chrome.storage.local.get(key);
  const job = (got[key] as Job | undefined) ?? null;
  if (job) cache.set(key, job);
  return job;
}

/** The ids of an organization's jobs, newest last. */
export async function jobIds(org: string): Promise<string[]> {
  const key = storageKeys.index(org);
  const got = await chrome.storage.local.get(key);
  const ids = got[key];
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}

/** Every job of an organization, oldest first. */
export async function loadJobs(org: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const id of await jobIds(org)) {
    const job = await loadJob(org, id);
    if (job) jobs.push(job);
  }
  return jobs;
}

/** Every organization that has a job index. */
export async function organizations(): Promise<string[]> {
  const all = await chrome.storage.local.get(null);
  const orgs: string[] = [];
  for (const [key, value] of Object.entries(all)) {
    const m = /^federate\.convert\.(.+)\.jobs$/.exec(key);
    if (m && Array.isArray(value)) orgs.push(m[1]);
  }
  return orgs;
}

/** Registers a new job in its organization's index (and trims old finished jobs). */
export async function addJob(job: Job): Promise<void> {
  const org = job.target.organizationName;
  cache.set(cacheKey(org, job.id), job);
  await save(job);
  const ids = await jobIds(org);
  ids.push(job.id);
  const drop: string[] = [];
  while (ids.length > KEEP_JOBS) {
    const oldest = ids[0];
    const old = await loadJob(org, oldest);
    if (old && (old.state === 'running' || old.state === 'paused')) break;
    drop.push(ids.shift()!);
  }
  await chrome.storage.local.set({ [storageKeys.index(org)]: ids });
  if (drop.length) {
    for (const id of drop) cache.delete(cacheKey(org, id));
    await chrome.storage.local.remove(drop.map((id) => cacheKey(org, id)));
  }
}

/**
 * Writes a job to storage. Calls are serialized per job; each write stores the job as it is
 * when the write starts, so a burst of changes costs one or two writes, and the promise
 * resolves only when everything changed before the call is on disk.
 */
export function save(job: Job): Promise<void> {
  const key = cacheKey(job.target.organizationName, job.id);
  cache.set(key, job);
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(() => {
    job.updatedAt = Date.now();
    return chrome.storage.local.set({ [key]: job });
  });
  const settled = next.catch((err: unknown) => warnFailure('could not save the journal', err));
  queues.set(key, settled);
  return next;
}

/** Appends a step to a job's journal (in memory; `save()` writes it). */
export function record(job: Job, step: Omit<JournalStep, 'at'> & { at?: number }): JournalStep {
  const full: JournalStep = {
    at: step.at ?? Date.now(),
    kind: step.kind,
    endpointId: step.endpointId ?? null,
    method: step.method ?? null,
    url: step.url ?? null,
    status: step.status ?? null,
    outcome: step.outcome ?? null,
    message: step.message ?? null,
  };
  job.journal.push(full);
  return full;
}

/**
 * Whether a connection has a scheme change "sent" with no "answered" after it: the request
 * may have run (a reload or a restarted worker cut the answer off). Such an entry is resolved
 * by reading the connection, never by sending again.
 */
export function hasUnansweredSend(job: Job, endpointId: string): boolean {
  let open = false;
  for (const step of job.journal) {
    if (step.endpointId !== endpointId || step.method !== 'PUT') continue;
    if (step.kind === 'sent') open = true;
    else if (step.kind === 'answered') open = false;
  }
  return open;
}
