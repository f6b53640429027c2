// The conversion feature's data: jobs, their items, the journal. The messages that carry
// them (plan, confirm, progress, history) are in messages.ts, with every other message.
// Pure types: no chrome.*, no DOM, no wasm.

import type {
  AdoRequest,
  Direction,
  PlannedConversion,
  ServiceEndpoint,
  SkippedConversion,
  SkipReason,
} from '../../../pkg/web/federate_wasm.js';

/** What a job changes: to workload identity federation, or back to the service principal (the engine's type). */
export type { Direction };

/** Where a job sends its requests: the organization's API base and the tab whose page relays them. */
export interface JobTarget {
  organizationName: string;
  /** `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`. */
  apiBase: string;
  /** The project the user acts from; `null` in the organization view. */
  projectName: string | null;
  /** The tab whose content script makes the same-origin calls. */
  tabId: number;
}

/** One step of a job as kept in `chrome.storage.local`: what was planned, sent, answered. */
export interface JournalStep {
  /** Unix time in ms. */
  at: number;
  /** `planned`, `skipped`, `sent`, `answered`, or `job` (paused, resumed, cancelled, finished). */
  kind: 'planned' | 'skipped' | 'sent' | 'answered' | 'job';
  endpointId: string | null;
  method: string | null;
  url: string | null;
  status: number | null;
  /** A short result: an outcome (`converted`, `needsManual`, ...), an error kind, a skip reason. */
  outcome: string | null;
  message: string | null;
}

/** Where one connection of a job stands. */
export type ItemStatus = 'pending' | 'running' | 'done' | 'skipped';

/** One connection of a job. */
export interface JobItem {
  id: string;
  name: string | null;
  /** The project the request goes to (its owning project). */
  project: string;
  status: ItemStatus;
  /** The final outcome (`converted`, `failed`, `needsManual`, `forbidden`, ...), once done. */
  outcome: string | null;
  message: string | null;
  issuer: string | null;
  subject: string | null;
  revertDeadline: string | null;
  /** Times a scheme change was sent for it (a 429 retry counts: the service never ran it). */
  attempts: number;
  /** The endpoint exactly as read when the job was planned: the body is built from it. */
  endpoint: ServiceEndpoint | null;
}

/** The state of a job. */
export type JobState = 'running' | 'paused' | 'cancelled' | 'done';

/** A job, as stored: the single source of truth the UI renders and a restarted worker resumes. */
export interface Job {
  id: string;
  direction: Direction;
  target: JobTarget;
  createdAt: number;
  updatedAt: number;
  state: JobState;
  /** Why it is paused (`signedOut`, `throttled`, `server`, `network`, `user`, `tab`) and what to tell the user. */
  pause: { kind: string; message: string; resumeAt: number | null } | null;
  concurrency: number;
  items: JobItem[];
  /** Connections the plan left out, with the reason (kept so the history shows them). */
  skipped: { id: string; name: string | null; reason: string; message: string }[];
  journal: JournalStep[];
  /** The organization id (connectionData `instanceId`) when it could be read: the manual path's Entra issuer and subject need it. */
  organizationId?: string | null;
}

/** A plan as the engine makes it (`planConversions`); in the organization view, one per owning project, merged. */
export interface Plan {
  /** The engine's planned conversions; `projectName` for display when known (organization view). */
  send: (PlannedConversion & { projectName?: string | null })[];
  /**
   * The engine's skipped ones (`notFound`: not read in its owning project, organization view);
   * `project`/`projectName`: the owning project whose plan skipped it.
   */
  skip: (Omit<SkippedConversion, 'reason'> & { reason: SkipReason | 'notFound'; project?: string | null; projectName?: string | null })[];
}

/**
 * One owning project of an organization-wide plan (the panel's organization inventory): its
 * connections are read from that project and planned as from that project. `selected` are the
 * ticked ids it owns (shared ones only this way), or null for every convertible one there;
 * `also` are ticked ids added to a `selected: null` group ("Convert all convertible" with
 * shared connections the user ticked).
 */
export interface PlanGroup {
  project: string;
  selected: string[] | null;
  also: string[];
}

/** A request as the engine builds it (`conversionRequest`), for the dry run, with the connection it is for. */
export type PlannedRequest = Pick<AdoRequest, 'method' | 'url' | 'body'> & { id: string; name: string | null };

/** The storage key of an organization's job index, and of one job. */
export const storageKeys = {
  index: (org: string) => `federate.convert.${org.toLowerCase()}.jobs`,
  job: (org: string, jobId: string) => `federate.convert.${org.toLowerCase()}.job.${jobId}`,
  prefix: (org: string) => `federate.convert.${org.toLowerCase()}.`,
};

/** Outcomes after which a connection is finished (nothing more to send). */
export const FINAL_OUTCOMES = new Set([
  'converted',
  'reverted',
  'failed',
  'needsManual',
  'alreadyFederated',
  'forbidden',
  'revertUnavailable',
  'notFound',
  'rejected',
]);
