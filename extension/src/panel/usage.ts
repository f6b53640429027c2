// Usage in the panel: "Load usage" (for the connections shown or selected, or all of the
// scan) with progress and cancel, the "Last used" column, the usage filters, and the usage
// part of a connection's details ("Used by"). Loads run in the service worker (the usage
// port); every word and every decision (labels, reasons, tags, which project to read) comes
// from the engine; this file stores what was read for the scan and draws it.
import * as wasm from '../../../pkg/web/federate_wasm.js';
import { h } from '../shared/dom.js';
import { warnFailure } from '../shared/log.js';
import { withWords } from '../shared/engine.js';
import type { Verdict } from '../shared/model.js';
import {
  type ConnectionUsage,
  type ErrorInfo,
  errorOf,
  USAGE_PORT,
  type UsageEvent,
  type UsageRequest,
  type UsageTarget,
} from '../shared/messages.js';

/** What the panel's rows give this module. */
export interface UsageRow {
  verdict: Verdict;
  endpoint: unknown;
  seenIn: string[];
}

interface Hooks {
  apiBase: string | null;
  /** Every row of the scan. */
  rows: () => Iterable<UsageRow>;
  /** The rows shown (after search and filter). */
  shown: () => UsageRow[];
  /** Ticked ids. */
  picked: () => string[];
  /** Usage of these connections (lowercase ids) changed: redraw the table, and their details if open. */
  changed: (ids: ReadonlySet<string>) => void;
}

const ROOT = document.documentElement;
let hooks: Hooks | null = null;
/** Usage read in this scan, by lowercase id. */
const usage = new Map<string, ConnectionUsage>();
/** The engine's usage verdict of each verdict object (verdicts are replaced when they change). */
let verdicts = new WeakMap<Verdict, wasm.UsageVerdict>();
let status: 'idle' | 'running' | 'done' | 'cancelled' | 'error' = 'idle';
let progress = { done: 0, total: 0 };
let error: ErrorInfo | null = null;
let wait: { until: number; throttled: boolean } | null = null;
let port: chrome.runtime.Port | null = null;
let redraw = 0;
/** Connections whose usage arrived since the last redraw (lowercase ids). */
let changedIds = new Set<string>();
/** The id of the current load (0: none); events of any other load are stale and dropped. */
let currentLoad = 0;
let loads = 0;

const bar = h('div', { class: 'toolbar usage-bar', role: 'group', 'aria-label': 'Usage' });
const shownButton = h(
  'button',
  { type: 'button', id: 'usage-load', title: 'Reads the usage of the ticked connections, or else of those shown' },
  'Load usage',
);
const allButton = h('button', { type: 'button', id: 'usage-load-all' }, 'Load usage for all');
const cancelButton = h('button', { type: 'button', id: 'usage-cancel' }, 'Cancel usage');
const progressBar = h('progress', { id: 'usage-progress', max: 1, value: 0, 'aria-label': 'Usage read', hidden: true });
const statusText = h('span', { id: 'usage-status', role: 'status', class: 'usage-status' });

const idOf = (v: Verdict) => v.id?.toLowerCase() ?? null;

function setStatus(next: typeof status): void {
  status = next;
  ROOT.dataset.federateUsage = next;
}

/** Computes the engine's usage verdicts of every row not known yet, in one call. */
function refresh(): void {
  if (!hooks) return;
  const missing = [...hooks.rows()].map((r) => r.verdict).filter((v) => !verdicts.has(v));
  if (missing.length === 0) return;
  try {
    const out = wasm.usageVerdicts(missing as unknown as wasm.Verdict[], [...usage.values()], new Date().toISOString());
    missing.forEach((v, i) => {
      const u = out[i];
      if (u) verdicts.set(v, u);
    });
  } catch (err) {
    warnFailure('usage verdicts unavailable', err);
  }
}

/** The engine's usage verdict of a connection (null before the engine is ready). */
export function usageOf(v: Verdict): wasm.UsageVerdict | null {
  if (!verdicts.has(v)) refresh();
  return verdicts.get(v) ?? null;
}

const hasTag = (v: Verdict, tag: wasm.UsageTag) => usageOf(v)?.tags.includes(tag) ?? false;

/** The "Last used" column: the engine's words, sorted by the last use (never used first, unknown and not loaded last). */
export const LAST_USED_COLUMN = {
  title: 'Last used',
  value: (v: Verdict): string => {
    const u = usageOf(v);
    return u && (u.known || u.tags.includes('usageUnknown')) ? u.label : '—';
  },
  sort: (v: Verdict): string => {
    const u = usageOf(v);
    if (!u?.known) return u?.tags.includes('usageUnknown') ? 'zz1' : 'zz2';
    return u.lastUsed ?? '0000';
  },
};

