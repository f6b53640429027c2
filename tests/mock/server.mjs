// The mock Azure DevOps: an HTTPS server that answers as dev.azure.com and {org}.visualstudio.com
// (routed by the Host header; 127.0.0.1 and localhost answer like dev.azure.com) for everything
// Federate touches: service endpoints, projects, connectionData, the sign-in flow, the service
// connections page; with per-user throttling, latency and fault injection. See README.md.
//
//   import { startMock } from './server.mjs';
//   const mock = await startMock({ seed: 1, projects: 3, connectionsPerProject: 12 });
//
// CLI: node tests/mock/server.mjs [--port 8443] [--projects 5] [--connections 12] [--seed 1]
//      [--demo] [--org contoso] [--latency 0] [--throttle] [--auto-sign-in] [--layout rowLink]
import { createServer } from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureCerts } from './certs.mjs';
import { entraIssuer, entraSubject } from './federation.mjs';
import { createdBy, generateScenario, rng, scenarioDemo } from './scenario.mjs';
import { AdoError, Store, isSecretKey } from './store.mjs';
import { renderPage, renderSignIn } from './page.mjs';

export { generateScenario, scenarioDemo } from './scenario.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const COOKIE = 'UserAuthentication';
const LATEST = '7.2';
const STATIC = {
  'adminservices.js': ['text/javascript; charset=utf-8', join(here, 'static', 'adminservices.js')],
  'adminservices.css': ['text/css; charset=utf-8', join(here, 'static', 'adminservices.css')],
};
const AREA_IDS = {
  core: '79134c72-4a58-4b42-976c-04e7115f32bf',
  serviceendpoint: '1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7',
  location: '00d9565f-ed9c-4a06-9a50-00e7896ccab4',
  build: '965220d5-5bb9-42cf-8d67-9b146df2a5a4',
};

/** Resource locations the mock serves (for OPTIONS /_apis/{area}, as azure-devops-node-api asks). */
const LOCATIONS = {
  serviceendpoint: [
    ['e85f1c62-adfc-4b74-b618-11a150fb195e', 'endpoints', '{project}/_apis/{area}/{resource}/{endpointId}', 4],
    ['14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0', 'endpoints', '_apis/{area}/{resource}/{endpointId}', 4],
    ['10a16738-9299-4cd1-9a81-fd23ad6200d0', 'executionhistory', '{project}/_apis/{area}/{endpointId}/{resource}', 1],
    ['5a7938a4-655e-486c-b562-b78c54a7e87b', 'types', '_apis/{area}/{resource}', 1],
  ],
  core: [['603fe2ac-9723-48b9-88ad-09305aa6c6e1', 'projects', '_apis/{resource}/{*projectId}', 4]],
  build: [['8baac422-4c6e-4de5-8532-db96d92acffa', 'timeline', '{project}/_apis/{area}/builds/{buildId}/{resource}/{timelineId}', 3]],
  location: [
    ['00d9565f-ed9c-4a06-9a50-00e7896ccab4', 'connectionData', '_apis/{resource}', 1],
    ['e81700f7-3be2-46de-8624-2eb35882fcaa', 'ResourceAreas', '_apis/{resource}/{areaId}', 1],
  ],
};

const DEFAULT_THROTTLE = {
  limit: 200,
  windowMs: 300_000,
  blockAt: null,
  delayMs: 200,
  cost: 1,
  warnRatio: 0.5,
  resource: 'ServiceEndpoints',
};

/**
 * Starts the mock. Options (all optional): port (0 = any), org, seed, projects,
 * connectionsPerProject, scenario (explicit data, see scenario.mjs), latencyMs (number or
 * [min, max]), throttle (false | true | {limit, windowMs, delayAfter, blockAt, delayMs, cost,
 * warnRatio, resource}), autoSignIn, signedOutAnswer ('203' | '302' | 'redirect'), layout ('rowLink' |
 * 'nameLink' | 'noLink'), virtualize (default true), conversion ({mode: 'auto'|'A'|'B'|'C',
 * outcome: 'Ready'|'Failed', pollsToSettle, settleMs, issuer: 'entra'|'azureDevOps'}),
 * admin (true | false | [endpoint ids]), draftsReady, unknownIdGet ('null' | '404'),
 * revertWindowMs, lenientApiVersions, faults (see control()).
 */
