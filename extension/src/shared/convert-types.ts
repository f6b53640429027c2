// The conversion feature's plumbing types: where a job's requests go, what the panel asks for,
// and what the worker hands back. Every type about the job itself (plan, header, records,
// view) is the engine's, generated from Rust. Pure types: no chrome.*, no DOM, no wasm.

import type { AdoRequest, ConversionPlan, Direction, JobHeader, JobRecord, JobView } from '../../../pkg/web/federate_wasm.js';

/** What a job changes: to workload identity federation, or back to the service principal (the engine's type). */
export type { Direction };

/** A plan as the engine makes it (`planConversions`, `planOrganization`, `planReverts`). */
export type Plan = ConversionPlan;

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

/**
 * One owning project of an organization-wide plan (the panel's organization inventory): its
 * connections are read from that project and planned by the engine as from that project.
 */
export interface PlanGroup {
  project: string;
  selected: string[] | null;
  also: string[];
}

/** A request as the engine builds it (`conversionRequest`), for the dry run, with the connection it is for. */
export type PlannedRequest = Pick<AdoRequest, 'method' | 'url' | 'body'> & { id: string; name: string | null };

/** The worker's answer to a job command: the engine's view of the job. */
export interface JobReply {
  organizationName: string;
  jobId: string;
  view: JobView;
}

/** A job as stored (worker/jobstore.ts): the header written once and its records, in order. */
export interface StoredJobData {
  target: JobTarget;
  header: JobHeader;
  organizationId: string | null;
  records: JobRecord[];
  endedAt: number | null;
}

/** The storage keys of a job (worker/jobstore.ts writes them; the panel follows them). */
export const jobStorage = {
  /** Every key of an organization's jobs starts with this. */
  prefix: (org: string) => `federate.job.${org.toLowerCase()}.`,
  /** Every key of one job starts with this. */
  job: (org: string, id: string) => `federate.job.${org.toLowerCase()}.${id}.`,
  /**
   * chrome.storage.session: the engine's live view of a job whose latest records could not be
   * stored (a storage-full pause); the panel draws it instead of the stored records. Cleared
   * once a write succeeds again.
   */
  live: (org: string, id: string) => `federate.live.${org.toLowerCase()}.${id}`,
};
