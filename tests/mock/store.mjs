// The mock's data and the service's rules over it: projects, service endpoints (secrets kept
// server-side), filters, updates, sharing, deletion, and conversion to and from workload
// identity federation (ado-facts §3-§7). No HTTP here: every operation returns
// {status, body} or throws an `AdoError`.
import { federationFor } from './federation.mjs';
import { isoTicks } from './scenario.mjs';
import { executionRecord, jobsOf, timelineOf } from './usage.mjs';

/** An error answered in Azure DevOps's error body shape (ado-facts §10.3). */
export class AdoError extends Error {
  constructor(status, message, typeKey = 'ArgumentException', typeName = 'System.ArgumentException, mscorlib', eventId = 0) {
    super(message);
    this.status = status;
    this.typeKey = typeKey;
    this.typeName = typeName;
    this.eventId = eventId;
  }
  body() {
    return {
      $id: '1',
      innerException: null,
      message: this.message,
      typeName: this.typeName,
      typeKey: this.typeKey,
      errorCode: 0,
      eventId: this.eventId,
    };
  }
}

const SE_EXC = [
  'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
  'ServiceEndpointException',
];
const seError = (status, message) => new AdoError(status, message, SE_EXC[1], SE_EXC[0], 3000);

/** Parameter and data keys whose values are secrets: stored server-side, returned as null. */
export const SECRET_KEYS = new Set([
  'serviceprincipalkey',
  'password',
  'serviceprincipalcertificate',
  'certificate',
  'apitoken',
  'accesstoken',
  'publishprofile',
  'kubeconfig',
  'serviceaccountcertificate',
  'privatekey',
  'idtoken',
  'idsignature',
  'token',
  'clientsecret',
  'secret',
  'securefile',
  'accesstokensecret',
  'refreshtoken',
]);
export const isSecretKey = (k) => SECRET_KEYS.has(String(k).toLowerCase());

const WIF = 'WorkloadIdentityFederation';
const SP = 'ServicePrincipal';
const WIF_KEYS = ['workloadidentityfederationissuer', 'workloadidentityfederationsubject', 'workloadidentityfederationissuertype'];
const lc = (s) => String(s ?? '').toLowerCase();
const clone = (x) => (x === undefined ? undefined : structuredClone(x));

/** Case-insensitive lookup in a string map: [actualKey, value] or undefined. */
export function getCi(map, key) {
  if (!map) return undefined;
  const want = lc(key);
  for (const [k, v] of Object.entries(map)) if (lc(k) === want) return [k, v];
  return undefined;
}
function setCi(map, key, value) {
  const hit = getCi(map, key);
  map[hit ? hit[0] : key] = value;
}
function deleteCi(map, key) {
  const hit = getCi(map, key);
  if (hit) delete map[hit[0]];
}

export class Store {
  /**
   * @param scenario {organization, projects, endpoints(with _mock), tenants}
   * @param knobs shared, mutable knob object of the server (conversion, admin, draftsReady, ...)
   * @param now () => ms, the mock's clock
   */
  constructor(scenario, knobs, now) {
    this.knobs = knobs;
    this.now = now;
    this.organization = { ...scenario.organization };
    this.tenants = scenario.tenants ?? [];
    this.projects = scenario.projects.map((p) => ({ ...p }));
    /** id -> stored endpoint (secret values replaced by null). */
    this.endpoints = new Map();
    /** id -> {paramKey: secret value}: never sent to clients. */
    this.secrets = new Map();
    /** id -> server-side facts: fic, convert, outcome, admin, recovery, pending, busyPolls, lastUsed, draft. */
    this.meta = new Map();
    /** runId -> {job, projectId}: the runs `executionhistory` has shown, for their timelines. */
    this.builds = new Map();
    /** Every conversion or revert attempt: {id, op, status, outcome, message, at, mode}. */
    this.conversions = [];
    this.seq = 0;
    for (const e of scenario.endpoints) this.insert(e);
  }

