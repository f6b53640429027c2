// The job store, in chrome.storage.local (service worker side). It only stores: what a job
// means is the engine's (`ConversionJob.restore(header, records)`).
//
// Layout, one key per thing, so no write ever reads another (no read-modify-write index that
// two starts at once could race on, and no whole-job rewrite per step):
//   federate.job.<org>.<id>.h      { target, header, organizationId }   written once per job
//   federate.job.<org>.<id>.r.<n>  JobRecord[]   one small chunk per batch the engine hands over
//   federate.job.<org>.<id>.e      { at }         the job finished (Done): it may be pruned
//   federate.job.<org>.<id>.t      number          the tab a resume picked (the header stays as written)
// A job's records are the chunks in `n` order. Appends of one job are queued so chunks land
// in the order the engine produced them; a failed write rejects (the driver then applies the
// engine's StorageFailed event and sends nothing more).
import type { JobHeader, JobRecord } from '../../../pkg/web/federate_wasm.js';
import { type JobTarget, jobStorage } from '../shared/convert-types.js';

const PREFIX = 'federate.job.';

/**
 * Bytes one job's records may take (the header aside). The engine's records are about 550
 * bytes per item (crates/federate-core/tests: 3 records per item at any length), so a job of
 * 1,000 items holds about 0.6 MB; past this bound the job pauses as for a full storage.
 */
export const MAX_JOB_RECORD_BYTES = 2_000_000;

/**
 * What the store keeps below chrome.storage.local's 10 MB quota (no `unlimitedStorage`):
 * before a job starts and after one finishes, finished jobs are pruned, oldest first, until
 * the store uses less than this.
 */
export const STORE_BUDGET_BYTES = 7_000_000;

/** A stored job as the driver and the panel read it back. */
export interface StoredJob {
  target: JobTarget;
  header: JobHeader;
  /** The organization id (connectionData `instanceId`), for the manual path's issuer and subject. */
  organizationId: string | null;
  records: JobRecord[];
  /** When it finished, if it did. */
  endedAt: number | null;
}

/** The head of a job as stored once. */
interface Head {
  target: JobTarget;
  header: JobHeader;
  organizationId: string | null;
}

/** Storage keys (organization lowercased). Pure. */
export const jobKeys = {
  prefix: jobStorage.prefix,
  job: jobStorage.job,
  head: (org: string, id: string) => `${PREFIX}${org.toLowerCase()}.${id}.h`,
  chunk: (org: string, id: string, n: number) => `${PREFIX}${org.toLowerCase()}.${id}.r.${n}`,
  end: (org: string, id: string) => `${PREFIX}${org.toLowerCase()}.${id}.e`,
  tab: (org: string, id: string) => `${PREFIX}${org.toLowerCase()}.${id}.t`,
};

/** Splits a store key into organization, job id and part, or null for another key. Pure. */
export function parseKey(key: string): { org: string; id: string; part: string; n: number | null } | null {
  const m = /^federate\.job\.([^.]+)\.([^.]+)\.(h|e|t|r\.(\d+))$/.exec(key);
  if (!m) return null;
  return { org: m[1] ?? '', id: m[2] ?? '', part: (m[3] ?? '').slice(0, 1), n: m[4] === undefined ? null : Number(m[4]) };
}

/** Every key of the store (getKeys where the browser has it, else every item's key). */
async function allKeys(): Promise<string[]> {
  const local = chrome.storage.local as chrome.storage.LocalStorageArea & { getKeys?: () => Promise<string[]> };
  if (typeof local.getKeys === 'function') return local.getKeys();
  return Object.keys(await chrome.storage.local.get(null));
}

const sizeOf = (value: unknown) => JSON.stringify(value).length;

/** Per job: the next chunk number, the bytes of its records so far, and its queue of writes. */
const open = new Map<string, { next: number; bytes: number; queue: Promise<void> }>();

function opened(org: string, id: string): { next: number; bytes: number; queue: Promise<void> } {
  const key = jobKeys.job(org, id);
  let o = open.get(key);
  if (!o) {
    o = { next: 0, bytes: 0, queue: Promise.resolve() };
    open.set(key, o);
  }
  return o;
}

/** Stores a new job's head (once). Nothing else of the job is written by it. */
export async function createJob(target: JobTarget, header: JobHeader, organizationId: string | null): Promise<void> {
  const head: Head = { target, header, organizationId };
  opened(target.organizationName, header.id);
  await chrome.storage.local.set({ [jobKeys.head(target.organizationName, header.id)]: head });
}

/**
 * Appends records to a job: one chunk, written after the job's earlier chunks. Resolves once
 * on disk; rejects when the write fails or the job's records would pass MAX_JOB_RECORD_BYTES.
 */
export function appendRecords(org: string, id: string, records: JobRecord[]): Promise<void> {
  const o = opened(org, id);
  const write = o.queue.then(async () => {
    if (records.length === 0) return;
    const bytes = sizeOf(records);
    if (o.bytes + bytes > MAX_JOB_RECORD_BYTES) throw new Error(`The job's journal reached its bound (${MAX_JOB_RECORD_BYTES} bytes).`);
    const n = o.next;
    await chrome.storage.local.set({ [jobKeys.chunk(org, id, n)]: records });
    o.next = n + 1;
    o.bytes += bytes;
  });
  // The queue goes on after a failure (the next append is tried on its own).
  o.queue = write.catch(() => undefined);
  return write;
}

/** Marks a job finished (it may be pruned from then on). */
export async function markEnded(org: string, id: string, at: number): Promise<void> {
  await chrome.storage.local.set({ [jobKeys.end(org, id)]: { at } });
}

