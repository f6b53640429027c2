// The one message protocol of the extension: every message, its reply, the ports' requests
// and events, the one `Reply<T>` with its one error shape, and the guards every receiver
// uses. Messages travel only through chrome.runtime channels; page scripts can't reach them.
// Times are milliseconds everywhere (`retryAfterMs`, `waiting.ms`), as the engine counts them.
import type {
  ConnectionUsage,
  InventorySummary,
  Preflight,
  RateLimitWaitEvent,
  Remedies,
  UsageTarget,
} from '../../../pkg/web/federate_wasm.js';
import type { Direction, JobReply, JobTarget, Plan, PlanGroup, PlannedRequest, StoredJobData } from './convert-types.js';
import type { AdoRequest, AdoResponse, ServiceEndpoint } from '../../../pkg/web/federate_wasm.js';

export type { JobReply, StoredJobData };
import type { ProjectInventory, Verdict } from './model.js';

export type { ConnectionUsage, Preflight, UsageTarget };

/** What went wrong, in the client's words: `kind` decides the state the UI shows. The one error shape of every reply and event. */
export interface ErrorInfo {
  kind: 'signedOut' | 'throttled' | 'forbidden' | 'notFound' | 'server' | 'network' | 'cancelled' | 'engine' | string;
  message: string;
  /** Milliseconds to wait, for `throttled` (the engine's `retryAfterMs`). */
  retryAfterMs: number | null;
  status: number | null;
  /**
   * What the user reads: the engine's words for `kind` (`errorWords`), filled in where the
   * engine runs (the service worker's replies, the panel); absent where it does not.
   */
  title?: string;
  advice?: string;
}

/** Every answer to a one-shot message: the value, or one error shape. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Normalizes anything thrown (a client Error with `kind`, a string, an ErrorInfo) into ErrorInfo. */
export function toErrorInfo(err: unknown, fallbackKind = 'engine'): ErrorInfo {
  if (isObject(err) || err instanceof Error) {
    const e = err as unknown as Record<string, unknown>;
    return {
      kind: isStr(e.kind) ? e.kind : e instanceof Error && e.name === 'AbortError' ? 'cancelled' : fallbackKind,
      message: isStr(e.message) ? e.message : String(err),
      retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : null,
      status: typeof e.status === 'number' ? e.status : null,
      ...(isStr(e.title) && isStr(e.advice) ? { title: e.title, advice: e.advice } : {}),
    };
  }
  return { kind: fallbackKind, message: String(err), retryAfterMs: null, status: null };
}

/** An ErrorInfo of a kind, with a message. */
export const errorOf = (kind: string, message: string): ErrorInfo => ({ kind, message, retryAfterMs: null, status: null });

/** Where an Azure DevOps page is: organization, project, and the API base for REST calls. */
export interface PageContext {
  organizationName: string;
  /** Null on organization-level pages. */
  projectName: string | null;
  /** `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`. */
  apiBase: string;
}

/**
 * One HTTP request the engine wants made from the page's origin: the engine's `AdoRequest`, its
 * header pairs as a record for the message to the tab.
 */
export type RelayRequest = Omit<AdoRequest, 'headers'> & { headers: Record<string, string> };

/**
 * The answer to a relayed request, as facts: header names lowercase, body as text, the final
 * URL, and whether `fetch` saw an opaque redirect (status 0, no headers). The engine says what
 * they mean (an opaque redirect on `_apis` is signed out).
 */
export type RelayResponse = Omit<AdoResponse, 'headers' | 'url' | 'opaqueRedirect'> & {
  headers: Record<string, string>;
  url: string | null;
  opaqueRedirect: boolean;
};

/** The single-connection card's data: computed in the service worker, drawn by the content script. */
export interface ConnectionDetails {
  verdict: Verdict;
  remedies: Remedies;
}

// ---- content script or extension page -> service worker (chrome.runtime.sendMessage)

/** What the content script's overlay opens the panel on: a page, maybe one connection's details. */
export interface PanelOpening {
  context: PageContext;
  /** A connection whose details to show (a card's or a mark's Convert… / Revert…): a view, never an action. */
  connection: string | null;
  theme: 'light' | 'dark';
}

