// Scans (one project, or every project of the organization) run in the service worker with
// the engine's client, which decides what to call and owns paging, throttling and retries;
// every HTTP request goes through a relay to the tab's content script, which makes it from
// the page's origin with the page's session.
import * as wasm from '../../../pkg/web/federate_wasm.js';
import {
  classifyEndpoints,
  clientOrganizationId,
  clientScanProjectListing,
  type EngineContext,
  endpointsById,
  type Relay,
  type ServiceEndpoint,
} from '../shared/engine.js';
import type { PageContext, Waiting } from '../shared/messages.js';
import type { ProjectInventory, ProjectRef } from '../shared/model.js';

/** One project's raw endpoints (kept for remedies and conversions) and verdicts. */
export interface ScannedProject {
  inventory: ProjectInventory;
  endpoints: Map<string, ServiceEndpoint>;
  /** Secret values the service returned and the engine dropped while reading (count only). */
  secretValuesDropped: number;
}

const orgIds = new Map<string, string | null>();

/** The organization id (connectionData `instanceId`), cached per organization. */
async function organizationId(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<string | null> {
  const key = ctx.apiBase.toLowerCase();
  if (orgIds.has(key)) return orgIds.get(key) ?? null;
  let id: string | null = null;
  try {
    id = await clientOrganizationId({ orgUrl: ctx.apiBase }, relay, signal);
  } catch (err) {
    // Without the id the engine still classifies; it only can't compare the expected issuer.
    const kind = (err as { kind?: string }).kind;
    if (kind !== 'forbidden' && kind !== 'notFound' && kind !== 'malformed') throw err;
  }
  orgIds.set(key, id);
  return id;
}

function engineContext(ctx: PageContext, orgId: string | null, project: ProjectRef | null): EngineContext {
  return {
    organizationName: ctx.organizationName,
    organizationId: orgId,
    projectName: project?.projectName ?? null,
    projectId: project?.projectId ?? null,
    now: new Date().toISOString(),
  };
}

function scanned(
  endpoints: ServiceEndpoint[],
  ctx: PageContext,
  orgId: string | null,
  project: ProjectRef,
  secretValuesDropped: number,
): ScannedProject {
  // The engine tells each verdict the project it was found in (the context's project).
  const verdicts = classifyEndpoints(endpoints, engineContext(ctx, orgId, project));
  return {
    inventory: { project, verdicts, endpoints, organizationId: orgId },
    endpoints: endpointsById(endpoints),
    secretValuesDropped,
  };
}

/** The engine context for a project's remedies (organization id cached). */
export async function contextFor(ctx: PageContext, relay: Relay, project: ProjectRef): Promise<EngineContext> {
  return engineContext(ctx, await organizationId(ctx, relay, new AbortController().signal), project);
}

/** Scans the page's project. */
export async function scanProject(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<ScannedProject> {
  if (!ctx.projectName) throw Object.assign(new Error('This page is not inside a project.'), { kind: 'notFound' });
  // Both at once: the organization id is only needed to classify, not to list (one round trip
  // through the relay instead of two when it is not cached yet).
  const [orgId, listing] = await Promise.all([
    organizationId(ctx, relay, signal),
    clientScanProjectListing({ orgUrl: ctx.apiBase, project: ctx.projectName }, relay, signal),
  ]);
  return scanned(listing.connections, ctx, orgId, { projectId: null, projectName: ctx.projectName }, listing.secretValuesDropped);
}

/**
 * Scans every project with the engine's `scanOrganization`: one concurrency limit and one
 * rate-limit pause for the whole scan, shared connections merged by the engine. `onProject`
 * gets each project as it finishes (so results appear as they come), `onProgress` the count,
 * `onWait` each wait as the client starts it. A project that can't be read leaves the scan
 * incomplete (the engine's `incomplete` line says which and why); anything that stops the scan
 * (signed out, throttled past the client's wait, cancelled) rejects with its kind. Resolves
 * with that line and the engine's count of the secret values the service returned (each
 * merged connection once; count only).
 */
export async function scanOrganization(
  ctx: PageContext,
  relay: Relay,
  onProject: (p: ScannedProject) => void,
  onProgress: (done: number, total: number, project: string | null) => void,
  onWait: (wait: Waiting) => void,
  signal: AbortSignal,
): Promise<{ incomplete: string | null; secretValuesDropped: number }> {
  const orgId = await organizationId(ctx, relay, signal);
  const result = await wasm.scanOrganization(
    { orgUrl: ctx.apiBase },
    relay as wasm.Relay,
    (e) => {
      if (signal.aborted) return;
      if (e.waiting) {
        onWait(e.waiting);
        return;
      }
      const p = e.project;
      if (p && !p.error) onProject(scanned(p.connections, ctx, orgId, { projectId: p.id, projectName: p.name }, p.secretValuesDropped));
      onProgress(e.projectsDone, e.projectsTotal, p?.name ?? null);
    },
    signal,
  );
  if (result.stopped) {
    const stopped = result.stopped;
    const { kind } = stopped;
    // The rows found so far stay on screen: the count of what was dropped from them goes too.
    throw Object.assign(new Error('message' in stopped ? stopped.message : kind), {
      kind,
      retryAfterMs: kind === 'throttled' ? stopped.retryAfterMs : null,
      status: 'status' in stopped ? stopped.status : null,
      secretValuesDropped: result.secretValuesDropped,
    });
  }
  return { incomplete: result.incomplete, secretValuesDropped: result.secretValuesDropped };
}