export async function startMock(options = {}) {
  const { key, cert, certPath } = ensureCerts();
  const scenario =
    options.scenario ??
    generateScenario({
      seed: options.seed ?? 1,
      org: options.org ?? 'contoso',
      projects: options.projects ?? 3,
      connectionsPerProject: options.connectionsPerProject ?? 12,
    });
  const org = scenario.organization.name;
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const knobs = {
    latencyMs: 0,
    autoSignIn: false,
    signedOutAnswer: '203',
    layout: 'rowLink',
    virtualize: true,
    admin: true,
    draftsReady: true,
    unknownIdGet: 'null',
    revertWindowMs: 7 * 86_400_000,
    lenientApiVersions: false,
    signInHost: 'spsprod',
    /** Ids (or true: all) whose secret values the service returns by mistake instead of null. */
    leakSecrets: null,
    conversion: { mode: 'auto', outcome: 'Ready', pollsToSettle: 2, settleMs: null, issuer: 'entra' },
    createdBy: createdBy(org),
    throttle: null,
    /** `method`: only requests of that method (`PUT`) meet the faults; null for all. */
    faults: {
      failNext: 0,
      failStatus: 503,
      failRate: 0,
      hangNext: 0,
      hangRate: 0,
      expireSessionAfter: null,
      scope: '/_apis/',
      method: null,
    },
  };
  const store = new Store(scenario, knobs, now);
  const token = randomBytes(16).toString('hex');
  const pat = `mockpat${randomBytes(20).toString('hex')}`;
  const bearer = `eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ aud: '499b84ac-1321-427f-aa17-267ca6975798', mock: true })).toString('base64url')}.mock`;
  const sessions = new Set();
  const tickets = new Map();
  const requests = [];
  const hung = new Set();
  let signedOut = false;
  let authedSinceArm = 0;
  const usage = new Map();
  const faultRng = rng((options.seed ?? 1) * 7919 + 17);
  const user = {
    id: knobs.createdBy.id,
    displayName: knobs.createdBy.displayName,
    uniqueName: knobs.createdBy.uniqueName,
    descriptor: knobs.createdBy.descriptor,
  };

  function control(opts = {}) {
    for (const k of [
      'latencyMs',
      'autoSignIn',
      'signedOutAnswer',
      'layout',
      'virtualize',
      'admin',
      'draftsReady',
      'unknownIdGet',
      'revertWindowMs',
      'lenientApiVersions',
      'signInHost',
      'leakSecrets',
    ]) {
      if (opts[k] !== undefined) knobs[k] = opts[k];
    }
    if (opts.conversion) Object.assign(knobs.conversion, opts.conversion);
    if (opts.throttle !== undefined) {
      knobs.throttle = opts.throttle ? { ...DEFAULT_THROTTLE, ...(opts.throttle === true ? {} : opts.throttle) } : null;
      if (knobs.throttle?.delayAfter != null) knobs.throttle.limit = knobs.throttle.delayAfter;
      usage.clear();
    }
    if (opts.resetThrottle) usage.clear();
    if (opts.faults) {
      Object.assign(knobs.faults, opts.faults);
      if (opts.faults.expireSessionAfter !== undefined) authedSinceArm = 0;
    }
    if (opts.advanceClockMs) clockOffset += opts.advanceClockMs;
    if (opts.signOut) {
      sessions.clear();
      signedOut = true;
    }
    if (opts.signIn) signedOut = false;
    if (opts.endpoints) for (const [id, meta] of Object.entries(opts.endpoints)) setMeta(id, meta);
    if (opts.switchIssuer) for (const id of opts.switchIssuer) switchToEntra(id);
    return { knobs: structuredClone({ ...knobs, createdBy: undefined }), clockOffset };
  }

  /**
   * What the web UI's issuer **Update** leaves behind (ado-facts §8.6): the connection now
   * carries the Entra issuer and its `/eid1/…` subject. How Update does it is unconfirmed, so
   * this is a control knob (`switchIssuer: [ids]`), not a REST route.
   */
  function switchToEntra(id) {
    const e = store.endpoints.get(id.toLowerCase());
    if (!e) throw new Error(`no endpoint ${id}`);
    const p = e.authorization.parameters;
    const tenantId = p.tenantid ?? p.tenantId;
    if (!tenantId) throw new Error(`endpoint ${id} has no tenant id: its relying party is not Entra`);
    p.workloadIdentityFederationIssuer = entraIssuer(tenantId);
    p.workloadIdentityFederationSubject = entraSubject({ tenantId, orgId: store.organization.id, endpointId: e.id });
    p.workloadIdentityFederationIssuerType = 'EntraID';
  }

  function setMeta(id, meta) {
    const m = store.meta.get(id.toLowerCase());
    if (!m) throw new Error(`no endpoint ${id}`);
    Object.assign(m, meta);
  }

  control(options);

  // ---- helpers ------------------------------------------------------------------------------
  const hostInfo = (hostHeader) => {
    const host = String(hostHeader ?? '')
      .toLowerCase()
      .replace(/:\d+$/, '')
      .replace(/^\[|\]$/g, '');
    if (host === 'dev.azure.com' || host === 'localhost' || host === '127.0.0.1' || host === '::1') return { kind: 'dev', host };
    const vs = /^([a-z0-9-]+)\.visualstudio\.com$/.exec(host);
    if (vs && !['app', 'spsprod', 'vssps', 'vstoken'].includes(vs[1])) return { kind: 'vs', host, org: vs[1] };
    if (host.endsWith('.visualstudio.com')) return { kind: 'sps', host };
    return { kind: 'other', host };
  };

  const cookieOf = (req) => {
    const raw = req.headers.cookie ?? '';
    for (const part of raw.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE) return v.join('=');
    }
    return null;
  };

  const authenticate = (req) => {
    const c = cookieOf(req);
    if (c && sessions.has(c)) return { user, via: 'cookie' };
    const a = req.headers.authorization ?? '';
    if (!signedOut && /^basic /i.test(a)) {
      const decoded = Buffer.from(a.slice(6).trim(), 'base64').toString('utf8');
      if (decoded.slice(decoded.indexOf(':') + 1) === pat) return { user, via: 'pat' };
    }
    if (!signedOut && /^bearer /i.test(a) && a.slice(7).trim() === bearer) return { user, via: 'bearer' };
    return null;
  };

  const newSession = () => {
    const s = randomBytes(24).toString('base64url');
    sessions.add(s);
    signedOut = false;
    return s;
  };
  const sessionCookie = (s) => `${COOKIE}=${s}; Path=/; Secure; HttpOnly; SameSite=Lax`;

  const isMockHost = (h) => ['dev', 'vs', 'sps'].includes(hostInfo(h).kind);
  const safeReply = (reply) => {
    try {
      const u = new URL(reply);
      if (u.protocol === 'https:' && isMockHost(u.host)) return u;
    } catch {}
    return new URL(`https://dev.azure.com/${org}/`);
  };

  const signInUrl = (returnPath = `/${org}/`) => {
    const target = /^https:\/\//i.test(returnPath) ? new URL(returnPath) : new URL(returnPath, 'https://dev.azure.com');
    return `https://${target.host}/_signin?realm=dev.azure.com&reply_to=${encodeURIComponent(target.href)}`;
  };

  const redact = (headers) => {
    const out = {};
    for (const [k, v] of Object.entries(headers)) {
      if (k === 'cookie') out[k] = '[redacted]';
      else if (k === 'authorization') out[k] = `${String(v).split(' ')[0]} [redacted]`;
      else out[k] = v;
    }
    return out;
  };
  const redactBody = (b) => {
    if (!b || typeof b !== 'object') return b;
    const walk = (o) => {
      if (Array.isArray(o)) return o.map(walk);
      if (!o || typeof o !== 'object') return o;
      const r = {};
      for (const [k, v] of Object.entries(o)) r[k] = isSecretKey(k) && v != null && typeof v !== 'object' ? '[redacted]' : walk(v);
      return r;
    };
    return walk(b);
  };

  // ---- throttling -------------------------------------------------------------------------
  function throttleCheck(userId, path) {
    const t = knobs.throttle;
    if (!t) return { kind: 'ok', headers: {} };
    const at = now();
    const list = (usage.get(userId) ?? []).filter((e) => e.at > at - t.windowMs);
    usage.set(userId, list);
    const used = list.reduce((s, e) => s + e.cost, 0);
    const blockAt = t.blockAt ?? t.limit * 2;
    const reset = list.length ? Math.ceil((list.at(-1).at + t.windowMs) / 1000) : Math.ceil(at / 1000);
    const secondsUntilBelow = (threshold) => {
      let u = used;
      for (const e of list) {
        if (u < threshold) break;
        u -= e.cost;
        if (u < threshold) return Math.max(1, Math.ceil((e.at + t.windowMs - at) / 1000));
      }
      return 1;
    };
    const cost = typeof t.cost === 'function' ? t.cost(path) : t.cost;
    const resource = t.resource;
    if (used >= blockAt) {
      return {
        kind: 'block',
        headers: {
          'Retry-After': String(secondsUntilBelow(blockAt)),
          'X-RateLimit-Resource': resource,
          'X-RateLimit-Delay': '0.000',
          'X-RateLimit-Limit': String(t.limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(reset),
        },
      };
    }
    list.push({ at, cost });
    if (used >= t.limit) {
      const delayMs = typeof t.delayMs === 'function' ? t.delayMs(used) : t.delayMs;
      return {
        kind: 'delay',
        delayMs,
        headers: {
          'Retry-After': String(secondsUntilBelow(t.limit)),
          'X-RateLimit-Resource': resource,
          'X-RateLimit-Delay': (delayMs / 1000).toFixed(3),
          'X-RateLimit-Limit': String(t.limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(reset),
        },
      };
    }
    if (used + cost >= t.limit * t.warnRatio) {
      return {
        kind: 'ok',
        headers: {
          'X-RateLimit-Resource': resource,
          'X-RateLimit-Limit': String(t.limit),
          'X-RateLimit-Remaining': String(Math.max(0, t.limit - used - cost)),
          'X-RateLimit-Reset': String(reset),
        },
      };
    }
    return { kind: 'ok', headers: {} };
  }

  // ---- api-version --------------------------------------------------------------------------
  function apiVersion(req, url, maxResourceVersion) {
    let v = url.searchParams.get('api-version');
    if (!v) {
      const m = /api-version=([^;,\s]+)/i.exec(req.headers.accept ?? '');
      v = m?.[1];
    }
    if (!v) {
      throw new AdoError(
        400,
        `No api-version was supplied for the "${req.method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").`,
        'VssVersionNotSpecifiedException',
        'Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, Microsoft.VisualStudio.Services.WebApi',
      );
    }
    const m = /^(\d+)\.(\d+)(-preview(\.(\d+))?)?$/.exec(v.trim());
    const outOfRange = () =>
      new AdoError(
        400,
        `The requested REST API version of ${v} is out of range for this server. The latest REST API version this server supports is ${LATEST}.`,
        'VssVersionOutOfRangeException',
        'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
      );
    if (!m)
      throw new AdoError(
        400,
        `The api-version '${v}' is not valid. Use a value like 7.1 or 7.2-preview.4.`,
        'VssInvalidApiVersionException',
        'Microsoft.VisualStudio.Services.WebApi.VssInvalidApiVersionException, Microsoft.VisualStudio.Services.WebApi',
      );
    const num = Number(`${m[1]}.${m[2]}`);
    const preview = !!m[3];
    const rv = m[5] ? Number(m[5]) : null;
    if (num > Number(LATEST)) throw outOfRange();
    if (num === Number(LATEST) && !preview) {
      throw new AdoError(
        400,
        `The requested version "${v}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${v}-preview"`,
        'VssInvalidPreviewVersionException',
        'Microsoft.VisualStudio.Services.WebApi.VssInvalidPreviewVersionException, Microsoft.VisualStudio.Services.WebApi',
      );
    }
    if (rv != null && rv > maxResourceVersion) {
      throw new AdoError(
        400,
        `The requested resource version ${rv} of api-version ${v} is not supported; the highest resource version is ${maxResourceVersion}.`,
        'VssVersionOutOfRangeException',
        'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
      );
    }
    if (!knobs.lenientApiVersions && num < 7.1) {
      throw new AdoError(
        400,
        `The mock accepts api-version 7.1, 7.1-preview.1..${maxResourceVersion} and 7.2-preview.1..${maxResourceVersion} on this route (set lenientApiVersions to accept older ones); ${v} was sent.`,
        'VssVersionOutOfRangeException',
        'Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi',
      );
    }
    return v;
  }

  // ---- the handler ----------------------------------------------------------------------------
  async function handle(req, res) {
    const started = now();
    const info = hostInfo(req.headers.host);
    const url = new URL(req.url, `https://${info.host || 'dev.azure.com'}`);
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > 10_000_000) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(c);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    let bodyError = false;
    if (raw.length) {
      try {
        body = JSON.parse(raw.replace(/^\uFEFF/, ''));
      } catch {
        body = raw;
        bodyError = /json/i.test(req.headers['content-type'] ?? '');
      }
    }

    // Mock-only routes: the control endpoint and static files.
    if (url.pathname.startsWith('/_mock/')) return mockRoute(req, res, url, body);

    const rec = {
      method: req.method,
      host: info.host,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redact(req.headers),
      body: redactBody(body),
      status: 0,
      at: started,
      ms: 0,
      route: null,
      via: null,
    };
    const send = (status, headers, payload) => {
      rec.status = status;
      rec.ms = now() - started;
      requests.push(rec);
      if (res.destroyed) return;
      const h = { 'X-Mock': 'federate', ActivityId: randomUUID(), ...headers };
      if (payload === undefined || status === 204 || req.method === 'HEAD') {
        res.writeHead(status, h).end();
      } else if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
        res.writeHead(status, h).end(payload);
      } else {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...h }).end(JSON.stringify(payload));
      }
    };
    const sendError = (err, headers = {}) => {
      if (err instanceof AdoError) return send(err.status, headers, err.body());
      console.error('[mock] internal error', err);
      return send(
        500,
        headers,
        new AdoError(
          500,
          `TF400898: An Internal Error Occurred. ${err?.message ?? ''}`.trim(),
          'Exception',
          'System.Exception, mscorlib',
        ).body(),
      );
    };

    // Sign-in pages, on any mock host.
    const lowerPath = url.pathname.toLowerCase();
    if (lowerPath === '/_signin' || lowerPath === '/_signin/callback' || lowerPath === '/_signout')
      return signInRoute(req, url, body, send, rec);

    // Latency and faults (faults apply to paths matching `faults.scope`).
    const lat = Array.isArray(knobs.latencyMs)
      ? knobs.latencyMs[0] + faultRng() * (knobs.latencyMs[1] - knobs.latencyMs[0])
      : knobs.latencyMs;
    if (lat > 0) await sleep(lat);
    const f = knobs.faults;
    if (new RegExp(f.scope, 'i').test(url.pathname) && (!f.method || f.method === req.method)) {
      if (f.hangNext > 0 || (f.hangRate > 0 && faultRng() < f.hangRate)) {
        if (f.hangNext > 0) f.hangNext -= 1;
        rec.status = 'hung';
        requests.push(rec);
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      if (f.failNext > 0 || (f.failRate > 0 && faultRng() < f.failRate)) {
        if (f.failNext > 0) f.failNext -= 1;
        rec.route = 'fault';
        return send(
          f.failStatus,
          {},
          new AdoError(
            f.failStatus,
            'TF400898: An Internal Error Occurred. Activity Id: 00000000-0000-0000-0000-000000000000.',
            'Exception',
            'System.Exception, mscorlib',
          ).body(),
        );
      }
    }

    // Organization and the path below it.
    let rest;
    let orgName;
    if (info.kind === 'vs') {
      orgName = info.org;
      rest = url.pathname.split('/').filter(Boolean);
    } else if (info.kind === 'dev') {
      const parts = url.pathname.split('/').filter(Boolean);
      orgName = parts[0] ? decodeURIComponent(parts[0]) : null;
      rest = parts.slice(1);
    } else {
      return send(404, { 'Content-Type': 'text/plain' }, 'Not a mock Azure DevOps host');
    }
    if (!orgName || orgName.toLowerCase() !== org.toLowerCase()) {
      return send(
        404,
        {},
        new AdoError(
          404,
          `TF400813: The organization '${orgName ?? ''}' could not be found.`,
          'AccountNotFoundException',
          'Microsoft.VisualStudio.Services.Account.AccountNotFoundException, Microsoft.VisualStudio.Services.Account',
        ).body(),
      );
    }
    const orgBase = info.kind === 'vs' ? `https://${info.host}` : `https://${req.headers.host ?? 'dev.azure.com'}/${org}`;
    const canonicalOrgUrl = info.kind === 'vs' ? `https://${info.host}` : `https://dev.azure.com/${org}`;
    const apisAt = rest.findIndex((s) => s.toLowerCase() === '_apis');
    const isApi = apisAt >= 0;

    // Authentication. Signed out: 401 with `X-TFS-FedAuthRedirect: Suppress`, else 203 HTML or
    // 302 to the sign-in page for API calls (knob `signedOutAnswer`); pages always redirect.
    const answerSignedOut = () => {
      rec.route = 'signed-out';
      const suppress = /suppress/i.test(req.headers['x-tfs-fedauthredirect'] ?? '');
      const tenant = store.tenants[0] ?? '00000000-0000-0000-0000-000000000000';
      const reply = `https://${req.headers.host ?? info.host}${url.pathname}${url.search}`;
      const sps = knobs.signInHost === 'same' ? `https://${req.headers.host ?? info.host}` : 'https://spsprod.vssps.visualstudio.com';
      const location = `${sps}/_signin?realm=dev.azure.com&reply_to=${encodeURIComponent(reply)}`;
      // 'redirect': a front door that redirects API calls to sign in even with the suppress
      // header (a browser's `fetch(..., { redirect: 'manual' })` sees an opaque redirect).
      if (isApi && suppress && knobs.signedOutAnswer !== 'redirect') {
        return send(
          401,
          { 'WWW-Authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${tenant}`, 'X-VSS-ResourceTenant': tenant },
          new AdoError(
            401,
            "TF400813: The user '' is not authorized to access this resource.",
            'UnauthorizedRequestException',
            'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
          ).body(),
        );
      }
      if (isApi && knobs.signedOutAnswer === '203') {
        return send(203, { 'Content-Type': 'text/html; charset=utf-8' }, renderSignIn({ reply }));
      }
      return send(
        302,
        { Location: location, 'Content-Type': 'text/html; charset=utf-8' },
        `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${escapeAttr(location)}">here</a>.</h2></body></html>`,
      );
    };
    const who = authenticate(req);
    if (!who) return answerSignedOut();
    rec.via = who.via;
    if (knobs.faults.expireSessionAfter != null) {
      authedSinceArm += 1;
      if (authedSinceArm > knobs.faults.expireSessionAfter) {
        sessions.clear();
        signedOut = true;
        knobs.faults.expireSessionAfter = null;
        return answerSignedOut();
      }
    }

    // Pages.
    if (!isApi) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, {}, 'Method not allowed');
      if (rest.length === 0) {
        const p = store.projects[0];
        return send(302, { Location: `${orgBase}/${encodeURIComponent(p?.name ?? '')}/_settings/adminservices` }, '');
      }
      const project = store.project(rest[0]);
      if (!project)
        return send(
          404,
          { 'Content-Type': 'text/html; charset=utf-8' },
          `<!doctype html><title>Not found</title><p>TF200016: The project does not exist.</p>`,
        );
      if (rest.length === 1 || (rest[1] === '_settings' && (rest.length === 2 || rest[2]?.toLowerCase() === 'adminservices'))) {
        rec.route = 'page.adminservices';
        const nonce = randomBytes(16).toString('base64');
        const html = renderPage({
          nonce,
          org,
          orgId: store.organization.id,
          orgUrl: canonicalOrgUrl,
          host: info.host,
          hostKind: info.kind,
          project,
          projects: store.projects,
          user,
          knobs,
          lastUsed: lastUsedMap(store, project.id),
        });
        return send(
          200,
          {
            'Content-Type': 'text/html; charset=utf-8',
            'Content-Security-Policy': `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; object-src 'none'`,
            'Cache-Control': 'no-store',
          },
          html,
        );
      }
      return send(
        404,
        { 'Content-Type': 'text/html; charset=utf-8' },
        '<!doctype html><title>Not found</title><p>This mock serves only the service connections page.</p>',
      );
    }

    // Throttling (per user).
    const th = throttleCheck(who.user.id, url.pathname);
    if (th.kind === 'block') {
      rec.route = 'throttled';
      return send(
        429,
        th.headers,
        new AdoError(
          429,
          `TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource '${knobs.throttle.resource}' in namespace 'User'.`,
          'RequestBlockedException',
          'Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server',
        ).body(),
      );
    }
    if (th.kind === 'delay' && th.delayMs > 0) await sleep(th.delayMs);

    try {
      if (bodyError) throw new AdoError(400, 'The request body is not valid JSON.');
      const out = route(req, url, rest, apisAt, body, orgBase, canonicalOrgUrl, rec);
      return send(out.status, { ...th.headers, ...(out.headers ?? {}) }, out.body);
    } catch (err) {
      return sendError(err, th.headers);
    }
  }

  function route(req, url, rest, apisAt, body, orgBase, canonicalOrgUrl, rec) {
    const m = req.method;
    const projectRef = apisAt === 1 ? decodeURIComponent(rest[0]) : apisAt === 0 ? null : undefined;
    if (projectRef === undefined) throw new AdoError(404, 'The requested resource does not exist.', 'NotFoundException');
    const seg = rest.slice(apisAt + 1).map((s) => decodeURIComponent(s));
    const low = seg.map((s) => s.toLowerCase());
    const q = url.searchParams;
    const notFound = () =>
      new AdoError(
        404,
        `API resource location was not found for ${m} ${url.pathname}.`,
        'ApiResourceLocationNotFoundException',
        'Microsoft.VisualStudio.Services.WebApi.ApiResourceLocationNotFoundException, Microsoft.VisualStudio.Services.WebApi',
      );
    const ok = (b, status = 200, headers) => ({ status, body: b, headers });

    // OPTIONS /_apis/{area}: resource locations (azure-devops-node-api negotiates with these).
    if (m === 'OPTIONS' && projectRef === null && seg.length === 1) {
      rec.route = 'locations';
      const list = LOCATIONS[low[0]] ?? [];
      return ok({
        count: list.length,
        value: list.map(([id, resourceName, routeTemplate, resourceVersion]) => ({
          id,
          area: low[0] === 'location' ? 'Location' : low[0],
          resourceName,
          routeTemplate,
          resourceVersion,
          minVersion: '1.0',
          maxVersion: LATEST,
          releasedVersion: '7.1',
        })),
      });
    }

    if (projectRef === null) {
      if (low[0] === 'connectiondata' && seg.length === 1 && m === 'GET') {
        rec.route = 'connectionData';
        apiVersion(req, url, 1);
        return ok(connectionData(canonicalOrgUrl));
      }
      if (low[0] === 'resourceareas' && m === 'GET') {
        rec.route = 'resourceAreas';
        return ok({ count: 3, value: Object.entries(AREA_IDS).map(([name, id]) => ({ id, name, locationUrl: `${orgBase}/` })) });
      }
      if (low[0] === 'projects' && m === 'GET') {
        apiVersion(req, url, 4);
        if (seg.length === 2) {
          rec.route = 'projects.get';
          const p = store.requireProject(seg[1]);
          return ok(store.projectJson(p, canonicalOrgUrl));
        }
        if (seg.length !== 1) throw notFound();
        rec.route = 'projects.list';
        return projectsPage(q, canonicalOrgUrl);
      }
      if (low[0] === 'serviceendpoint') {
        if (low[1] === 'types' && seg.length === 2 && m === 'GET') {
          rec.route = 'types';
          apiVersion(req, url, 1);
          return ok(endpointTypes(q));
        }
        if (low[1] === 'endpoints') {
          apiVersion(req, url, 4);
          const id = seg[2];
          if (seg.length === 2 && m === 'POST') {
            rec.route = 'endpoints.create';
            return store.create(body, null);
          }
          if (seg.length === 2 && m === 'PUT') {
            rec.route = 'endpoints.updateMany';
            return store.updateMany(body);
          }
          if (seg.length === 3 && m === 'PUT') {
            rec.route = q.get('operation')?.toLowerCase() === 'convertauthenticationscheme' ? 'endpoints.convert' : 'endpoints.update';
            return store.update(id, body, q, null);
          }
          if (seg.length === 3 && m === 'PATCH') {
            rec.route = 'endpoints.share';
            return store.share(id, body);
          }
          if (seg.length === 3 && m === 'DELETE') {
            rec.route = 'endpoints.delete';
            return store.remove(id, q);
          }
        }
      }
      throw notFound();
    }

    // Project-scoped.
    if (low[0] === 'serviceendpoint') {
      if (low[1] === 'endpoints') {
        apiVersion(req, url, 4);
        const id = seg[2];
        if (seg.length === 2 && m === 'GET') {
          rec.route = 'endpoints.list';
          return ok(store.list(projectRef, q));
        }
        if (seg.length === 2 && m === 'POST') {
          if (q.get('endpointIds')) {
            rec.route = 'endpoints.refresh';
            return ok(store.list(projectRef, q).value);
          }
          rec.route = 'endpoints.create';
          return store.create(body, projectRef);
        }
        if (seg.length === 2 && m === 'PUT') {
          rec.route = 'endpoints.updateMany';
          store.requireProject(projectRef);
          return store.updateMany(body);
        }
        if (seg.length === 3 && m === 'GET') {
          rec.route = 'endpoints.get';
          return store.get(projectRef, id, q);
        }
        if (seg.length === 3 && m === 'PUT') {
          rec.route = q.get('operation')?.toLowerCase() === 'convertauthenticationscheme' ? 'endpoints.convert' : 'endpoints.update';
          return store.update(id, body, q, projectRef);
        }
        if (seg.length === 3 && m === 'PATCH') {
          rec.route = 'endpoints.share';
          store.requireProject(projectRef);
          return store.share(id, body);
        }
        if (seg.length === 3 && m === 'DELETE') {
          rec.route = 'endpoints.delete';
          const p = store.requireProject(projectRef);
          if (!q.get('projectIds')) q.set('projectIds', p.id);
          return store.remove(id, q);
        }
      }
      if (seg.length === 3 && low[2] === 'executionhistory' && m === 'GET') {
        rec.route = 'executionhistory';
        apiVersion(req, url, 1);
        return store.executionHistory(projectRef, seg[1], q, canonicalOrgUrl);
      }
    }
    // Build timelines (Build 7.1 `Timeline_Get`; the `{timelineId}` segment is optional).
    if (low[0] === 'build' && low[1] === 'builds' && (seg.length === 4 || seg.length === 5) && low[3] === 'timeline' && m === 'GET') {
      rec.route = 'build.timeline';
      apiVersion(req, url, 3);
      return store.buildTimeline(projectRef, seg[2], canonicalOrgUrl);
    }
    throw notFound();
  }

  function projectsPage(q, orgUrl) {
    const all = store.projects;
    const top = q.get('$top');
    const skipQ = q.get('$skip');
    const ct = q.get('continuationToken');
    const int = (v, name) => {
      if (v == null || v === '') return null;
      if (!/^\d+$/.test(v)) throw new AdoError(400, `The value '${v}' is not valid for parameter '${name}'.`);
      return Number(v);
    };
    const topN = int(top, '$top');
    const skipN = int(skipQ, '$skip');
    const ctN = int(ct, 'continuationToken');
    const paging = topN != null || skipN != null || ctN != null;
    const skip = ctN != null && ctN > 0 ? ctN : (skipN ?? 0);
    const take = topN ?? Math.max(0, all.length - skip);
    const page = all.slice(skip, skip + take);
    const headers = {};
    if (paging && skip + take < all.length) headers['x-ms-continuationtoken'] = String(skip + take);
    return { status: 200, body: { count: page.length, value: page.map((p) => store.projectJson(p, orgUrl)) }, headers };
  }

  function connectionData(orgUrl) {
    const identity = {
      id: user.id,
      descriptor: `Microsoft.IdentityModel.Claims.ClaimsIdentity;${store.tenants[0] ?? 'tenant'}\\${user.uniqueName}`,
      subjectDescriptor: user.descriptor,
      providerDisplayName: user.displayName,
      isActive: true,
      properties: { Account: { $type: 'System.String', $value: user.uniqueName } },
      resourceVersion: 2,
      metaTypeId: 0,
    };
    return {
      authenticatedUser: identity,
      authorizedUser: identity,
      instanceId: store.organization.id,
      deploymentId: '3a4c1a2e-5f6b-4c7d-8e9f-a0b1c2d3e4f5',
      deploymentType: 'hosted',
      locationServiceData: {
        serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
        defaultAccessMappingMoniker: 'PublicAccessMapping',
        lastChangeId: 1,
        lastChangeId64: 1,
        accessMappings: [
          {
            displayName: 'Public Access Mapping',
            moniker: 'PublicAccessMapping',
            accessPoint: `${orgUrl}/`,
            serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
            virtualDirectory: '',
          },
        ],
      },
      webApplicationRelativeDirectory: orgUrl.includes('visualstudio.com') ? '/' : `/${org}/`,
    };
  }

  function signInRoute(req, url, body, send, rec) {
    rec.route = 'signin';
    const path = url.pathname.toLowerCase();
    const here = hostInfo(req.headers.host).host;
    if (path === '/_signout') {
      const c = cookieOf(req);
      if (c) sessions.delete(c);
      return send(302, { Location: 'https://dev.azure.com/', 'Set-Cookie': `${COOKIE}=; Path=/; Secure; HttpOnly; Max-Age=0` }, '');
    }
    if (path === '/_signin/callback') {
      const t = url.searchParams.get('ticket');
      const reply = safeReply(url.searchParams.get('reply_to'));
      if (!t || !tickets.has(t)) return send(400, { 'Content-Type': 'text/plain' }, 'Invalid sign-in ticket');
      const s = tickets.get(t);
      tickets.delete(t);
      return send(302, { Location: reply.href, 'Set-Cookie': sessionCookie(s) }, '');
    }
    const replyRaw = url.searchParams.get('reply_to') ?? (typeof body === 'string' ? new URLSearchParams(body).get('reply_to') : null);
    const reply = safeReply(replyRaw);
    const complete = () => {
      const s = newSession();
      if (reply.hostname === hostInfo(here).host) return send(302, { Location: reply.href, 'Set-Cookie': sessionCookie(s) }, '');
      const t = randomBytes(16).toString('hex');
      tickets.set(t, s);
      return send(302, { Location: `https://${reply.host}/_signin/callback?ticket=${t}&reply_to=${encodeURIComponent(reply.href)}` }, '');
    };
    if (req.method === 'POST') return complete();
    if (knobs.autoSignIn) return complete();
    return send(
      200,
      {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'self'; style-src 'unsafe-inline'; form-action https:",
      },
      renderSignIn({ reply: reply.href }),
    );
  }

  function mockRoute(req, res, url, body) {
    const name = url.pathname.slice('/_mock/'.length);
    if (name.startsWith('static/')) {
      const file = STATIC[name.slice(7)];
      if (!file) return res.writeHead(404).end();
      return res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-store' }).end(readFileSync(file[1]));
    }
    const given = req.headers['x-mock-token'] ?? url.searchParams.get('token');
    const json = (status, b) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(b));
    if (given !== token) return json(403, { message: 'mock control token required (x-mock-token header)' });
    try {
      if (name === 'control' && req.method === 'POST') return json(200, control(body ?? {}));
      if (name === 'requests' && req.method === 'GET') return json(200, requests.slice(Number(url.searchParams.get('since') ?? 0)));
      if (name === 'requests' && req.method === 'DELETE') {
        requests.length = 0;
        return json(200, { ok: true });
      }
      if (name === 'state' && req.method === 'GET') return json(200, summary());
      if (name === 'conversions' && req.method === 'GET') return json(200, store.conversions);
      if (name === 'session' && req.method === 'POST') return json(200, { name: COOKIE, value: newSession() });
    } catch (err) {
      return json(400, { message: err.message });
    }
    return json(404, { message: 'unknown mock route' });
  }

  function summary() {
    return {
      organization: store.organization,
      projects: store.projects.length,
      endpoints: store.endpoints.size,
      conversions: store.conversions.length,
      requests: requests.length,
    };
  }

  // ---- server ------------------------------------------------------------------------------
  const server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((err) => {
      console.error('[mock] handler failed', err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const port = server.address().port;

  const mock = {
    port,
    org,
    origin: 'https://dev.azure.com',
    orgUrl: `https://dev.azure.com/${org}`,
    vsOrgUrl: `https://${org}.visualstudio.com`,
    /** Loopback URL (org in path) for Node clients: https://127.0.0.1:PORT/{org} */
    localOrgUrl: `https://127.0.0.1:${port}/${org}`,
    ca: cert,
    caPath: certPath,
    controlToken: token,
    controlUrl: `https://127.0.0.1:${port}/_mock/control`,
    pat,
    bearer,
    user,
    get state() {
      return {
        organization: store.organization,
        tenants: store.tenants,
        projects: store.projects,
        endpoints: store.endpoints,
        meta: store.meta,
      };
    },
    requests,
    store,
    signInUrl,
    /** A new valid session: {name, value} for a browser cookie (domain dev.azure.com). */
    newSession: () => ({ name: COOKIE, value: newSession() }),
    control,
    setMeta,
    now,
    countEndpoints: ({ project } = {}) => (project ? store.inProject(store.requireProject(project).id).length : store.endpoints.size),
    /** The endpoints a project lists (as the API returns them with includeFailed=true). */
    endpointsFor: (project) => store.list(project, new URLSearchParams({ includeFailed: 'true' })).value,
    /** One endpoint as a client sees it from its home project (or the given one). */
    getEndpoint: (id, project) => {
      const e = store.endpoints.get(id.toLowerCase());
      return e
        ? store.view(e, project ? store.requireProject(project).id : e.serviceEndpointProjectReferences[0]?.projectReference.id)
        : null;
    },
    /** Every conversion or revert attempt: {id, op: 'convert'|'revert', status, outcome, message, at, mode}. */
    get conversions() {
      return store.conversions;
    },
    /** Attempts the mock rejected (status >= 400). */
    rejections: () => store.conversions.filter((c) => c.status >= 400),
    /** Ids whose conversion was started (200 or new 202) more than once. */
    convertedTwice: () => {
      const n = new Map();
      for (const c of store.conversions)
        if (c.op === 'convert' && (c.outcome === 'converted' || c.outcome === 'converting')) n.set(c.id, (n.get(c.id) ?? 0) + 1);
      return [...n].filter(([, k]) => k > 1).map(([id]) => id);
    },
    chromiumArgs: () => [
      `--host-resolver-rules=MAP dev.azure.com 127.0.0.1:${port}, MAP *.visualstudio.com 127.0.0.1:${port}`,
      '--ignore-certificate-errors',
    ],
    async close() {
      for (const r of hung) r.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return mock;
}

function lastUsedMap(store, projectId) {
  const out = {};
  for (const e of store.inProject(projectId)) out[e.id] = store.meta.get(e.id)?.lastUsed ?? null;
  return out;
}

/** A small subset of `_apis/serviceendpoint/types`, filtered by `type` and `scheme`. */
function endpointTypes(q) {
  const scheme = (s, displayName, inputs = []) => ({
    scheme: s,
    displayName,
    inputDescriptors: inputs.map((id) => ({
      id,
      name: id,
      inputMode: 'textbox',
      isConfidential: isSecretKey(id),
      validation: { isRequired: false, dataType: 'string' },
      hasDynamicValueInformation: false,
    })),
    authorizationHeaders: [],
    dataSourceBindings: [],
    clientCertificates: [],
    requiresOAuth2Configuration: false,
  });
  const types = [
    {
      name: 'azurerm',
      displayName: 'Azure Resource Manager',
      authenticationSchemes: [
        scheme('ServicePrincipal', 'Service Principal', ['serviceprincipalid', 'serviceprincipalkey', 'tenantid', 'authenticationType']),
        scheme('WorkloadIdentityFederation', 'Workload Identity federation', [
          'serviceprincipalid',
          'tenantid',
          'workloadIdentityFederationIssuer',
          'workloadIdentityFederationSubject',
        ]),
        scheme('ManagedServiceIdentity', 'Managed Identity', ['tenantid']),
        scheme('PublishProfile', 'Publish Profile', ['publishProfile', 'tenantid']),
      ],
    },
    {
      name: 'dockerregistry',
      displayName: 'Docker Registry',
      authenticationSchemes: [
        scheme('UsernamePassword', 'Username and Password', ['registry', 'username', 'password', 'email']),
        scheme('ServicePrincipal', 'Service Principal', ['loginServer', 'serviceprincipalid', 'serviceprincipalkey', 'tenantId']),
        scheme('WorkloadIdentityFederation', 'Workload Identity federation', ['loginServer', 'serviceprincipalid', 'tenantId']),
      ],
    },
    {
      name: 'github',
      displayName: 'GitHub',
      authenticationSchemes: [
        scheme('OAuth', 'OAuth', ['AccessToken']),
        scheme('InstallationToken', 'GitHub App', ['IdToken', 'IdSignature']),
        scheme('Token', 'Personal access token', ['accessToken']),
      ],
    },
    {
      name: 'kubernetes',
      displayName: 'Kubernetes',
      authenticationSchemes: [
        scheme('Kubernetes', 'Kubeconfig', ['kubeconfig', 'clusterContext']),
        scheme('Token', 'Service Account', ['apitoken', 'serviceAccountCertificate']),
      ],
    },
    {
      name: 'generic',
      displayName: 'Generic',
      authenticationSchemes: [scheme('UsernamePassword', 'Username and Password', ['username', 'password'])],
    },
    {
      name: 'ssh',
      displayName: 'SSH',
      authenticationSchemes: [scheme('UsernamePassword', 'Username and Password', ['username', 'password'])],
    },
  ];
  const t = q.get('type')?.toLowerCase();
  const s = q.get('scheme')?.toLowerCase();
  let list = types.filter((x) => !t || x.name === t);
  if (s)
    list = list
      .map((x) => ({ ...x, authenticationSchemes: x.authenticationSchemes.filter((a) => a.scheme.toLowerCase() === s) }))
      .filter((x) => x.authenticationSchemes.length);
  return {
    count: list.length,
    value: list.map((x) => ({
      ...x,
      description: x.displayName,
      endpointUrl: { displayName: 'Server URL', isVisible: 'true', value: '' },
      inputDescriptors: [],
      dataSources: [],
      trustedHosts: [],
      uiContributionId: null,
    })),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const escapeAttr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// ---- CLI -------------------------------------------------------------------------------------
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name) => args.includes(`--${name}`);
  const val = (name, d) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1] : d;
  };
  const opts = {
    port: Number(val('port', 8443)),
    org: val('org', 'contoso'),
    seed: Number(val('seed', 1)),
    projects: Number(val('projects', 3)),
    connectionsPerProject: Number(val('connections', 12)),
    latencyMs: Number(val('latency', 0)),
    throttle: flag('throttle'),
    autoSignIn: flag('auto-sign-in'),
    layout: val('layout', 'rowLink'),
  };
  if (flag('demo')) opts.scenario = scenarioDemo();
  const mock = await startMock(opts);
  const first = mock.state.projects[0];
  console.log(
    `Mock Azure DevOps on https://127.0.0.1:${mock.port} (organization ${mock.org}, ${mock.state.projects.length} projects, ${mock.countEndpoints()} connections)`,
  );
  console.log(`  org URL          ${mock.orgUrl}   and   ${mock.vsOrgUrl}`);
  console.log(`  Node clients     ${mock.localOrgUrl}   (CA: ${mock.caPath})`);
  console.log(`  page             ${mock.orgUrl}/${encodeURIComponent(first?.name ?? '')}/_settings/adminservices`);
  console.log(`  sign in          ${mock.signInUrl(`/${mock.org}/${encodeURIComponent(first?.name ?? '')}/_settings/adminservices`)}`);
  console.log(`  PAT              ${mock.pat}`);
  console.log(`  control          POST ${mock.controlUrl}  (header x-mock-token: ${mock.controlToken})`);
  console.log(
    `  Chromium         ${mock
      .chromiumArgs()
      .map((a) => JSON.stringify(a))
      .join(' ')}`,
  );
  const stop = async () => {
    await mock.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
