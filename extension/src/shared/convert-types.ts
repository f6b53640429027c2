// The conversion feature's data: jobs, their items, the journal, and the messages between
// the extension pages (plan, confirm, progress, history) and the service worker (which runs
// the jobs). Pure types and guards: no chrome.*, no DOM, no wasm.

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

// ---- extension page -> service worker (chrome.runtime.sendMessage)

/** What a plan is made from: the same for the plan, its dry run and the job that sends it. */
export interface PlanRequest {
  target: JobTarget;
  direction: Direction;
  selected: string[] | null;
  allowManual: boolean;
  /** Organization view (`target.projectName` null): the owning projects to plan, each from itself. */
  groups?: PlanGroup[] | null;
}

export type ConvertMessage =
  | ({ type: 'convert.plan' } & PlanRequest)
  | ({ type: 'convert.dryRun' } & PlanRequest)
  | ({ type: 'convert.start'; concurrency: number; planId: string | null } & PlanRequest)
  | { type: 'convert.pause'; organizationName: string; jobId: string }
  | { type: 'convert.resume'; organizationName: string; jobId: string; tabId: number | null }
  | { type: 'convert.cancel'; organizationName: string; jobId: string }
  | { type: 'convert.retry'; organizationName: string; jobId: string; endpointId: string; tabId: number | null }
  | { type: 'convert.jobs'; organizationName: string };

/** What the service worker answers. */
export type ConvertReply =
  | { ok: true; plan?: Plan; planId?: string; requests?: PlannedRequest[]; job?: Job; jobs?: Job[] }
  | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isStr = (v: unknown): v is string => typeof v === 'string';
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

function isAzureDevOpsBase(url: unknown): boolean {
  if (!isStr(url)) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'dev.azure.com' || u.hostname.endsWith('.visualstudio.com'));
  } catch {
    return false;
  }
}

/** True for a well-formed job target on an Azure DevOps origin. */
export function isJobTarget(v: unknown): v is JobTarget {
  return (
    isObject(v) &&
    isStr(v.organizationName) &&
    v.organizationName.length > 0 &&
    isAzureDevOpsBase(v.apiBase) &&
    (v.projectName === null || isStr(v.projectName)) &&
    Number.isInteger(v.tabId)
  );
}

function isPlanRequest(v: Record<string, unknown>): boolean {
  return (
    isJobTarget(v.target) && isDirection(v.direction) && isIdList(v.selected) && typeof v.allowManual === 'boolean' && isGroups(v.groups)
  );
}

/** True for a well-formed message of the conversion feature. */
export function isConvertMessage(v: unknown): v is ConvertMessage {
  if (!isObject(v) || !isStr(v.type) || !v.type.startsWith('convert.')) return false;
  switch (v.type) {
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
      return isStr(v.organizationName);
    default:
      return false;
  }
}

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
