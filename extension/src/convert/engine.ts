// The conversion feature's calls into the engine (wasm), in one place. The engine decides
// what to send and what an answer means; this file only passes data across. Exports are
// looked up by name so the extension still loads while an export is being added.
import * as wasm from '../../../pkg/web/federate_wasm.js';
import { loadEngine } from '../engine.js';
import type { Direction, JobTarget, Plan, PlannedRequest } from './types.js';

/** A request the engine wants made from the page's origin, and its answer. */
export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string> | [string, string][];
  body: string | null;
}
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  url?: string | null;
}
export type Relay = (request: WireRequest) => Promise<WireResponse>;

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

type Fn = (...args: unknown[]) => unknown;

function exported(name: string): Fn {
  const f = (wasm as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw new Error(`The engine has no ${name} yet: rebuild the extension.`);
  return f as Fn;
}

/** The options every client call takes: where to send, and the job's knobs. */
function clientOptions(target: JobTarget, project: string | null = target.projectName, concurrency = 1): Record<string, unknown> {
  return { orgUrl: target.apiBase, project, concurrency };
}

export { loadEngine };

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
  const list = (await exported('scanProject')(clientOptions(target, project), relay, null)) as unknown;
  const out = new Map<string, unknown>();
  for (const ep of Array.isArray(list) ? list : []) {
    const id = (ep as { id?: unknown }).id;
    if (typeof id === 'string') out.set(id.toLowerCase(), ep);
  }
  return out;
}

/** The engine's verdicts (used by the UI for the revert window and the manual path). */
export function classifyEndpoints(endpoints: unknown[], context: Record<string, unknown>): unknown[] {
  const out = exported('classifyEndpoints')(endpoints, context) as unknown;
  return Array.isArray(out) ? out : [];
}

/** The federated-credential commands for the manual path, or null when the engine has none. */
export function remedyCommands(endpoint: unknown, context: Record<string, unknown>, format: string): string | null {
  try {
    const text = exported('federatedCredentialCommands')(endpoint, context, format);
    return typeof text === 'string' && text.length > 0 ? text : null;
  } catch {
    return null;
  }
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
    const id = (await exported('organizationId')(clientOptions(target), relay, null)) as unknown;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}