/** The usage filters (each one tag the engine sets). */
export const USAGE_FILTERS: Record<string, { title: string; test: (v: Verdict) => boolean }> = {
  unused90: { title: 'Unused 90+ days', test: (v) => hasTag(v, 'unused90') },
  neverUsed: { title: 'Never used', test: (v) => hasTag(v, 'neverUsed') },
  disabledWithSecret: { title: 'Disabled with a secret', test: (v) => hasTag(v, 'disabledWithSecret') },
  toDelete: { title: 'Delete rather than convert', test: (v) => usageOf(v)?.action === 'delete' },
};

/** Forgets the usage read (a new scan). */
export function resetUsage(): void {
  port?.postMessage({ type: 'cancel' } satisfies UsageRequest);
  currentLoad = 0;
  usage.clear();
  verdicts = new WeakMap();
  progress = { done: 0, total: 0 };
  error = null;
  setStatus('idle');
  draw();
}

function connect(): chrome.runtime.Port {
  if (port) return port;
  const p = chrome.runtime.connect({ name: USAGE_PORT });
  p.onMessage.addListener((m: unknown) => onEvent(m as UsageEvent));
  p.onDisconnect.addListener(() => {
    port = null;
    if (status === 'running') {
      error = errorOf('network', 'The extension stopped the usage read (it restarted).');
      setStatus('error');
      draw();
    }
  });
  port = p;
  return p;
}

/** Tells the panel which connections changed (and empties the list). */
function flush(): void {
  const ids = changedIds;
  changedIds = new Set();
  hooks?.changed(ids);
}

function changed(id: string): void {
  changedIds.add(id);
  if (redraw) return;
  redraw = window.setTimeout(() => {
    redraw = 0;
    flush();
  }, 50);
}

function onEvent(e: UsageEvent): void {
  if (e.load !== currentLoad) return; // a load cancelled or replaced: its late events change nothing
  switch (e.type) {
    case 'progress':
      progress = { done: e.done, total: e.total };
      wait = null;
      if (e.connection) {
        const id = e.connection.id.toLowerCase();
        usage.set(id, e.connection);
        verdicts = new WeakMap();
        changed(id);
      }
      break;
    case 'waiting':
      wait = { until: Date.now() + e.ms, throttled: e.reason !== 'backoff' || e.status === 429 };
      break;
    case 'finished':
      wait = null;
      error = e.stopped;
      // The table shows everything read before the state says so (tests and users wait on it).
      window.clearTimeout(redraw);
      redraw = 0;
      flush();
      setStatus(e.cancelled ? 'cancelled' : e.stopped ? 'error' : 'done');
      break;
  }
  draw();
}

/** The engine's targets of some rows: each connection with its owning project, else where it was listed. */
function targetsOf(rows: UsageRow[]): UsageTarget[] {
  const byProject = new Map<string, unknown[]>();
  for (const r of rows) {
    const id = idOf(r.verdict);
    if (!id || usage.has(id) || !r.endpoint) continue;
    const where = r.seenIn[0] ?? '';
    byProject.set(where, [...(byProject.get(where) ?? []), r.endpoint]);
  }
  const out: UsageTarget[] = [];
  for (const [project, endpoints] of byProject) out.push(...wasm.usageTargets(endpoints as wasm.ServiceEndpoint[], project || null));
  return out;
}

/** Reads the usage of these rows (those not read yet in this scan). */
export function loadUsageFor(rows: UsageRow[]): void {
  if (!hooks?.apiBase || status === 'running') return; // one load at a time: a new one would abort the running one

  const targets = targetsOf(rows);
  if (targets.length === 0) {
    statusText.textContent = rows.length ? 'Usage already read for these connections.' : 'No connection to read.';
    return;
  }
  error = null;
  progress = { done: 0, total: targets.length };
  setStatus('running');
  currentLoad = ++loads;
  connect().postMessage({ type: 'load', load: currentLoad, apiBase: hooks.apiBase, targets } satisfies UsageRequest);
  draw();
}

function statusWords(): string {
  const left = wait ? Math.ceil((wait.until - Date.now()) / 1000) : 0;
  switch (status) {
    case 'idle':
      return usage.size ? '' : 'Usage not loaded: "Load usage" reads when each connection was last used, and by which pipelines.';
    case 'running':
      if (left > 0)
        return wait?.throttled
          ? `Throttled by Azure DevOps: waiting ${left} s; the usage read continues by itself.`
          : `Azure DevOps did not answer: retrying in ${left} s.`;
      return `Reading usage: ${progress.done} of ${progress.total} connections…`;
    case 'done':
      return `Usage read for ${usage.size} connection${usage.size === 1 ? '' : 's'}.`;
    case 'cancelled':
      return `Usage read cancelled: ${usage.size} connection${usage.size === 1 ? '' : 's'} read before it stopped (kept).`;
    case 'error': {
      const d = error ? withWords(error) : { title: 'The usage read stopped', advice: '' };
      return `Usage read stopped: ${d.title}. ${d.advice} ${usage.size} read before it stopped (kept).`.trim();
    }
  }
}

