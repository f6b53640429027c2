// Scans (one project, or every project of the organization) run in the service worker with
// the engine's client, which decides what to call and owns paging, throttling and retries;
// every HTTP request goes through a relay to the tab's content script, which makes it from
// the page's origin with the page's session.
import { classify, clientListProjects, clientOrganizationId, clientScanProject, type EngineContext, type Relay } from './engine.js';
import type { PageContext } from './messages.js';
import type { ProjectInventory, ProjectRef } from './model.js';

/** One project's raw endpoints (kept for remedies and conversions) and verdicts. */
export interface ScannedProject {
  inventory: ProjectInventory;
  endpoints: Map<string, unknown>;
}

/** Projects scanned at once in an organization scan (each is one paged list request). */
const PROJECT_CONCURRENCY = 4;

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

function scanned(endpoints: unknown[], ctx: PageContext, orgId: string | null, project: ProjectRef): ScannedProject {
  const verdicts = classify(endpoints, engineContext(ctx, orgId, project), project);
  const byId = new Map<string, unknown>();
  for (const ep of endpoints) {
    const id = (ep as { id?: unknown }).id;
    if (typeof id === 'string') byId.set(id.toLowerCase(), ep);
  }
  return { inventory: { project, verdicts, endpoints, organizationId: orgId }, endpoints: byId };
}

/** The engine context for a project's remedies (organization id cached). */
export async function contextFor(ctx: PageContext, relay: Relay, project: ProjectRef): Promise<EngineContext> {
  return engineContext(ctx, await organizationId(ctx, relay, new AbortController().signal), project);
}

/** Scans the page's project. */
export async function scanProject(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<ScannedProject> {
  if (!ctx.projectName) throw Object.assign(new Error('This page is not inside a project.'), { kind: 'notFound' });
  const orgId = await organizationId(ctx, relay, signal);
  const endpoints = await clientScanProject({ orgUrl: ctx.apiBase, project: ctx.projectName }, relay, signal);
  return scanned(endpoints, ctx, orgId, { projectId: null, projectName: ctx.projectName });
}

/**
 * Scans every project; `onProject` gets each project as it finishes (so results appear as
 * they come), `onProgress` the count. A project the user can't read is skipped; anything
 * else (signed out, throttled past the client's retries, network) stops the scan.
 */
export async function scanOrganization(
  ctx: PageContext,
  relay: Relay,
  onProject: (p: ScannedProject) => void,
  onProgress: (done: number, total: number, project: string | null) => void,
  signal: AbortSignal,
): Promise<{ skipped: { project: string; reason: string }[] }> {
  const orgId = await organizationId(ctx, relay, signal);
  const projects = await clientListProjects({ orgUrl: ctx.apiBase }, relay, signal);
  const skipped: { project: string; reason: string }[] = [];
  let done = 0;
  let next = 0;
  onProgress(0, projects.length, null);
  const worker = async () => {
    while (next < projects.length) {
      if (signal.aborted) throw Object.assign(new Error('cancelled'), { kind: 'cancelled' });
      const p = projects[next++]!;
      const ref: ProjectRef = { projectId: p.id ?? null, projectName: p.name };
      try {
        const endpoints = await clientScanProject({ orgUrl: ctx.apiBase, project: p.name }, relay, signal);
        if (signal.aborted) throw Object.assign(new Error('cancelled'), { kind: 'cancelled' });
        onProject(scanned(endpoints, ctx, orgId, ref));
      } catch (err) {
        const kind = (err as { kind?: string }).kind;
        if (kind !== 'forbidden' && kind !== 'notFound') throw err;
        skipped.push({ project: p.name, reason: (err as Error).message });
      }
      onProgress(++done, projects.length, p.name);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROJECT_CONCURRENCY, projects.length) }, worker));
  return { skipped };
}
