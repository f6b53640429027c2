// Loads the wasm engine once, in an extension context (service worker or extension page),
// and gives the extension typed calls into it. Never imported by the content script: a
// page's CSP may block wasm there.
import init, * as wasm from '../../../pkg/web/federate_wasm.js';
import { normalizeVerdict, type ProjectRef, type RemedyFormat, REMEDY_FORMATS, type Verdict } from './model.js';

let ready: Promise<unknown> | undefined;

/**
 * Instantiates the engine on first call; later calls share the same promise. The time it took
 * (fetch, compile, instantiate) is a User Timing measure, `federate:engine-instantiate`, for
 * the benchmark (tests/bench/wasm.bench.mjs) and for anyone profiling the worker.
 */
export function loadEngine(): Promise<unknown> {
  ready ??= (async () => {
    const start = performance.now();
    const out = await init({ module_or_path: chrome.runtime.getURL('wasm/federate_wasm_bg.wasm') });
    performance.measure('federate:engine-instantiate', { start });
    return out;
  })();
  return ready;
}

/** The context every engine call takes (`now` is an ISO time: the engine has no clock). */
export interface EngineContext {
  organizationName: string;
  organizationId: string | null;
  projectName: string | null;
  projectId: string | null;
  now: string;
}

type Fn = (...args: unknown[]) => unknown;
/**
 * An export of the engine by name: the extension passes data across untyped (the engine
 * checks it). Throws (kind `engine`) when the bundled engine lacks it.
 */
export function exported(name: string): Fn {
  const f = (wasm as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') throw Object.assign(new Error(`The engine has no ${name}: rebuild the extension.`), { kind: 'engine' });
  return f as Fn;
}

/** Classifies a list of endpoints (`{count, value}` or an array) into normalized verdicts. */
export function classify(list: unknown, context: EngineContext, foundIn: ProjectRef | null = null): Verdict[] {
  const out = exported('classifyEndpoints')(list, context);
  return Array.isArray(out) ? out.map((v) => normalizeVerdict(v, foundIn)) : [];
}

/** The federated-credential commands of one endpoint in one format, or null when the engine has none. */
function remedyCommands(endpoint: unknown, context: EngineContext | Record<string, unknown>, format: RemedyFormat): string | null {
  try {
    const text = exported('federatedCredentialCommands')(endpoint, context, format);
    return typeof text === 'string' && text.length > 0 ? text : null;
  } catch {
    // This format doesn't apply to this endpoint.
    return null;
  }
}

/** The remedy of one endpoint in every format the engine knows (formats it rejects are left out). */
export function remedies(endpoint: unknown, context: EngineContext | Record<string, unknown>): Partial<Record<RemedyFormat, string>> {
  const out: Partial<Record<RemedyFormat, string>> = {};
  for (const format of REMEDY_FORMATS) {
    const text = remedyCommands(endpoint, context, format);
    if (text !== null) out[format] = text;
  }
  return out;
}

/** The engine's summary of an inventory: counted parts (the page's summary bar) and one line. */
export function inventorySummary(verdicts: readonly Verdict[]): wasm.InventorySummary {
  return exported('inventorySummary')(verdicts) as wasm.InventorySummary;
}

/** The inventory as a report document. */
export function renderReport(verdicts: readonly Verdict[], format: 'json' | 'csv' | 'markdown'): string {
  return String(exported('renderReport')(verdicts, format));
}

/** A request the engine wants made from the page's origin (headers as pairs or a record), and its answer. */
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
/** A relay: the engine's request, answered by the page's origin. */
export type Relay = (request: WireRequest) => Promise<WireResponse>;

/** Where the client sends: the organization's API base and, for project calls, the project. */
export interface ClientOptions {
  orgUrl: string;
  project?: string | null;
  concurrency?: number | null;
}

/** Endpoints as read, by lowercase id (those without an id are left out). */
export function endpointsById(endpoints: readonly unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const ep of endpoints) {
    const id = (ep as { id?: unknown }).id;
    if (typeof id === 'string') out.set(id.toLowerCase(), ep);
  }
  return out;
}

/** The client's `scanProject`: every endpoint of one project, failed ones included. */
export async function clientScanProject(options: ClientOptions, relay: Relay, signal: AbortSignal | null): Promise<unknown[]> {
  const out = await (exported('scanProject')(options, relay, signal) as Promise<unknown>);
  return Array.isArray(out) ? out : [];
}

/**
 * The client's `scanProjectListing`: every endpoint of one project, and how many secret values
 * the service returned that the engine dropped while reading them (count only).
 */
export async function clientScanProjectListing(
  options: ClientOptions,
  relay: Relay,
  signal: AbortSignal | null,
): Promise<{ connections: unknown[]; secretValuesDropped: number }> {
  const out = (await (exported('scanProjectListing')(options, relay, signal) as Promise<unknown>)) as {
    connections?: unknown;
    secretValuesDropped?: unknown;
  } | null;
  const dropped = out?.secretValuesDropped;
  return {
    connections: Array.isArray(out?.connections) ? out.connections : [],
    secretValuesDropped: typeof dropped === 'number' ? dropped : 0,
  };
}

/** The client's `organizationId` (connectionData `instanceId`). */
export async function clientOrganizationId(options: ClientOptions, relay: Relay, signal: AbortSignal | null): Promise<string | null> {
  const id = await (exported('organizationId')(options, relay, signal) as Promise<unknown>);
  return typeof id === 'string' ? id : null;
}