  insert(input) {
    const e = clone(input);
    const meta = { ...(e._mock ?? {}) };
    delete e._mock;
    if (!e.id) e.id = this.newId();
    e.id = lc(e.id);
    const secrets = {};
    const params = e.authorization?.parameters;
    if (params)
      for (const [k, v] of Object.entries(params))
        if (isSecretKey(k) && v != null) {
          secrets[k] = v;
          params[k] = null;
        }
    if (e.data)
      for (const [k, v] of Object.entries(e.data))
        if (isSecretKey(k) && v != null) {
          secrets[k] = v;
          e.data[k] = null;
        }
    if (meta.recovery) meta.recovery = clone(meta.recovery);
    this.endpoints.set(e.id, e);
    this.byProject = null;
    this.secrets.set(e.id, secrets);
    this.meta.set(e.id, meta);
    return e;
  }

  newId() {
    const n = (++this.seq).toString(16).padStart(12, '0');
    return `0000f00d-0000-4000-8000-${n}`;
  }

  // ---- projects -------------------------------------------------------------------------
  project(idOrName) {
    const key = lc(decodeURIComponentSafe(idOrName));
    return this.projects.find((p) => lc(p.id) === key || lc(p.name) === key);
  }
  requireProject(idOrName) {
    const p = this.project(idOrName);
    if (!p) {
      throw new AdoError(
        404,
        `TF200016: The following project does not exist: ${decodeURIComponentSafe(idOrName)}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
        'ProjectDoesNotExistException',
        'Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistException, Microsoft.TeamFoundation.Core.WebApi',
      );
    }
    return p;
  }
  projectJson(p, orgUrl) {
    const out = { id: p.id, name: p.name };
    if (p.description !== undefined) out.description = p.description;
    Object.assign(out, {
      url: `${orgUrl}/_apis/projects/${p.id}`,
      state: p.state ?? 'wellFormed',
      revision: p.revision ?? 1,
      visibility: p.visibility ?? 'private',
      lastUpdateTime: p.lastUpdateTime ?? '2026-01-01T00:00:00.000Z',
    });
    return out;
  }

  // ---- endpoints: views ----------------------------------------------------------------
  /** Endpoints referenced by a project. */
  inProject(projectId) {
    // An index by project id, rebuilt after any change of membership (add, share, unshare,
    // delete), so that a list call costs its project's size, not the organization's: the
    // scan benchmark measures the client, so 1,000 projects x 10 must not make the mock the
    // bottleneck. Order stays the endpoints' insertion order.
    if (!this.byProject) {
      this.byProject = new Map();
      for (const e of this.endpoints.values())
        for (const r of e.serviceEndpointProjectReferences ?? []) {
          const key = lc(r.projectReference?.id);
          const list = this.byProject.get(key) ?? [];
          if (!list.includes(e)) list.push(e);
          this.byProject.set(key, list);
        }
    }
    return [...(this.byProject.get(lc(projectId)) ?? [])];
  }
  isDraft(e) {
    return (
      lc(getCi(e.data, 'isDraft')?.[1]) === 'true' &&
      e.authorization?.scheme === WIF &&
      lc(getCi(e.data, 'creationMode')?.[1]) !== 'automatic'
    );
  }
  isAdmin(id) {
    const m = this.meta.get(id);
    if (m?.admin === false) return false;
    if (this.knobs.admin === false) return false;
    if (Array.isArray(this.knobs.admin)) return this.knobs.admin.map(lc).includes(id);
    return true;
  }

  /** The endpoint as a client sees it (from a project, if given): secrets null, `name` per project. */
  view(e, projectId) {
    const out = clone(e);
    if (projectId) {
      const ref = out.serviceEndpointProjectReferences?.find((r) => lc(r.projectReference?.id) === lc(projectId));
      if (ref) {
        out.name = ref.name ?? out.name;
        out.description = ref.description ?? out.description;
      }
    }
    out.isShared = (out.serviceEndpointProjectReferences?.length ?? 0) > 1 || !!e.isShared;
    if (out.isReady === undefined) out.isReady = true;
    if (this.isDraft(e) && this.knobs.draftsReady === false) out.isReady = false;
    if (out.isOutdated === undefined) out.isOutdated = false;
    if (!out.isDisabled) delete out.isDisabled;
    if (out.operationStatus === undefined) out.operationStatus = null;
    const leak = this.knobs.leakSecrets;
    if (leak === true || (Array.isArray(leak) && leak.map(lc).includes(lc(e.id)))) {
      // A service bug the client must survive: the stored secret values, not null.
      for (const [k, v] of Object.entries(this.secrets.get(e.id) ?? {})) {
        if (out.authorization?.parameters && k in out.authorization.parameters) out.authorization.parameters[k] = v;
        else if (out.data && k in out.data) out.data[k] = v;
      }
    }
    return out;
  }

  /** Advances time- or poll-driven state of one endpoint (a 202 conversion, a creation in progress). */
  settle(id, { poll = false } = {}) {
    const m = this.meta.get(id);
    const e = this.endpoints.get(id);
    if (!m || !e) return;
    if (m.pending) {
      if (poll) m.pending.pollsLeft = (m.pending.pollsLeft ?? 0) - 1;
      const due = (m.pending.pollsLeft ?? 0) <= 0 || (m.pending.readyAt != null && this.now() >= m.pending.readyAt);
      if (due) {
        const { outcome } = m.pending;
        m.pending = null;
        if (outcome === 'Failed') e.operationStatus = { state: 'Failed', statusMessage: 'converting_scheme_failed' };
        else this.applyConversion(id);
      }
    } else if (m.busyPolls != null) {
      if (poll) m.busyPolls -= 1;
      if (m.busyPolls <= 0) {
        m.busyPolls = null;
        e.operationStatus = { state: 'Ready', statusMessage: '' };
        e.isReady = true;
      }
    }
  }

  list(projectRef, q) {
    const project = this.requireProject(projectRef);
    const get = (name) => q.get(name);
    const csv = (name) =>
      get(name)
        ? get(name)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
    const types = csv('type')?.map(lc);
    const schemes = csv('authSchemes')?.map(lc);
    const ids = csv('endpointIds')?.map(lc);
    const names = csv('endpointNames')?.map(lc);
    const owner = get('owner') ? lc(get('owner')) : null;
    const includeFailed = lc(get('includeFailed')) === 'true';
    const action = parseActionFilter(get('actionFilter'));
    let list = this.inProject(project.id);
    if (ids) for (const e of list) if (ids.includes(e.id)) this.settle(e.id, { poll: true });
    list = list.map((e) => this.view(e, project.id));
    const out = list.filter((e) => {
      if (types && !types.includes(lc(e.type))) return false;
      if (schemes && !schemes.includes(lc(e.authorization?.scheme))) return false;
      if (ids && !ids.includes(e.id)) return false;
      if (names && !names.includes(lc(e.name))) return false;
      if (owner && lc(e.owner ?? 'library') !== owner) return false;
      if (!includeFailed && (e.operationStatus?.state === 'Failed' || (e.isReady === false && !this.isDraft(e)))) return false;
      if (action === 'use' && e.isDisabled) return false;
      if (action === 'manage' && !this.isAdmin(e.id)) return false;
      return true;
    });
    return { count: out.length, value: out };
  }

  get(projectRef, id, q) {
    const project = this.requireProject(projectRef);
    parseActionFilter(q.get('actionFilter'));
    const e = this.endpoints.get(lc(id));
    const visible = e && this.inProject(project.id).includes(e);
    if (!visible) {
      if (this.knobs.unknownIdGet === '404')
        throw seError(404, `Service connection with id ${id} does not exist or you do not have permissions on it.`);
      return { status: 200, body: null };
    }
    this.settle(e.id, { poll: true });
    return { status: 200, body: this.view(e, project.id) };
  }

  // ---- endpoints: changes --------------------------------------------------------------
  create(body, projectRef) {
    if (!body || typeof body !== 'object')
      throw new AdoError(
        400,
        'Value cannot be null.\r\nParameter name: endpoint',
        'ArgumentNullException',
        'System.ArgumentNullException, mscorlib',
      );
    const refs = body.serviceEndpointProjectReferences;
    if (!Array.isArray(refs) || refs.length === 0) {
      if (!projectRef) throw new AdoError(400, 'Project reference must be set in the endpoint.');
      const p = this.requireProject(projectRef);
      body.serviceEndpointProjectReferences = [
        { projectReference: { id: p.id, name: p.name }, name: body.name, description: body.description ?? '' },
      ];
    }
    for (const r of body.serviceEndpointProjectReferences) {
      const p = this.project(r.projectReference?.id ?? r.projectReference?.name ?? '');
      if (!p) throw new AdoError(400, `Project '${r.projectReference?.id ?? r.projectReference?.name}' does not exist.`);
      r.projectReference = { id: p.id, name: p.name };
      r.name ??= body.name;
      r.description ??= body.description ?? '';
    }
    const e = {
      ...body,
      id: this.newId(),
      createdBy: this.knobs.createdBy,
      isReady: body.isReady ?? true,
      owner: body.owner ?? 'library',
      operationStatus: body.operationStatus ?? null,
    };
    if (e.data && getCi(e.data, 'isDraft') && typeof getCi(e.data, 'isDraft')[1] === 'boolean')
      setCi(e.data, 'isDraft', getCi(e.data, 'isDraft')[1] ? 'True' : 'False');
    const stored = this.insert(e);
    return { status: 200, body: this.view(stored, stored.serviceEndpointProjectReferences[0].projectReference.id) };
  }

  /** PUT {id}: plain update, or `operation=ConvertAuthenticationScheme` (convert or revert). */
  update(id, body, q, projectRef) {
    const op = q.get('operation');
    if (
      op &&
      !['create', 'update', 'delete', 'assignpermissions', 'none', 'changeproperties', 'convertauthenticationscheme'].includes(lc(op))
    ) {
      throw seError(400, `Operation '${op}' is invalid. Allowed operation values are Create, Update, Delete and AssignPermissions.`);
    }
    const project = projectRef ? this.requireProject(projectRef) : null;
    const e = this.endpoints.get(lc(id));
    if (!e || (project && !this.inProject(project.id).includes(e)))
      throw seError(404, `Service connection with id ${id} does not exist or you do not have permissions on it.`);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new AdoError(
        400,
        'Value cannot be null.\r\nParameter name: endpoint',
        'ArgumentNullException',
        'System.ArgumentNullException, mscorlib',
      );
    if (lc(op) === 'convertauthenticationscheme') return this.convert(e, body, project);
    if (!this.isAdmin(e.id))
      throw seError(
        403,
        'You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.',
      );
    this.applyUpdate(e, body, project);
    return { status: 200, body: this.view(e, project?.id) };
  }

  applyUpdate(e, body, project) {
    const secrets = this.secrets.get(e.id);
    for (const key of ['url', 'type', 'owner', 'isDisabled', 'isReady']) if (body[key] !== undefined) e[key] = body[key];
    if (body.data) {
      const data = clone(body.data);
      for (const [k, v] of Object.entries(data))
        if (isSecretKey(k) && v != null) {
          secrets[k] = v;
          data[k] = null;
        }
      e.data = data;
    }
    if (body.authorization) {
      const params = clone(body.authorization.parameters ?? {});
      for (const [k, v] of Object.entries(params)) {
        if (!isSecretKey(k)) continue;
        if (v != null) {
          setCi(secrets, k, v);
          params[k] = null;
        }
      }
      // Secrets missing from the new parameters are forgotten; null ones keep the stored value.
      for (const k of Object.keys(secrets)) if (!getCi(params, k) && !getCi(e.data, k)) delete secrets[k];
      e.authorization = { parameters: params, scheme: body.authorization.scheme ?? e.authorization?.scheme };
    }
    const refs = e.serviceEndpointProjectReferences;
    const home = project ? refs.find((r) => lc(r.projectReference.id) === lc(project.id)) : refs[0];
    if (body.name !== undefined && home) home.name = body.name;
    if (body.description !== undefined && home) home.description = body.description;
    if (home === refs[0]) {
      if (body.name !== undefined) e.name = body.name;
      if (body.description !== undefined) e.description = body.description;
    }
  }

  updateMany(list) {
    if (!Array.isArray(list))
      throw new AdoError(
        400,
        'Value cannot be null.\r\nParameter name: endpoints',
        'ArgumentNullException',
        'System.ArgumentNullException, mscorlib',
      );
    const out = list.map((b) => this.update(b?.id ?? '', b, new URLSearchParams(), null).body);
    return { status: 200, body: { count: out.length, value: out } };
  }

  share(id, refs) {
    const e = this.endpoints.get(lc(id));
    if (!e) throw seError(404, `Service connection with id ${id} does not exist or you do not have permissions on it.`);
    if (!Array.isArray(refs))
      throw new AdoError(
        400,
        'Value cannot be null.\r\nParameter name: endpointProjectReferences',
        'ArgumentNullException',
        'System.ArgumentNullException, mscorlib',
      );
    if (!this.isAdmin(e.id))
      throw seError(
        403,
        'You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.',
      );
    for (const r of refs) {
      const p = this.project(r?.projectReference?.id ?? r?.projectReference?.name ?? '');
      if (!p) throw new AdoError(400, `Project '${r?.projectReference?.id ?? r?.projectReference?.name}' does not exist.`);
      if (e.serviceEndpointProjectReferences.some((x) => lc(x.projectReference.id) === lc(p.id))) continue;
      e.serviceEndpointProjectReferences.push({
        projectReference: { id: p.id, name: p.name },
        name: r.name ?? e.name,
        description: r.description ?? '',
      });
    }
    e.isShared = e.serviceEndpointProjectReferences.length > 1;
    this.byProject = null;
    return { status: 204, body: undefined };
  }

  /** DELETE: unshare from the given projects; from the home project (or the last one) it deletes. */
  remove(id, q) {
    const ids = (q.get('projectIds') ?? '')
      .split(',')
      .map((s) => lc(s.trim()))
      .filter(Boolean);
    if (ids.length === 0)
      throw new AdoError(400, 'The value for projectIds parameter is not valid. Please specify at least one project id.');
    const e = this.endpoints.get(lc(id));
    if (!e) return { status: 204, body: undefined };
    if (!this.isAdmin(e.id))
      throw seError(
        403,
        'You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.',
      );
    const homeId = lc(e.serviceEndpointProjectReferences[0]?.projectReference.id);
    const resolved = ids.map((x) => lc(this.project(x)?.id ?? x));
    if (resolved.includes(homeId)) {
      this.endpoints.delete(e.id);
      this.secrets.delete(e.id);
    } else {
      e.serviceEndpointProjectReferences = e.serviceEndpointProjectReferences.filter((r) => !resolved.includes(lc(r.projectReference.id)));
      e.isShared = e.serviceEndpointProjectReferences.length > 1;
      if (e.serviceEndpointProjectReferences.length === 0) this.endpoints.delete(e.id);
    }
    this.byProject = null;
    return { status: 204, body: undefined };
  }

  /**
   * `executionhistory`: the jobs that used a connection, newest first, `top` of them (the
   * official example's shape; see usage.mjs). `meta.usage` '401' | '403' | '404' plays a user who
   * may not read this connection's history.
   */
  executionHistory(projectRef, id, q, orgUrl) {
    const project = this.requireProject(projectRef);
    const e = this.endpoints.get(lc(id));
    const meta = e ? this.meta.get(e.id) : null;
    if (meta?.usage === '401')
      throw new AdoError(
        401,
        `TF400813: The user '${this.organization.name}\\mock' is not authorized to access this resource.`,
        'UnauthorizedRequestException',
        'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
      );
    if (meta?.usage === '403')
      throw seError(403, 'Access denied. You need Use or Administrator permissions on this service connection to view its usage history.');
    if (!e || meta?.usage === '404' || !this.inProject(project.id).includes(e))
      throw seError(404, `Service connection with id ${id} does not exist or you do not have permissions on it.`);
    const topQ = q.get('top');
    if (topQ != null && !/^\d+$/.test(topQ)) throw new AdoError(400, `The value '${topQ}' is not valid for parameter 'top'.`);
    const top = topQ == null ? 50 : Number(topQ);
    const jobs = jobsOf(e, meta).slice(0, top);
    for (const job of jobs) this.builds.set(job.runId, { job, projectId: project.id });
    const value = jobs.map((job) => executionRecord(e, job, { orgUrl, projectId: project.id, collectionId: this.organization.id }));
    return { status: 200, body: { count: value.length, value } };
  }

  /** A build's timeline (Build 7.1 `Timeline`): runs seen in some connection's history. */
  buildTimeline(projectRef, buildId, orgUrl) {
    const project = this.requireProject(projectRef);
    const runId = Number(buildId);
    let found = this.builds.get(runId);
    if (!found) {
      for (const e of this.inProject(project.id)) {
        const job = jobsOf(e, this.meta.get(e.id)).find((j) => j.runId === runId);
        if (job) found = { job, projectId: project.id };
      }
    }
    if (found?.job.planType !== 'Build' || lc(found.projectId) !== lc(project.id))
      throw new AdoError(
        404,
        `The requested build ${buildId} could not be found.`,
        'BuildNotFoundException',
        'Microsoft.TeamFoundation.Build.WebApi.BuildNotFoundException, Microsoft.TeamFoundation.Build2.WebApi',
      );
    return { status: 200, body: timelineOf(found.job, { orgUrl, projectId: project.id }) };
  }

  // ---- conversion ----------------------------------------------------------------------
  record(entry) {
    const full = { at: this.now(), ...entry };
    this.conversions.push(full);
    return full;
  }

  convert(e, body, project) {
    const target = body.authorization?.scheme;
    const op = lc(target) === lc(SP) ? 'revert' : 'convert';
    try {
      const res = this.convertChecked(e, body, project, op);
      this.record({ id: e.id, op, status: res.status, outcome: res.outcome, message: '', mode: res.mode });
      return { status: res.status, body: res.body };
    } catch (err) {
      if (err instanceof AdoError) this.record({ id: e.id, op, status: err.status, outcome: 'rejected', message: err.message, mode: null });
      throw err;
    }
  }

  convertChecked(e, body, project, op) {
    if (!this.isAdmin(e.id))
      throw seError(
        403,
        'You do not have permissions to perform this operation on the service connection. You need to be an Administrator on this service connection.',
      );
    if (!['azurerm', 'dockerregistry'].includes(lc(e.type)))
      throw seError(400, `Operation 'ConvertAuthenticationScheme' is not supported for service connection type '${e.type}'.`);
    const busy = this.meta.get(e.id);
    if (busy?.busyOnPut > 0) {
      // Another operation starts on it just as the scheme change arrives (after any read).
      busy.busyOnPut -= 1;
      busy.busyPolls = 1;
      e.operationStatus = { state: 'InProgress', statusMessage: 'updating_endpoint' };
    }
    const refs = body.serviceEndpointProjectReferences;
    if (!Array.isArray(refs) || refs.length === 0 || !refs.some((r) => r?.projectReference?.id || r?.projectReference?.name)) {
      throw seError(400, 'Project reference must be set in the updated endpoint.');
    }
    const status = e.operationStatus;
    const from = e.authorization?.scheme;
    const to = body.authorization?.scheme;
    if (status?.state === 'InProgress') {
      if (status.statusMessage === 'converting_scheme' && lc(to) === lc(WIF)) {
        return { status: 202, body: this.view(e, project?.id), outcome: 'already-converting', mode: 'B' };
      }
      throw seError(
        400,
        `Cannot perform this operation since another operation is already in progress with current status '${status.statusMessage || status.state}'. Try again later.`,
      );
    }
    const upgrade = lc(from) === lc(SP) && lc(to) === lc(WIF);
    const downgrade = lc(from) === lc(WIF) && lc(to) === lc(SP);
    if (!upgrade && !downgrade) {
      throw seError(
        400,
        `Converting endpoint type ${e.type} scheme from ${from} to ${to} is neither an upgrade or a downgrade and is not supported.`,
      );
    }
    const mismatch = this.findMismatch(e, body, project, op);
    if (mismatch)
      throw seError(
        400,
        `Properties cannot be changed during service connection upgrade. Property ${mismatch} does not match current endpoint value. Set it to the original value or do not provide at all.`,
      );
    if (downgrade) return this.revert(e, project);
    const meta = this.meta.get(e.id);
    const mode = this.modeFor(e);
    if (mode === 'C') {
      throw seError(
        400,
        'The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.',
      );
    }
    if (mode === 'B') {
      const k = this.knobs.conversion;
      const outcome = meta.outcome ?? k.outcome ?? 'Ready';
      meta.pending = {
        outcome,
        pollsLeft: meta.pollsToSettle ?? k.pollsToSettle ?? 2,
        readyAt: k.settleMs != null ? this.now() + k.settleMs : null,
      };
      e.operationStatus = { state: 'InProgress', statusMessage: 'converting_scheme' };
      return { status: 202, body: this.view(e, project?.id), outcome: 'converting', mode };
    }
    this.applyConversion(e.id);
    return { status: 200, body: this.view(e, project?.id), outcome: 'converted', mode };
  }

  /** 'A' (200 now), 'B' (202 then Ready/Failed) or 'C' (400): per endpoint, global knob, or from the data. */
  modeFor(e) {
    const meta = this.meta.get(e.id);
    const knob = this.knobs.conversion.mode;
    if (meta.convert) return meta.convert;
    if (knob && knob !== 'auto') return knob;
    if (lc(getCi(e.data, 'creationMode')?.[1]) === 'automatic') return 'B';
    return meta.fic ? 'A' : 'C';
  }

  applyConversion(id) {
    const e = this.endpoints.get(id);
    const meta = this.meta.get(id);
    const secrets = this.secrets.get(id);
    const params = e.authorization.parameters ?? {};
    const saved = { scheme: e.authorization.scheme, parameters: clone(params) };
    for (const [k, v] of Object.entries(secrets)) saved.parameters[k] = v;
    const home = e.serviceEndpointProjectReferences[0];
    const tenantId = getCi(params, 'tenantid')?.[1] ?? this.tenants[0] ?? '00000000-0000-0000-0000-000000000000';
    const f = federationFor(meta.issuerFormat ?? this.knobs.conversion.issuer ?? 'entra', {
      org: this.organization.name,
      orgId: this.organization.id,
      tenantId,
      project: home.projectReference.name,
      name: home.name,
      endpointId: e.id,
    });
    const next = {};
    for (const key of ['tenantid', 'tenantId', 'serviceprincipalid', 'scope', 'loginServer', 'role']) {
      const hit = getCi(params, key);
      if (hit && !getCi(next, key)) next[hit[0]] = hit[1];
    }
    next.workloadIdentityFederationIssuer = f.issuer;
    next.workloadIdentityFederationSubject = f.subject;
    if (f.issuerType) next.workloadIdentityFederationIssuerType = f.issuerType;
    e.authorization = { parameters: next, scheme: WIF };
    this.secrets.set(id, {});
    meta.recovery = saved;
    e.data ??= {};
    setCi(e.data, 'revertSchemeDeadline', isoTicks(this.now() + (this.knobs.revertWindowMs ?? 7 * 86_400_000)));
    e.operationStatus = { state: 'Ready', statusMessage: '' };
    e.isReady = true;
    meta.conversions = (meta.conversions ?? 0) + 1;
  }

  revert(e, project) {
    const meta = this.meta.get(e.id);
    const deadline = Date.parse(getCi(e.data, 'revertSchemeDeadline')?.[1] ?? '');
    if (!meta.recovery || !(deadline > this.now())) {
      throw seError(
        400,
        `Endpoint scheme could not be downgraded from ${e.authorization.scheme} to ${SP} as no recovery data exist for this endpoint.`,
      );
    }
    const params = clone(meta.recovery.parameters);
    const secrets = {};
    for (const [k, v] of Object.entries(params))
      if (isSecretKey(k) && v != null) {
        secrets[k] = v;
        params[k] = null;
      }
    for (const k of WIF_KEYS) deleteCi(params, k);
    e.authorization = { parameters: params, scheme: meta.recovery.scheme ?? SP };
    this.secrets.set(e.id, secrets);
    meta.recovery = null;
    deleteCi(e.data, 'revertSchemeDeadline');
    e.operationStatus = { state: 'Ready', statusMessage: '' };
    meta.reverts = (meta.reverts ?? 0) + 1;
    return { status: 200, body: this.view(e, project?.id), outcome: 'reverted', mode: 'A' };
  }

  /**
   * The not-modified check (ado-facts §4.2 rule 3): every property present (not null) in the
   * body must equal the stored one. Returns the first differing property's name, or null.
   */
  findMismatch(e, body, project, op) {
    const stored = this.view(e, project?.id);
    const same = (a, b) => (typeof a === 'string' && typeof b === 'string' ? a === b : JSON.stringify(a) === JSON.stringify(b));
    const names = new Set([stored.name, e.name, ...e.serviceEndpointProjectReferences.map((r) => r.name)]);
    if (body.id != null && lc(body.id) !== e.id) return 'id';
    if (body.name != null && !names.has(body.name)) return 'name';
    const descs = new Set([
      stored.description ?? '',
      e.description ?? '',
      ...e.serviceEndpointProjectReferences.map((r) => r.description ?? ''),
    ]);
    if (body.description != null && !descs.has(body.description)) return 'description';
    if (body.createdBy?.id != null && lc(body.createdBy.id) !== lc(e.createdBy?.id)) return 'createdBy';
    if (body.groupScopeId != null && !same(body.groupScopeId, e.groupScopeId)) return 'groupScopeId';
    if (body.owner != null && lc(body.owner) !== lc(e.owner ?? 'library')) return 'owner';
    if (body.url != null && body.url !== e.url) return 'url';
    for (const r of body.serviceEndpointProjectReferences ?? []) {
      const pid = lc(r?.projectReference?.id ?? this.project(r?.projectReference?.name ?? '')?.id);
      const s = e.serviceEndpointProjectReferences.find((x) => lc(x.projectReference.id) === pid);
      if (!s) return 'serviceEndpointProjectReferences';
      if (r.name != null && r.name !== s.name) return 'serviceEndpointProjectReferences.name';
      if (r.description != null && r.description !== (s.description ?? '')) return 'serviceEndpointProjectReferences.description';
      if (r.projectReference?.name != null && r.projectReference.name !== s.projectReference.name)
        return 'serviceEndpointProjectReferences.projectReference.name';
    }
    const secrets = this.secrets.get(e.id) ?? {};
    for (const [k, v] of Object.entries(body.authorization?.parameters ?? {})) {
      if (v == null) continue;
      const have = getCi(e.authorization?.parameters, k);
      const secret = getCi(secrets, k);
      const value = secret ? secret[1] : have?.[1];
      if (value === undefined || !same(v, value)) return k;
    }
    for (const [k, v] of Object.entries(body.data ?? {})) {
      if (v == null) continue;
      if (lc(k) === 'revertschemedeadline' && op === 'convert') return k;
      const have = getCi(e.data, k);
      if (!have || !same(v, have[1])) return k;
    }
    return null;
  }
}

/** `actionFilter`: names (specs) or numbers (node-api: None=0, Manage=2, Use=16, View=32). */
export function parseActionFilter(v) {
  if (v == null || v === '') return null;
  const map = { none: 'none', 0: 'none', manage: 'manage', 2: 'manage', use: 'use', 16: 'use', view: 'view', 32: 'view' };
  const hit = map[lc(v)];
  if (!hit) throw new AdoError(400, `The value '${v}' is not valid for parameter 'actionFilter'.`);
  return hit;
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
