// Usage in the service worker: runs the engine's usage load (and a plan's pre-flight) through
// the tab's page, like the scans, and keeps what it read for the organization until the next
// scan, so the marks' tooltips can say "unused for N days". The engine decides what to read,
// how fast, and what it means; this file relays, stores and reports progress.
import * as wasm from '../../../pkg/web/federate_wasm.js';
import { onOrigin, relayThrough } from './relay.js';
import { loadEngine } from '../shared/engine.js';
import { warnFailure } from '../shared/log.js';
import {
  type ConnectionUsage,
  errorOf,
  isExtensionPage,
  isUsageRequest,
  type MessageOf,
  type Preflight,
  toErrorInfo,
  type UsageEvent,
} from '../shared/messages.js';
import type { ProjectInventory, Verdict } from '../shared/model.js';

/** What was read, by organization (API base, lowercase), then connection id (lowercase). */
const cache = new Map<string, Map<string, ConnectionUsage>>();
const orgKey = (apiBase: string) => apiBase.toLowerCase().replace(/\/+$/, '');
/**
 * Bumped by `forgetUsage`: a restore that started before it (awaiting session storage) must
 * not bring back the usage a new scan just dropped.
 */
const generation = new Map<string, number>();

/** Where an organization's usage is kept across service worker restarts (session storage: trusted contexts only, gone with the browser). */
const sessionKey = (apiBase: string) => `federate.usage.${orgKey(apiBase)}`;

/** Keeps what was read in session storage, so a restarted worker still knows it (marks' tooltips). */
async function persist(apiBase: string): Promise<void> {
  try {
    await chrome.storage.session.set({ [sessionKey(apiBase)]: cachedUsage(apiBase) });
  } catch (err) {
    warnFailure('usage not kept for this session', err);
  }
}

/** Reads an organization's usage back from session storage after a worker restart. */
async function restore(apiBase: string): Promise<void> {
  const key = orgKey(apiBase);
  if (cache.has(key)) return;
  const started = generation.get(key) ?? 0;
  try {
    const list = (await chrome.storage.session.get(sessionKey(apiBase)))[sessionKey(apiBase)];
    // Forgotten meanwhile (a new scan), or read anew meanwhile: what was kept is stale.
    if (!Array.isArray(list) || (generation.get(key) ?? 0) !== started || cache.has(key)) return;
    const entries = list.filter((e): e is ConnectionUsage => typeof e === 'object' && e !== null && typeof e.id === 'string');
    cache.set(key, new Map(entries.map((e) => [e.id.toLowerCase(), e])));
  } catch {
    // Nothing kept: the marks say nothing about usage.
  }
}

/** Forgets an organization's usage (a new scan starts a new cache). */
export function forgetUsage(apiBase: string): void {
  const key = orgKey(apiBase);
  generation.set(key, (generation.get(key) ?? 0) + 1);
  cache.delete(key);
  void chrome.storage.session.remove(sessionKey(apiBase)).catch(() => undefined);
}

/** The usage read so far for an organization. */
export function cachedUsage(apiBase: string): ConnectionUsage[] {
  return [...(cache.get(orgKey(apiBase))?.values() ?? [])];
}

function remember(apiBase: string, entry: ConnectionUsage): void {
  const key = orgKey(apiBase);
  let m = cache.get(key);
  if (!m) {
    m = new Map();
    cache.set(key, m);
  }
  m.set(entry.id.toLowerCase(), entry);
}

/**
 * A project inventory with the engine's usage reasons added to each verdict whose usage was
 * read ("Unused for 120 days: …"), so a mark's tooltip says it. Unchanged without usage.
 */
export async function withUsage<T extends Pick<ProjectInventory, 'verdicts'>>(inventory: T, apiBase: string): Promise<T> {
  await restore(apiBase);
  const usage = cachedUsage(apiBase);
  if (usage.length === 0) return inventory;
  const known = new Set(usage.map((u) => u.id.toLowerCase()));
  const verdicts = inventory.verdicts.filter((v) => v.id && known.has(v.id));
  if (verdicts.length === 0) return inventory;
  const words = new Map<string, Verdict['convertible']['reasons']>();
  try {
    const out = wasm.usageVerdicts(verdicts as unknown as wasm.Verdict[], usage, new Date().toISOString());
    for (const u of out) if (u.id) words.set(u.id.toLowerCase(), u.reasons);
  } catch (err) {
    warnFailure('usage reasons unavailable', err);
    return inventory;
  }
  return {
    ...inventory,
    verdicts: inventory.verdicts.map((v) => {
      const extra = v.id ? words.get(v.id) : undefined;
      return extra?.length ? { ...v, convertible: { ...v.convertible, reasons: [...v.convertible.reasons, ...extra] } } : v;
    }),
  };
}