/** What a plan is made from: the same for the plan, its dry run and the job that sends it. */
export interface PlanRequest {
  target: JobTarget;
  direction: Direction;
  selected: string[] | null;
  allowManual: boolean;
  /** Organization view (`target.projectName` null): the owning projects to plan, each from itself. */
  groups?: PlanGroup[] | null;
}

/** Every message to the service worker (`chrome.runtime.sendMessage`); worker/main.ts routes each type to its handler. */
export type Message =
  | { type: 'scanProject'; context: PageContext }
  | { type: 'connection'; context: PageContext; id: string }
  | { type: 'openPanel'; tabId: number | null }
  | { type: 'closePanel' }
  /**
   * Content script (top frame) -> worker: it is about to frame the panel in its overlay. The
   * nonce goes to its own frame only (postMessage to that frame's window), never into the DOM.
   */
  | ({ type: 'panelOpening'; nonce: string } & PanelOpening)
  /** Panel -> worker: claims the opening its tab's overlay announced, with its nonce (once); refused otherwise. */
  | { type: 'panelHello'; tabId: number | null; nonce: string }
  // Conversions (extension pages only).
  | ({ type: 'convert.plan' } & PlanRequest)
  | ({ type: 'convert.dryRun' } & PlanRequest)
  | ({ type: 'convert.start'; concurrency: number; planId: string | null } & PlanRequest)
  | { type: 'convert.pause'; organizationName: string; jobId: string }
  | { type: 'convert.resume'; organizationName: string; jobId: string; tabId: number | null }
  | { type: 'convert.cancel'; organizationName: string; jobId: string }
  | { type: 'convert.retry'; organizationName: string; jobId: string; endpointId: string; tabId: number | null }
  | { type: 'convert.jobs'; organizationName: string }
  /** Removes the organization's finished jobs from History (never a running or paused one), to free browser storage. */
  | { type: 'convert.clearFinished'; organizationName: string }
  /** The connections as Azure DevOps last answered them in a job (this worker's memory), for the panel's refresh. */
  | { type: 'convert.endpoints'; organizationName: string; jobId: string; ids: string[] }
  /** Extension page -> worker: the pre-flight of a plan's connections, read through the tab's page. */
  | { type: 'usage.preflight'; apiBase: string; tabId: number; targets: UsageTarget[] };

/** The messages of one type. */
export type MessageOf<K extends Message['type']> = Extract<Message, { type: K }>;
/** The conversion messages. */
export type ConvertMessage = MessageOf<Extract<Message['type'], `convert.${string}`>>;

/** The reply type of each message. */
export interface ReplyOf {
  /**
   * The content script gets the verdicts without the endpoints it relayed itself (megabytes on
   * big projects), and the engine's summary of them for its summary bar (it can't run the engine).
   */
  scanProject: Omit<ProjectInventory, 'endpoints'> & { summary: InventorySummary };
  connection: ConnectionDetails;
  openPanel: null;
  closePanel: null;
  panelOpening: null;
  panelHello: PanelOpening;
  'convert.plan': { plan: Plan; planId: string };
  'convert.dryRun': { plan: Plan; requests: PlannedRequest[] };
  'convert.start': JobReply;
  'convert.pause': JobReply;
  'convert.resume': JobReply;
  'convert.cancel': JobReply;
  'convert.retry': JobReply;
  'convert.jobs': StoredJobData[];
  'convert.clearFinished': { removed: number };
  'convert.endpoints': ServiceEndpoint[];
  'usage.preflight': Preflight;
}

/**
 * Sends a message to the service worker and unwraps its reply: the value, or a thrown Error
 * carrying the reply's ErrorInfo (`kind`, `retryAfterMs`, `status`).
 */
export async function ask<T extends Message>(message: T): Promise<ReplyOf[T['type']]> {
  const reply = (await chrome.runtime.sendMessage(message)) as Reply<ReplyOf[T['type']]> | undefined;
  if (!reply) throw Object.assign(new Error('The extension did not answer.'), errorOf('engine', 'The extension did not answer.'));
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.value;
}