/** Clears a job's finished mark (a retry revives it: it must be restored and never pruned). */
export async function clearEnded(org: string, id: string): Promise<void> {
  await chrome.storage.local.remove(jobKeys.end(org, id));
}

/** Records the tab a resume picked (the head stays as first written). */
export async function setTab(org: string, id: string, tabId: number): Promise<void> {
  await chrome.storage.local.set({ [jobKeys.tab(org, id)]: tabId });
}

/** Builds stored jobs from store items. Pure. */
export function jobsFrom(items: Record<string, unknown>): StoredJob[] {
  const parts = new Map<string, { head?: Head; chunks: [number, JobRecord[]][]; end: number | null; tab: number | null }>();
  for (const [key, value] of Object.entries(items)) {
    const k = parseKey(key);
    if (!k) continue;
    const id = `${k.org}.${k.id}`;
    const p = parts.get(id) ?? { chunks: [], end: null, tab: null };
    parts.set(id, p);
    if (k.part === 'h') p.head = value as Head;
    else if (k.part === 'r' && k.n !== null && Array.isArray(value)) p.chunks.push([k.n, value as JobRecord[]]);
    else if (k.part === 'e') p.end = typeof (value as { at?: unknown })?.at === 'number' ? (value as { at: number }).at : 0;
    else if (k.part === 't' && typeof value === 'number') p.tab = value;
  }
  const out: StoredJob[] = [];
  for (const p of parts.values()) {
    if (!p.head) continue;
    p.chunks.sort((a, b) => a[0] - b[0]);
    const target = p.tab === null ? p.head.target : { ...p.head.target, tabId: p.tab };
    out.push({
      target,
      header: p.head.header,
      organizationId: p.head.organizationId ?? null,
      records: p.chunks.flatMap(([, r]) => r),
      endedAt: p.end,
    });
  }
  return out.sort((a, b) => a.header.createdAtMs - b.header.createdAtMs);
}

/** One job as stored, or null. Also sets where its next chunk goes. */
export async function loadJob(org: string, id: string): Promise<StoredJob | null> {
  const prefix = jobKeys.job(org, id);
  const keys = (await allKeys()).filter((k) => k.startsWith(prefix));
  if (keys.length === 0) return null;
  const items = await chrome.storage.local.get(keys);
  const [job] = jobsFrom(items);
  if (!job) return null;
  noteLoaded(org, id, keys, items);
  return job;
}

/** After a load: the next chunk goes after the last stored one. */
function noteLoaded(org: string, id: string, keys: string[], items: Record<string, unknown>): void {
  const o = opened(org, id);
  let last = -1;
  let bytes = 0;
  for (const k of keys) {
    const p = parseKey(k);
    if (p?.part === 'r' && p.n !== null) {
      last = Math.max(last, p.n);
      bytes += sizeOf(items[k]);
    }
  }
  o.next = Math.max(o.next, last + 1);
  o.bytes = Math.max(o.bytes, bytes);
}

/** Every stored job (of one organization, or of all), oldest first. */
export async function loadJobs(org: string | null = null): Promise<StoredJob[]> {
  const prefix = org === null ? PREFIX : jobKeys.prefix(org);
  const keys = (await allKeys()).filter((k) => k.startsWith(prefix));
  if (keys.length === 0) return [];
  const items = await chrome.storage.local.get(keys);
  const jobs = jobsFrom(items);
  for (const j of jobs) {
    const jobPrefix = jobKeys.job(j.target.organizationName, j.header.id);
    noteLoaded(
      j.target.organizationName,
      j.header.id,
      keys.filter((k) => k.startsWith(jobPrefix)),
      items,
    );
  }
  return jobs;
}

/** How many jobs the store holds and how many KB it uses, for the engine's StorageFailed event. */
export async function usage(): Promise<{ jobs: number; kilobytes: number }> {
  const keys = await allKeys();
  const jobs = keys.filter((k) => parseKey(k)?.part === 'h').length;
  let bytes = 0;
  try {
    bytes = await chrome.storage.local.getBytesInUse(null);
  } catch {
    bytes = 0;
  }
  return { jobs, kilobytes: Math.ceil(bytes / 1024) };
}

/**
 * Removes finished jobs, oldest first, until the store uses less than `budget` bytes (0: every
 * finished job), of one organization when `org` is given. Jobs that are not finished (running
 * or paused) are never removed. Returns the ids removed.
 */
export async function prune(budget = STORE_BUDGET_BYTES, org: string | null = null): Promise<string[]> {
  let used = await chrome.storage.local.getBytesInUse(null);
  if (used < budget) return [];
  const keys = await allKeys();
  const ended = new Map<string, { at: number; keys: string[] }>();
  const ends = keys.filter((k) => parseKey(k)?.part === 'e');
  const endItems = ends.length ? await chrome.storage.local.get(ends) : {};
  for (const k of ends) {
    const p = parseKey(k);
    if (!p || (org !== null && p.org !== org.toLowerCase())) continue;
    const at = (endItems[k] as { at?: number } | undefined)?.at ?? 0;
    ended.set(`${p.org}.${p.id}`, { at, keys: [] });
  }
  for (const k of keys) {
    const p = parseKey(k);
    if (p) ended.get(`${p.org}.${p.id}`)?.keys.push(k);
  }
  const removed: string[] = [];
  for (const [id, job] of [...ended].sort((a, b) => a[1].at - b[1].at)) {
    if (used < budget) break;
    // The head first: a job without its head is not listed, even if the rest stays behind.
    const head = job.keys.filter((k) => parseKey(k)?.part === 'h');
    await chrome.storage.local.remove([...head, ...job.keys.filter((k) => !head.includes(k))]);
    open.delete(`${PREFIX}${id}.`);
    removed.push(id);
    used = await chrome.storage.local.getBytesInUse(null);
  }
  return removed;
}
