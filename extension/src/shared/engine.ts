// The extension's one adapter to the wasm engine: loads it once, in an extension context
// (service worker or extension page), and re-exports its typed functions and types. The
// types are generated from the engine's Rust types (pkg/web/federate_types.d.ts), so a
// renamed export or a changed shape fails `tsc` here and at every caller. Never imported by
// the content script: a page's CSP may block wasm there.
import init, * as wasm from '../../../pkg/web/federate_wasm.js';
import type { ErrorInfo } from './messages.js';
import type { AdoRequest, AdoResponse, ClientOptions, Context, Direction, Relay, ServiceEndpoint } from '../../../pkg/web/federate_wasm.js';

export type {
  AdoRequest,
  AdoResponse,
  ClientOptions,
  CommandFormat,
  CommandFormatName,
  Context,
  ConversionOutcome,
  ConversionPlan,
  Direction,
  ExpectedFederation,
  Federation,
  InventorySummary,
  JobHeader,
  JobRecord,
  JobView,
  ItemView,
  Owner,
  ProjectRead,
  Reason,
  Relay,
  Remedies,
  ServiceEndpoint,
  Verdict,
} from '../../../pkg/web/federate_wasm.js';

// The engine's functions the extension calls, as they are: typed by the generated .d.ts.
export {
  ConversionJob,
  classifyEndpoints,
  jobConflicts,
  jobHeader,
  planOrganization,
  planReverts,
  readEndpoint,
  commandFormats,
  csvTable,
  expectedFederation,
  explainFederation,
  federatedCredentialCommands,
  inventorySummary,
  issuerMigrationCommands,
  issuerMigrationPlan,
  owningProject,
  remedies,
  renderReport,
  secretValuesNotice,
  verifyIssuerMigration,
} from '../../../pkg/web/federate_wasm.js';

let ready: Promise<unknown> | undefined;

/**
 * An error with the engine's words for its kind (`errorWords`): its `title` and `advice`.
 * Before the engine has loaded (or when it could not), there are no words: its own message is the title.
 */
export function withWords(error: ErrorInfo): ErrorInfo & { title: string; advice: string } {
  try {
    const { title, advice } = wasm.errorWords(error.kind, error.retryAfterMs);
    return { ...error, title, advice };
  } catch {
    return { ...error, title: error.message, advice: '' };
  }
}

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

/**
 * The context every engine call takes, as the extension always fills it: the organization's
 * name and `now` (an ISO time: the engine has no clock); the rest may be null.
 */
export type EngineContext = Context & { organizationName: string; now: string };

/** The relay's request and answer, under the names the extension's relay uses. */
export type WireRequest = AdoRequest;
export type WireResponse = AdoResponse;

/** Endpoints as read, by lowercase id (those without an id are left out). */
export function endpointsById(endpoints: readonly ServiceEndpoint[]): Map<string, ServiceEndpoint> {
  const out = new Map<string, ServiceEndpoint>();
  for (const ep of endpoints) {
    if (typeof ep.id === 'string') out.set(ep.id.toLowerCase(), ep);
  }
  return out;
}

/** The client's `scanProjectListing`: every endpoint of one project, and how many secret values the engine dropped. */
export function clientScanProjectListing(options: ClientOptions, relay: Relay, signal: AbortSignal | null) {
  return wasm.scanProjectListing(options, relay, signal);
}

/** The client's `organizationId` (connectionData `instanceId`). */
export function clientOrganizationId(options: ClientOptions, relay: Relay, signal: AbortSignal | null): Promise<string> {
  return wasm.organizationId(options, relay, signal);
}

// ---- conversions: the engine decides what to send and what an answer means; these calls
// only pass the job's target across.

/** Where a conversion's requests go: the organization's API base and, for project calls, the project. */
export interface EngineTarget {
  apiBase: string;
  projectName: string | null;
}

/** The options every client call of a job takes: where to send, and the job's knobs. */
function clientOptions(target: EngineTarget, project: string | null = target.projectName, concurrency = 1): ClientOptions {
  return { orgUrl: target.apiBase, project, concurrency };
}

/** Plans a conversion (`planConversions`): what will be sent, what skipped and why. */
export function planConversions(endpoints: ServiceEndpoint[], target: EngineTarget, selected: string[] | null, allowManual: boolean) {
  return wasm.planConversions(endpoints, { project: target.projectName, selected, allowManual });
}

/** The exact request a conversion (or revert) would send (`conversionRequest`), for the dry run. */
export function conversionRequest(endpoint: ServiceEndpoint, target: EngineTarget, direction: Direction): AdoRequest {
  return wasm.conversionRequest(endpoint, clientOptions(target), direction);
}

/** Every connection of `project` exactly as read (`scanProject`), by lowercase id. */
export async function readProject(target: EngineTarget, project: string, relay: Relay): Promise<Map<string, ServiceEndpoint>> {
  return endpointsById(await wasm.scanProject(clientOptions(target, project), relay, null));
}

/** The organization id (`organizationId`: connectionData `instanceId`), or null when it can't be read. */
export async function organizationIdOf(target: EngineTarget, relay: Relay): Promise<string | null> {
  try {
    return await wasm.organizationId(clientOptions(target), relay, null);
  } catch {
    return null;
  }
}