// ---- service worker -> content script (chrome.tabs.sendMessage)

export type TabMessage = { type: 'relay'; request: RelayRequest } | { type: 'mountPanel' } | { type: 'unmountPanel' };

// ---- panel <-> service worker (a chrome.runtime Port named 'panel')

export const PANEL_PORT = 'panel';

export type PanelRequest = { type: 'scan'; scope: 'project' | 'organization'; context: PageContext } | { type: 'cancel' };

/** The engine's client started waiting (rate limit or backoff) for `ms` milliseconds. */
export type Waiting = RateLimitWaitEvent;

export type PanelEvent =
  | { type: 'started'; scope: 'project' | 'organization' }
  | { type: 'progress'; done: number; total: number; project: string | null }
  | ({ type: 'waiting' } & Waiting)
  | { type: 'inventory'; inventory: ProjectInventory }
  /**
   * `secretValuesDropped`: secret values the service returned and the engine dropped (count
   * only). `incomplete`: the engine's line on what an organization scan could not read, or null.
   */
  | { type: 'finished'; scope: 'project' | 'organization'; cancelled: boolean; secretValuesDropped: number; incomplete: string | null }
  | { type: 'failed'; error: ErrorInfo };

/** The port a panel opens for usage loads (the scans have their own). */
export const USAGE_PORT = 'usage';

/** Panel -> service worker, on the usage port; `load` is the panel's id of the load, which its events echo. */
export type UsageRequest = { type: 'load'; load: number; apiBase: string; targets: UsageTarget[] } | { type: 'cancel' };

/** Service worker -> panel, on the usage port; `load` is the id of the load they belong to. */
export type UsageEvent = { load: number } & (
  | { type: 'progress'; done: number; total: number; connection: ConnectionUsage | null }
  | ({ type: 'waiting' } & Waiting)
  | { type: 'finished'; cancelled: boolean; stopped: ErrorInfo | null }
);

/** Usage loads are bounded: at most this many connections per request (an organization's worth). */
export const MAX_TARGETS = 20_000;

/** True for a well-formed page context. */
export function isPageContext(v: unknown): v is PageContext {
  return (
    isObject(v) &&
    typeof v.organizationName === 'string' &&
    (v.projectName === null || typeof v.projectName === 'string') &&
    typeof v.apiBase === 'string' &&
    isAzureDevOpsUrl(v.apiBase)
  );
}

/** True for a well-formed message to the service worker. */
export function isMessage(v: unknown): v is Message {
  if (!isObject(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'scanProject':
      return isPageContext(v.context);
    case 'connection':
      return isPageContext(v.context) && typeof v.id === 'string';
    case 'openPanel':
      return v.tabId === null || typeof v.tabId === 'number';
    case 'closePanel':
      return true;
    case 'panelOpening':
      return (
        typeof v.nonce === 'string' &&
        v.nonce.length >= 16 &&
        isPageContext(v.context) &&
        (v.connection === null || typeof v.connection === 'string') &&
        (v.theme === 'light' || v.theme === 'dark')
      );
    case 'panelHello':
      return (v.tabId === null || typeof v.tabId === 'number') && typeof v.nonce === 'string';
    case 'convert.plan':
    case 'convert.dryRun':
      return isPlanRequest(v);
    case 'convert.start':
      return (
        isPlanRequest(v) &&
        Number.isInteger(v.concurrency) &&
        (v.concurrency as number) >= 1 &&
        (v.concurrency as number) <= 16 &&
        (v.planId === null || isStr(v.planId))
      );
    case 'convert.pause':
    case 'convert.cancel':
      return isStr(v.organizationName) && isStr(v.jobId);
    case 'convert.resume':
      return isStr(v.organizationName) && isStr(v.jobId) && (v.tabId === null || Number.isInteger(v.tabId));
    case 'convert.retry':
      return isStr(v.organizationName) && isStr(v.jobId) && isStr(v.endpointId) && (v.tabId === null || Number.isInteger(v.tabId));
    case 'convert.jobs':
    case 'convert.clearFinished':
      return isStr(v.organizationName);
    case 'convert.endpoints':
      return isStr(v.organizationName) && isStr(v.jobId) && isIdList(v.ids) && v.ids !== null;
    case 'usage.preflight':
      return isAzureDevOpsUrl(v.apiBase) && Number.isInteger(v.tabId) && isTargets(v.targets);
    default:
      return false;
  }
}

const isDirection = (v: unknown): v is Direction => v === 'convert' || v === 'revert';
const isIdList = (v: unknown): v is string[] | null => v === null || (Array.isArray(v) && v.length <= 10_000 && v.every(isStr));
const isGroups = (v: unknown): v is PlanGroup[] | null | undefined =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) &&
    v.length <= 5_000 &&
    v.every(
      (g) => isObject(g) && isStr(g.project) && g.project.length > 0 && isIdList(g.selected) && Array.isArray(g.also) && isIdList(g.also),
    ));