function draw(): void {
  const running = status === 'running';
  shownButton.disabled = running || !hooks?.apiBase;
  allButton.disabled = running || !hooks?.apiBase;
  cancelButton.disabled = !running;
  progressBar.hidden = !(running || progress.total > 0);
  progressBar.max = Math.max(progress.total, 1);
  progressBar.value = progress.done;
  ROOT.dataset.federateUsageProgress = `${progress.done}/${progress.total}`;
  statusText.textContent = statusWords();
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-action="load-usage"]')) oneLoadButton(b);
}

const RUNNING_WHY = 'A usage load is running: wait for it to finish, or cancel it.';

/** A connection's "Load its usage": disabled, saying why, while a load runs. */
function oneLoadButton(b: HTMLButtonElement): void {
  const running = status === 'running';
  b.disabled = running;
  if (running) {
    b.title = RUNNING_WHY;
    b.setAttribute('aria-description', RUNNING_WHY);
  } else {
    b.removeAttribute('title');
    b.removeAttribute('aria-description');
  }
}

/** Mounts the usage bar; `hooks` give it the panel's rows. */
export function initUsage(h0: Hooks): HTMLElement {
  hooks = h0;
  shownButton.addEventListener('click', () => {
    const picked = new Set(h0.picked());
    const rows = picked.size ? [...h0.rows()].filter((r) => picked.has(idOf(r.verdict) ?? '')) : h0.shown();
    loadUsageFor(rows);
  });
  allButton.addEventListener('click', () => loadUsageFor([...h0.rows()]));
  cancelButton.addEventListener('click', () => port?.postMessage({ type: 'cancel' } satisfies UsageRequest));
  window.setInterval(() => {
    if (wait && status === 'running') draw();
  }, 1000);
  bar.replaceChildren(shownButton, allButton, cancelButton, progressBar, statusText);
  setStatus('idle');
  draw();
  return bar;
}

function when(iso: string | null): string {
  if (!iso) return 'unknown time';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
}

/** The usage part of a connection's details: what the engine says, and the pipelines that used it. */
export function usageDetails(row: UsageRow): HTMLElement {
  const v = row.verdict;
  const id = idOf(v) ?? '';
  const u = usageOf(v);
  const read = usage.get(id);
  const section = h(
    'section',
    { class: 'usage-details', 'data-usage-details': id, 'aria-labelledby': 'usage-details-title' },
    h('h3', { id: 'usage-details-title' }, 'Usage'),
  );
  if (u)
    section.append(
      h(
        'p',
        { class: 'usage-label', 'data-usage-label': u.label },
        `Last used: ${u.label}${u.lastUsed ? ` (${when(u.lastUsed)} UTC)` : ''}.`,
      ),
    );
  if (u?.reasons.length)
    section.append(h('ul', { class: 'reasons' }, ...u.reasons.map((r) => h('li', { 'data-code': r.code }, r.message))));
  const history = read?.usage;
  if (history) {
    section.append(
      h('p', {}, `${history.jobs30d}${history.truncated ? '+' : ''} job${history.jobs30d === 1 ? '' : 's'} in the last 30 days.`),
      h('h4', {}, 'Used by'),
      history.usedBy.length
        ? h(
            'ul',
            { class: 'used-by', 'data-used-by': String(history.usedBy.length) },
            ...history.usedBy.map((p) =>
              h(
                'li',
                { 'data-definition': String(p.definitionId ?? '') },
                h('strong', {}, p.definitionName ?? `#${p.definitionId ?? '?'}`),
                ` (${p.planType === 'release' ? 'release pipeline' : p.planType === 'build' ? 'pipeline' : p.planType}): last run ${when(p.lastRun)} UTC, ${p.result ?? 'no result'}; ${p.jobs} job${p.jobs === 1 ? '' : 's'} in its recent history.`,
              ),
            ),
          )
        : h('p', {}, 'No pipeline in its recent history.'),
    );
  } else if (!read && hooks?.apiBase && row.endpoint) {
    const button = h('button', { type: 'button', 'data-action': 'load-usage' }, 'Load its usage');
    button.addEventListener('click', () => loadUsageFor([row]));
    oneLoadButton(button);
    section.append(button);
  }
  return section;
}

/** The inventory with its usage as a report (the engine's), or null while no usage was read. */
export function usageReport(list: readonly Verdict[], format: 'json' | 'csv' | 'markdown'): string | null {
  if (usage.size === 0) return null;
  return wasm.renderUsageReport(list as unknown as wasm.Verdict[], [...usage.values()], format, new Date().toISOString());
}