/** Throws (kind `tab`) unless the tab shows the organization's https origin: the relay's own check. */
async function tabOnOrigin(tabId: number, apiBase: string): Promise<void> {
  const tab = await chrome.tabs.get(tabId);
  if (!onOrigin(tab.url, apiBase)) {
    const text = 'The tab does not show this organization.';
    throw Object.assign(new Error(text), errorOf('tab', text));
  }
}

// ---- loads, on the usage port (one running load per panel; closing the panel cancels it)

/** A panel's usage port (worker/main.ts routes it here): one running load per panel; closing the panel cancels it. */
export function connectUsage(port: chrome.runtime.Port): void {
  const tabId = port.sender?.tab?.id;
  if (!port.sender || !isExtensionPage(port.sender) || tabId === undefined) {
    port.disconnect();
    return;
  }
  let job: AbortController | null = null;
  let lastApiBase = '';
  /** The panel's id of the running load, echoed by its events. */
  let lastLoad = 0;
  let open = true;
  const post = (event: UsageEvent) => {
    if (open) port.postMessage(event);
  };
  port.onDisconnect.addListener(() => {
    open = false;
    job?.abort();
  });
  port.onMessage.addListener((message: unknown) => {
    if (!isUsageRequest(message)) return;
    if (message.type === 'cancel') {
      // Stop at once for the user: a load waiting out a rate limit ends its wait later, and
      // whatever it still reads after this is dropped (what was read before is kept).
      if (job && !job.signal.aborted) {
        job.abort();
        post({ type: 'finished', load: lastLoad, cancelled: true, stopped: null });
        void persist(lastApiBase);
      }
      return;
    }
    job?.abort();
    const controller = new AbortController();
    job = controller;
    const { apiBase, targets, load: loadId } = message;
    lastApiBase = apiBase;
    lastLoad = loadId;
    const run = async () => {
      await tabOnOrigin(tabId, apiBase);
      await loadEngine();
      const relay = relayThrough(tabId, apiBase);
      const load = await wasm.loadUsage(
        { orgUrl: apiBase },
        targets,
        relay as wasm.Relay,
        (e) => {
          if (controller.signal.aborted) return;
          if (e.waiting) {
            post({ type: 'waiting', load: loadId, ms: e.waiting.ms, reason: e.waiting.reason, status: e.waiting.status ?? null });
            return;
          }
          if (e.connection) remember(apiBase, e.connection);
          post({ type: 'progress', load: loadId, done: e.done, total: e.total, connection: e.connection ?? null });
        },
        controller.signal,
      );
      const stopped = load.stopped;
      await persist(apiBase);
      if (controller.signal.aborted) return; // already reported
      const cancelled = stopped?.kind === 'cancelled';
      post({
        type: 'finished',
        load: loadId,
        cancelled,
        stopped: stopped && !cancelled ? toErrorInfo(Object.assign(new Error(stopped.message ?? stopped.kind), stopped)) : null,
      });
    };
    run().then(
      () => {
        if (job === controller) job = null;
      },
      (err: unknown) => {
        if (job === controller) job = null;
        if (!controller.signal.aborted) post({ type: 'finished', load: loadId, cancelled: false, stopped: toErrorInfo(err) });
      },
    );
  });
}

// ---- a plan's pre-flight (one-shot; read-only GETs through the tab's page)

/** The pre-flight of a plan's connections (worker/main.ts checks the sender). */
export async function preflight(message: MessageOf<'usage.preflight'>): Promise<Preflight> {
  await tabOnOrigin(message.tabId, message.apiBase);
  await loadEngine();
  const relay = relayThrough(message.tabId, message.apiBase);
  return wasm.preflightConnections({ orgUrl: message.apiBase }, message.targets, relay as wasm.Relay, null, null);
}