/** True for a well-formed job target on an Azure DevOps origin. */
export function isJobTarget(v: unknown): v is JobTarget {
  return (
    isObject(v) &&
    isStr(v.organizationName) &&
    v.organizationName.length > 0 &&
    isAzureDevOpsUrl(v.apiBase) &&
    (v.projectName === null || isStr(v.projectName)) &&
    Number.isInteger(v.tabId)
  );
}

function isPlanRequest(v: Record<string, unknown>): boolean {
  return (
    isJobTarget(v.target) && isDirection(v.direction) && isIdList(v.selected) && typeof v.allowManual === 'boolean' && isGroups(v.groups)
  );
}

/** True for a list of `{id, project}` targets of a sane size. */
export function isTargets(v: unknown): v is UsageTarget[] {
  return (
    Array.isArray(v) &&
    v.length <= MAX_TARGETS &&
    v.every((t) => isObject(t) && isStr(t.id) && t.id.length > 0 && isStr(t.project) && t.project.length > 0)
  );
}

/** True for a well-formed request on the usage port. */
export function isUsageRequest(v: unknown): v is UsageRequest {
  if (!isObject(v)) return false;
  if (v.type === 'cancel') return true;
  return v.type === 'load' && Number.isInteger(v.load) && isAzureDevOpsUrl(v.apiBase) && isTargets(v.targets);
}

/** True for a well-formed message to a content script. */
export function isTabMessage(v: unknown): v is TabMessage {
  if (!isObject(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'relay': {
      const r = v.request;
      return (
        isObject(r) &&
        typeof r.method === 'string' &&
        typeof r.url === 'string' &&
        isObject(r.headers) &&
        (r.body === null || r.body === undefined || typeof r.body === 'string')
      );
    }
    case 'mountPanel':
    case 'unmountPanel':
      return true;
    default:
      return false;
  }
}

/** True for a well-formed panel request. */
export function isPanelRequest(v: unknown): v is PanelRequest {
  if (!isObject(v)) return false;
  if (v.type === 'cancel') return true;
  return v.type === 'scan' && (v.scope === 'project' || v.scope === 'organization') && isPageContext(v.context);
}

/** Origins the extension works on (https only); the same list as the manifest's host patterns. The one URL guard. */
export function isAzureDevOpsUrl(url: unknown): boolean {
  if (!isStr(url) || !url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'dev.azure.com' || u.hostname.endsWith('.visualstudio.com'));
  } catch {
    return false;
  }
}

/** True when the sender is one of this extension's own pages (the panel, the popup). */
export function isExtensionPage(sender: chrome.runtime.MessageSender): boolean {
  return sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}

/**
 * True when a message comes from this extension: one of its own pages, or its content
 * script in a tab on an Azure DevOps origin.
 */
export function isTrustedSender(sender: chrome.runtime.MessageSender): boolean {
  if (sender.id !== chrome.runtime.id) return false;
  if (isExtensionPage(sender)) return true;
  return sender.tab !== undefined && isAzureDevOpsUrl(sender.url ?? sender.tab.url);
}
