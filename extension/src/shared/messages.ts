// The one typed message union of the extension, with the guards every receiver uses.
// Messages travel only through chrome.runtime channels; page scripts can't reach them.
import type { InventorySummary, RateLimitWaitEvent, Remedies } from '../../../pkg/web/federate_wasm.js';
import type { ErrorInfo, ProjectInventory, Verdict } from './model.js';

/** Where an Azure DevOps page is: organization, project, and the API base for REST calls. */
export interface PageContext {
  organizationName: string;
  /** Null on organization-level pages. */
  projectName: string | null;
  /** `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`. */
  apiBase: string;
}

/** One HTTP request the engine wants made from the page's origin. */
export interface RelayRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** The answer to a relayed request: header names lowercase, body as text. */
export interface RelayResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

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
  | { type: 'panelHello'; tabId: number | null; nonce: string };

export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

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
}

// ---- service worker -> content script (chrome.tabs.sendMessage)

export type TabMessage = { type: 'relay'; request: RelayRequest } | { type: 'mountPanel' } | { type: 'unmountPanel' };

// ---- panel <-> service worker (a chrome.runtime Port named 'panel')

export const PANEL_PORT = 'panel';

export type PanelRequest = { type: 'scan'; scope: 'project' | 'organization'; context: PageContext } | { type: 'cancel' };

export type PanelEvent =
  | { type: 'started'; scope: 'project' | 'organization' }
  | { type: 'progress'; done: number; total: number; project: string | null }
  /** The engine's client started waiting (rate limit or backoff) for `ms`. */
  | ({ type: 'waiting' } & RateLimitWaitEvent)
  | { type: 'inventory'; inventory: ProjectInventory }
  /** `secretValuesDropped`: secret values the service returned and the engine dropped (count only). */
  | { type: 'finished'; scope: 'project' | 'organization'; cancelled: boolean; secretValuesDropped: number }
  | { type: 'failed'; error: ErrorInfo };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

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
    default:
      return false;
  }
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

/** Origins the extension works on; the same list as the manifest's host patterns. */
export function isAzureDevOpsUrl(url: string | undefined): boolean {
  if (!url) return false;
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
