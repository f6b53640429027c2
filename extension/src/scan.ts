// Scans (one project, or every project of the organization) run in the service worker with
// the engine; every HTTP request goes through a relay to the tab's content script, which
// makes it from the page's origin with the page's session.
import {
  classify, clientOrganizationId, clientScanOrganization, clientScanProject, hasClient, type EngineContext, type Relay,
} from './engine.js';
import type { PageContext } from './messages.js';
import type { ProjectInventory, ProjectRef } from './model.js';

/** One project's raw endpoints (kept for remedies) and verdicts. */
export interface ScannedProject {
  inventory: ProjectInventory;
  endpoints: Map<string, unknown>;
}

const API = '7.1';

/** An Error with the client's `kind`, so every layer reports it the same way. */
function fail(kind: string, message: string, extra: { retryAfter?: number; status?: number } = {}): Error {
  return Object.assign(new Error(message), { kind, ...extra });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(fail('cancelled', 'cancelled'));
    }, { once: true });
  });
}

/**
 * GET through the relay with the auth, throttling and error rules of ado-facts §11-13.
 * Used only until the wasm client (which owns these rules) is available.
 */
async function getJson(relay: Relay, url: string, signal: AbortSignal): Promise<{ body: unknown; headers: Record<string, string> }> {
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) throw fail('cancelled', 'cancelled');
    const res = await relay({ method: 'GET', url, headers: { accept: `application/json;api-version=${API}` }, body: null });
    const type = res.headers['content-type'] ?? '';
    if (res.status === 401 || res.status === 203 || (res.status >= 300 && res.status < 400) || (res.status < 300 && type.includes('text/html'))) {
      throw fail('signedOut', 'You are signed out of Azure DevOps.', { status: res.status });
    }
    if (res.status === 429) {
      const wait = Number(res.headers['retry-after'] ?? '5');
      if (attempt < 3 && wait <= 10) {
        await sleep(Math.max(wait, 0.2) * 1000, signal);
        continue;
      }
      throw fail('throttled', 'Azure DevOps is rate-limiting requests (TF400733).', { retryAfter: wait, status: 429 });
    }
    if (res.status === 403) throw fail('forbidden', 'You do not have permission to read these service connections.', { status: 403 });
    if (res.status === 404) throw fail('notFound', 'Not found.', { status: 404 });
    if (res.status >= 500 || res.status === 0) {
      if (attempt < 1 && res.status !== 0) {
        await sleep(500, signal);
        continue;
      }
      throw fail(res.status === 0 ? 'network' : 'server', `Azure DevOps answered ${res.status}.`, { status: res.status });
    }
    if (res.status >= 400) {
      let message = `Azure DevOps answered ${res.status}.`;
      try {
        message = String((JSON.parse(res.body) as { message?: string }).message ?? message);
      } catch { /* not JSON */ }
      throw fail('server', message, { status: res.status });
    }
    try {
      return { body: JSON.parse(res.body.replace(/^\uFEFF/, '')) as unknown, headers: res.headers };
    } catch {
      throw fail('server', 'Azure DevOps answered with something that is not JSON.', { status: res.status });
    }
  }
}

const orgIds = new Map<string, string | null>();

/** The organization id (connectionData `instanceId`), cached per organization. */
async function organizationId(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<string | null> {
  const key = ctx.apiBase.toLowerCase();
  if (orgIds.has(key)) return orgIds.get(key) ?? null;
  let id: string | null = null;
  try {
    id = hasClient()
      ? await clientOrganizationId({ organizationUrl: ctx.apiBase, organizationName: ctx.organizationName }, relay)
      : (((await getJson(relay, `${ctx.apiBase}/_apis/connectionData?api-version=7.1-preview.1`, signal)).body as { instanceId?: string })
          .instanceId ?? null);
  } catch (err) {
    // Without the id the engine still classifies; it only can't compare the expected issuer.
    if ((err as { kind?: string }).kind === 'signedOut') throw err;
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

/** Turns what the client returned for one project into raw endpoints. */
function endpointsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>;
    for (const key of ['endpoints', 'value']) if (Array.isArray(r[key])) return r[key] as unknown[];
  }
  return [];
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

async function listEndpoints(ctx: PageContext, relay: Relay, project: string, signal: AbortSignal): Promise<unknown[]> {
  if (hasClient()) {
    return endpointsOf(await clientScanProject({ organizationUrl: ctx.apiBase, organizationName: ctx.organizationName, project }, relay));
  }
  const out: unknown[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ includeFailed: 'true', 'api-version': API });
    if (token) q.set('continuationToken', token);
    const { body, headers } = await getJson(relay, `${ctx.apiBase}/${encodeURIComponent(project)}/_apis/serviceendpoint/endpoints?${q}`, signal);
    out.push(...endpointsOf(body));
    token = headers['x-ms-continuationtoken'] || undefined;
  } while (token);
  return out;
}

