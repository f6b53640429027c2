// The conversion feature's calls into the engine (wasm), in one place. The engine decides
// what to send and what an answer means; this file only passes data across, through the
// extension's engine module (one wasm instance, one way to call it).
import {
  type ClientOptions,
  clientOrganizationId,
  clientScanProject,
  endpointsById,
  exported,
  type Relay,
  type WireRequest,
} from './engine.js';
import type { Direction, JobTarget, Plan, PlannedRequest } from './convert-types.js';

export { loadEngine, type Relay, remedies, type WireRequest, type WireResponse } from './engine.js';

/** A journal entry as the engine reports it (`JournalEntry`). */
export interface EngineJournalEntry {
  atMs: number;
  kind: 'planned' | 'sent' | 'answered' | 'skipped';
  endpointId: string | null;
  method: string | null;
  url: string | null;
  status: number | null;
  outcome: string | null;
  message: string | null;
}

/** The engine's `ConversionOutcome`, with the fields the extension reads. */
export interface Outcome {
  outcome: string;
  message?: string;
  role?: string;
  issuer?: string | null;
  subject?: string | null;
  revertDeadline?: string | null;
  endpoint?: unknown;
  error?: { kind: string; message: string; retryAfterMs?: number | null; status?: number };
}

/** A CSV document from rows of cells, every cell through the engine's one CSV rule (`csvTable`). */
export function csvTable(rows: (string | number | null)[][]): string {
  return String(exported('csvTable')(rows));
}

/** The options every client call takes: where to send, and the job's knobs. */
function clientOptions(target: JobTarget, project: string | null = target.projectName, concurrency = 1): ClientOptions {
  return { orgUrl: target.apiBase, project, concurrency };
}

/** Plans a conversion (`planConversions`): what will be sent, what skipped and why. */
export function planConversions(endpoints: unknown[], target: JobTarget, selected: string[] | null, allowManual: boolean): Plan {
  const out = exported('planConversions')(endpoints, { project: target.projectName, selected, allowManual }) as Plan;
  return { send: out.send ?? [], skip: out.skip ?? [] };
}

/** The exact request a conversion (or revert) would send (`conversionRequest`), for the dry run. */
export function conversionRequest(endpoint: unknown, target: JobTarget, direction: Direction): PlannedRequest {
  const req = exported('conversionRequest')(endpoint, clientOptions(target), direction) as WireRequest;
  const ep = endpoint as { id?: string; name?: string };
  return { id: ep.id ?? '', name: ep.name ?? null, method: req.method, url: req.url, body: req.body ?? null };
}

/** Sends one scheme change (`convertEndpoint` / `revertEndpoint`) through `relay`. */
export async function changeScheme(
  direction: Direction,
  target: JobTarget,
  endpoint: unknown,
  relay: Relay,
  onJournal: (entry: EngineJournalEntry) => void,
): Promise<Outcome> {
  const name = direction === 'convert' ? 'convertEndpoint' : 'revertEndpoint';
  return (await exported(name)(clientOptions(target), endpoint, relay, onJournal)) as Outcome;
}

/** Reads a connection (by id, in its owning `project`) until its operation settles (`pollEndpoint`). */
export async function pollEndpoint(
  direction: Direction,
  target: JobTarget,
  project: string,
  endpointId: string,
  relay: Relay,
  onJournal: (entry: EngineJournalEntry) => void,
): Promise<Outcome> {
  return (await exported('pollEndpoint')(clientOptions(target, project), endpointId, relay, onJournal, null, direction)) as Outcome;
}

/** Every connection of `project` exactly as read (`scanProject`), by lowercase id. */
export async function readProject(target: JobTarget, project: string, relay: Relay): Promise<Map<string, unknown>> {
  return endpointsById(await clientScanProject(clientOptions(target, project), relay, null));
}

/** The issuer, subject and audience a connection's identity needs (`expectedFederation`), or null. */
export function expectedFederation(
  endpoint: unknown,
  context: Record<string, unknown>,
): {
  audience: string;
  azureDevOps: { issuer: string | null; subject: string | null };
  entra: { issuer: string | null; subject: string | null } | null;
  missing: string[];
} | null {
  try {
    return exported('expectedFederation')(endpoint, context) as ReturnType<typeof expectedFederation>;
  } catch {
    return null;
  }
}

/** The organization id (`organizationId`: connectionData `instanceId`), or null when it can't be read. */
export async function organizationIdOf(target: JobTarget, relay: Relay): Promise<string | null> {
  try {
    return await clientOrganizationId(clientOptions(target), relay, null);
  } catch {
    return null;
  }
}
