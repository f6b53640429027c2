// The usage feature's messages: a port from the panel to the service worker for loads (with
// progress and cancel), and a one-shot message for a conversion plan's pre-flight. Types of
// what the engine returns come from the engine's generated declarations, never re-declared.
import type { RateLimitWaitEvent, ConnectionUsage, Preflight, UsageTarget } from '../../../pkg/web/federate_wasm.js';
import type { ErrorInfo } from './model.js';

export type { ConnectionUsage, Preflight, UsageTarget };

/** The port a panel opens for usage loads (the scans have their own). */
export const USAGE_PORT = 'usage';

/** Panel -> service worker, on the usage port; `load` is the panel's id of the load, which its events echo. */
export type UsageRequest = { type: 'load'; load: number; apiBase: string; targets: UsageTarget[] } | { type: 'cancel' };

/** Service worker -> panel, on the usage port; `load` is the id of the load they belong to. */
export type UsageEvent = { load: number } & (
  | { type: 'progress'; done: number; total: number; connection: ConnectionUsage | null }
  | ({ type: 'waiting' } & RateLimitWaitEvent)
  | { type: 'finished'; cancelled: boolean; stopped: ErrorInfo | null }
);

/** Extension page -> service worker: the pre-flight of a plan's connections, read through the tab's page. */
export interface PreflightMessage {
  type: 'usage.preflight';
  apiBase: string;
  tabId: number;
  targets: UsageTarget[];
}

export type PreflightReply = { ok: true; preflight: Preflight } | { ok: false; error: ErrorInfo };

/** Loads are bounded: at most this many connections per request (an organization's worth). */
export const MAX_TARGETS = 20_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** True for a list of `{id, project}` targets of a sane size. */
export function isTargets(v: unknown): v is UsageTarget[] {
  return (
    Array.isArray(v) &&
    v.length <= MAX_TARGETS &&
    v.every((t) => isObject(t) && typeof t.id === 'string' && t.id.length > 0 && typeof t.project === 'string' && t.project.length > 0)
  );
}

/** True for a well-formed request on the usage port. */
export function isUsageRequest(v: unknown): v is UsageRequest {
  if (!isObject(v)) return false;
  if (v.type === 'cancel') return true;
  return v.type === 'load' && Number.isInteger(v.load) && typeof v.apiBase === 'string' && isTargets(v.targets);
}

/** True for a well-formed pre-flight message. */
export function isPreflightMessage(v: unknown): v is PreflightMessage {
  return isObject(v) && v.type === 'usage.preflight' && typeof v.apiBase === 'string' && Number.isInteger(v.tabId) && isTargets(v.targets);
}
