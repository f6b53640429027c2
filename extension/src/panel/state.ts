// The panel's state: one small object, made once by main.ts and passed to every view. Views
// read and change it; none keeps mutable state of the panel at module level.
import type { ErrorInfo, PageContext } from '../shared/messages.js';
import type { ServiceEndpoint, Verdict } from '../shared/model.js';

/** One connection of the inventory. */
export interface Row {
  verdict: Verdict;
  endpoint: ServiceEndpoint | undefined;
  organizationId: string | null;
  /** Projects whose list showed it (a shared connection shows in several). */
  seenIn: string[];
}

export type Scope = 'project' | 'organization';
export type ScanStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface PanelState {
  /** What the overlay opened the panel on: from the service worker (guard.ts), never from the URL, which a framing page controls. */
  ctx: PageContext | null;
  /** A connection whose details to show at once (a card's Convert… / Revert…): a view, not an action. */
  focusId: string | null;
  /** The tab the panel is shown in: its page relays the conversion requests. */
  tabId: number | null;
  /** The inventory, by connection id. */
  rows: Map<string, Row>;
  scope: Scope;
  status: ScanStatus;
  progress: { done: number; total: number; project: string | null };
  error: ErrorInfo | null;
  /** The connection whose details are open. */
  selected: string | null;
  /** Ids ticked in the inventory for a bulk conversion. */
  picked: Set<string>;
  /** The table's sort: a column key and its direction. */
  sort: { key: string; dir: 1 | -1 };
  /** Secret values the service returned in the last scan, dropped by the engine (count only). */
  secretValuesDropped: number;
  /** The engine's line on what the last organization scan could not read, or null. */
  incomplete: string | null;
  /** The client's current wait (rate limit or backoff) during a scan. */
  wait: { until: number; reason: string; status: number | null } | null;
  /** Whether the engine has loaded (the first render comes before). */
  engineLoaded: boolean;
}

/** A fresh state, before the panel claimed its opening. */
export function createState(): PanelState {
  return {
    ctx: null,
    focusId: null,
    tabId: null,
    rows: new Map(),
    scope: 'organization',
    status: 'idle',
    progress: { done: 0, total: 0, project: null },
    error: null,
    selected: null,
    picked: new Set(),
    sort: { key: 'name', dir: 1 },
    secretValuesDropped: 0,
    incomplete: null,
    wait: null,
    engineLoaded: false,
  };
}

/** The organization id the verdicts were computed with (from any row), for the manual path's Entra form. */
export function organizationId(state: PanelState): string | null {
  for (const r of state.rows.values()) if (r.organizationId) return r.organizationId;
  return null;
}