/** The engine context for a project's remedies (organization id cached). */
export async function contextFor(ctx: PageContext, relay: Relay, project: ProjectRef): Promise<EngineContext> {
  return engineContext(ctx, await organizationId(ctx, relay, new AbortController().signal), project);
}

/** Scans the page's project. */
export async function scanProject(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<ScannedProject> {
  if (!ctx.projectName) throw fail('notFound', 'This page is not inside a project.');
  const orgId = await organizationId(ctx, relay, signal);
  const endpoints = await listEndpoints(ctx, relay, ctx.projectName, signal);
  return scanned(endpoints, ctx, orgId, { projectId: null, projectName: ctx.projectName });
}

/** Every project of the organization (paged with `x-ms-continuationtoken`). */
async function listProjects(ctx: PageContext, relay: Relay, signal: AbortSignal): Promise<ProjectRef[]> {
  const out: ProjectRef[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ $top: '100', 'api-version': API });
    if (token) q.set('continuationToken', token);
    const { body, headers } = await getJson(relay, `${ctx.apiBase}/_apis/projects?${q}`, signal);
    for (const p of endpointsOf(body) as { id?: string; name?: string }[]) {
      if (typeof p.name === 'string') out.push({ projectId: p.id ?? null, projectName: p.name });
    }
    token = headers['x-ms-continuationtoken'] || undefined;
  } while (token);
  return out;
}

/**
 * Scans every project; `onProject` gets each project as it finishes, `onProgress` the
 * count. Bounded concurrency; stops at the first failure that isn't the project's own.
 */
export async function scanOrganization(
  ctx: PageContext,
  relay: Relay,
  onProject: (p: ScannedProject) => void,
  onProgress: (done: number, total: number, project: string | null) => void,
  signal: AbortSignal,
): Promise<void> {
  const orgId = await organizationId(ctx, relay, signal);
  if (hasClient()) {
    await clientScanOrganization(
      { organizationUrl: ctx.apiBase, organizationName: ctx.organizationName },
      relay,
      (event: unknown) => {
        const e = (event ?? {}) as Record<string, unknown>;
        const project = (e.project ?? null) as { id?: string; name?: string } | string | null;
        const ref: ProjectRef =
          typeof project === 'string' ? { projectId: null, projectName: project } : { projectId: project?.id ?? null, projectName: project?.name ?? null };
        const eps = endpointsOf(e.endpoints ?? e.result ?? null);
        if (ref.projectName && (e.endpoints || e.result)) onProject(scanned(eps, ctx, orgId, ref));
        onProgress(Number(e.done ?? 0), Number(e.total ?? 0), ref.projectName);
      },
      signal,
    );
    return;
  }
  const projects = await listProjects(ctx, relay, signal);
  let done = 0;
  let next = 0;
  onProgress(0, projects.length, null);
  const worker = async () => {
    while (next < projects.length) {
      if (signal.aborted) throw fail('cancelled', 'cancelled');
      const project = projects[next++]!;
      const eps = await listEndpoints(ctx, relay, project.projectName!, signal);
      if (signal.aborted) throw fail('cancelled', 'cancelled');
      onProject(scanned(eps, ctx, orgId, project));
      onProgress(++done, projects.length, project.projectName);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, projects.length) }, worker));
}
