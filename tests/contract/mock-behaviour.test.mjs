// The mock behaves as ado-facts.md says the service does: api-version, both URL forms, auth
// states, throttling, faults, paging, filters, conversion modes, revert windows, drafts,
// sharing, the request record and the control endpoint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { guidToLe64, le64ToGuid, parseEntraSubject } from '../mock/federation.mjs';
import { call } from './helpers.mjs';

let mock;
let P; // first project
before(async () => {
  mock = await startMock({ seed: 5, projects: 3, connectionsPerProject: 40 });
  P = mock.state.projects[0];
});
after(() => mock?.close());

const byKind = (kind) => [...mock.state.meta].filter(([, m]) => m.kind === kind).map(([id]) => mock.state.endpoints.get(id));
const home = (e) => e.serviceEndpointProjectReferences[0].projectReference;
const getEp = async (e, q = 'api-version=7.1') =>
  (await call(mock, { path: `/contoso/${home(e).id}/_apis/serviceendpoint/endpoints/${e.id}?${q}` })).json;
const put = (e, body, { scoped = true, q = 'operation=ConvertAuthenticationScheme&api-version=7.1' } = {}) =>
  call(mock, {
    method: 'PUT',
    path: scoped
      ? `/contoso/${encodeURIComponent(home(e).name)}/_apis/serviceendpoint/endpoints/${e.id}?${q}`
      : `/contoso/_apis/serviceendpoint/endpoints/${e.id}?${q}`,
    body,
  });
const withScheme = (ep, scheme) => {
  const b = structuredClone(ep);
  b.authorization.scheme = scheme;
  delete b.data.revertSchemeDeadline;
  return b;
};

describe('federation codec', () => {
  test('little-endian base64url GUIDs (ado-facts §8.3 vectors)', () => {
    assert.equal(guidToLe64('ff882432-09b0-437b-bd22-ca13c0037ded'), 'MiSI_7AJe0O9IsoTwAN97Q');
    assert.equal(le64ToGuid('v4j5cvGGr0GRqy180BHbRw'), '72f988bf-86f1-41af-91ab-2d7cd011db47');
    assert.equal(guidToLe64('499b84ac-1321-427f-aa17-267ca6975798'), 'rISbSSETf0KqFyZ8ppdXmA');
    const s = parseEntraSubject(
      '/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176',
    );
    assert.deepEqual(s, {
      cloud: 'pub',
      tenantId: 'ff882432-09b0-437b-bd22-ca13c0037ded',
      appId: '499b84ac-1321-427f-aa17-267ca6975798',
      orgId: '0ca3ddd9-f0b0-4635-a98c-5866526961b6',
      endpointId: '64171687-7a59-4fce-b2c8-823278dcf176',
    });
  });
});

describe('api-version and URL forms', () => {
  test('missing, preview-less 7.2, too new, too old (strict) and Accept-header versions', async () => {
    const path = `/contoso/${P.id}/_apis/serviceendpoint/endpoints`;
    const missing = await call(mock, { path });
    assert.equal(missing.status, 400);
    assert.match(missing.json.message, /No api-version was supplied/);
    assert.deepEqual(Object.keys(missing.json).sort(), ['$id', 'errorCode', 'eventId', 'innerException', 'message', 'typeKey', 'typeName']);
    assert.equal((await call(mock, { path: `${path}?api-version=7.2` })).status, 400);
    assert.equal((await call(mock, { path: `${path}?api-version=7.3-preview.1` })).status, 400);
    assert.equal((await call(mock, { path: `${path}?api-version=6.0-preview.4` })).status, 400);
    assert.equal((await call(mock, { path: `${path}?api-version=7.2-preview.5` })).status, 400);
    for (const v of ['7.1', '7.1-preview.4', '7.2-preview.4'])
      assert.equal((await call(mock, { path: `${path}?api-version=${v}` })).status, 200, v);
    assert.equal((await call(mock, { path, headers: { accept: 'application/json;api-version=7.1;excludeUrls=true' } })).status, 200);
    assert.equal((await call(mock, { path: `/contoso/_apis/serviceendpoint/types?api-version=7.2-preview.1` })).status, 200);
  });

  test('{org}.visualstudio.com serves the same data without /{org}; connectionData gives the org id', async () => {
    const a = await call(mock, {
      path: `/contoso/${encodeURIComponent(P.name)}/_apis/serviceendpoint/endpoints?api-version=7.1&includeFailed=true`,
    });
    const b = await call(mock, {
      host: 'contoso.visualstudio.com',
      path: `/${encodeURIComponent(P.name)}/_apis/serviceendpoint/endpoints?api-version=7.1&includeFailed=true`,
    });
    assert.equal(b.status, 200);
    assert.deepEqual(b.json, a.json);
    for (const [host, path] of [
      ['dev.azure.com', '/contoso/_apis/connectionData?api-version=7.1-preview.1'],
      ['contoso.visualstudio.com', '/_apis/connectionData?api-version=7.2-preview.1'],
    ]) {
      const cd = await call(mock, { host, path });
      assert.equal(cd.status, 200);
      assert.equal(cd.json.instanceId, mock.state.organization.id);
      assert.equal(cd.json.deploymentType, 'hosted');
    }
    assert.equal(
      (await call(mock, { host: 'fabrikam.visualstudio.com', path: '/_apis/projects?api-version=7.1' })).status,
      404,
      'another organization does not exist',
    );
    assert.equal((await call(mock, { path: '/contoso/NoSuchProject/_apis/serviceendpoint/endpoints?api-version=7.1' })).status, 404);
  });
});

describe('authentication', () => {
  test('signed-out answers: 401 with Suppress, 203 HTML or 302 to sign-in without', async () => {
    const path = '/contoso/_apis/projects?api-version=7.1';
    const r401 = await call(mock, { path, auth: 'none', headers: { 'x-tfs-fedauthredirect': 'Suppress' } });
    assert.equal(r401.status, 401);
    assert.equal(r401.headers['www-authenticate'], `Bearer authorization_uri=https://login.microsoftonline.com/${mock.state.tenants[0]}`);
    const r203 = await call(mock, { path, auth: 'none' });
    assert.equal(r203.status, 203);
    assert.match(r203.headers['content-type'], /text\/html/);
    assert.match(r203.text, /Sign in/);
    mock.control({ signedOutAnswer: '302' });
    const r302 = await call(mock, { path, auth: 'none' });
    mock.control({ signedOutAnswer: '203' });
    assert.equal(r302.status, 302);
    assert.match(
      r302.headers.location,
      /^https:\/\/spsprod\.vssps\.visualstudio\.com\/_signin\?realm=dev\.azure\.com&reply_to=https%3A%2F%2Fdev\.azure\.com%2Fcontoso%2F_apis%2Fprojects/,
    );
    assert.equal((await call(mock, { path, auth: 'bearer' })).status, 200);
    const badPat = await call(mock, {
      path,
      auth: 'none',
      headers: { authorization: `Basic ${Buffer.from(':wrong').toString('base64')}`, 'x-tfs-fedauthredirect': 'Suppress' },
    });
    assert.equal(badPat.status, 401);
  });

  test('sign-in page sets a session cookie; the session expires after N requests', async () => {
    const signIn = new URL(mock.signInUrl(`/contoso/${encodeURIComponent(P.name)}/_settings/adminservices`));
    const page = await call(mock, { path: signIn.pathname + signIn.search, auth: 'none' });
    assert.equal(page.status, 200);
    assert.match(page.text, /<button[^>]*>Sign in<\/button>/);
    const post = await call(mock, {
      method: 'POST',
      path: '/_signin',
      auth: 'none',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `reply_to=${encodeURIComponent(signIn.searchParams.get('reply_to'))}`,
    });
    assert.equal(post.status, 302);
    assert.equal(post.headers.location, `https://dev.azure.com/contoso/${encodeURIComponent(P.name)}/_settings/adminservices`);
    const cookie = /UserAuthentication=([^;]+)/.exec(post.headers['set-cookie'][0])[1];
    assert.match(post.headers['set-cookie'][0], /Secure; HttpOnly/);
    const html = await call(mock, { path: `/contoso/${encodeURIComponent(P.name)}/_settings/adminservices`, auth: cookie });
    assert.equal(html.status, 200);
    assert.match(html.headers['content-security-policy'], /script-src 'self' 'nonce-[^']+'/);
    assert.match(html.text, /<script id="dataProviders" type="application\/json">/);
    assert.ok(!/<img src=x/.test(html.text), 'no raw HTML-looking names in the page');

    mock.control({ faults: { expireSessionAfter: 2 } });
    const path = '/contoso/_apis/projects?api-version=7.1';
    const h = { 'x-tfs-fedauthredirect': 'Suppress' };
    assert.equal((await call(mock, { path, auth: cookie, headers: h })).status, 200);
    assert.equal((await call(mock, { path, auth: cookie, headers: h })).status, 200);
    assert.equal((await call(mock, { path, auth: cookie, headers: h })).status, 401, 'expired after 2 requests');
    assert.equal((await call(mock, { path, auth: 'pat', headers: h })).status, 401, 'tokens too, until a new sign-in');
    const again = await call(mock, {
      method: 'POST',
      path: '/_signin',
      auth: 'none',
      body: 'reply_to=https%3A%2F%2Fdev.azure.com%2Fcontoso%2F',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const fresh = /UserAuthentication=([^;]+)/.exec(again.headers['set-cookie'][0])[1];
    assert.equal((await call(mock, { path, auth: fresh, headers: h })).status, 200);
    assert.equal((await call(mock, { path, auth: 'pat' })).status, 200);
  });

  test('pages redirect to sign-in; sign-in on spsprod hands the session to the reply host', async () => {
    const r = await call(mock, {
      host: 'contoso.visualstudio.com',
      path: `/${encodeURIComponent(P.name)}/_settings/adminservices`,
      auth: 'none',
    });
    assert.equal(r.status, 302);
    const loc = new URL(r.headers.location);
    assert.equal(loc.host, 'spsprod.vssps.visualstudio.com');
    const post = await call(mock, {
      host: loc.host,
      method: 'POST',
      path: '/_signin',
      auth: 'none',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `reply_to=${encodeURIComponent(loc.searchParams.get('reply_to'))}`,
    });
    const cb = new URL(post.headers.location);
    assert.equal(cb.host, 'contoso.visualstudio.com');
    const done = await call(mock, { host: cb.host, path: cb.pathname + cb.search, auth: 'none' });
    assert.equal(done.status, 302);
    assert.match(done.headers['set-cookie'][0], /^UserAuthentication=/);
    assert.equal(done.headers.location, `https://contoso.visualstudio.com/${encodeURIComponent(P.name)}/_settings/adminservices`);
  });
});

describe('throttling, faults, paging', () => {
  test('per-user throttling: warn headers, delayed 200s, then 429 TF400733 with Retry-After', async () => {
    mock.control({ throttle: { limit: 4, windowMs: 60_000, blockAt: 6, delayMs: 30, warnRatio: 0.5 } });
    const path = '/contoso/_apis/projects?api-version=7.1';
    const rs = [];
    for (let i = 0; i < 7; i++) rs.push(await call(mock, { path }));
    mock.control({ throttle: false });
    assert.deepEqual(
      rs.map((r) => r.status),
      [200, 200, 200, 200, 200, 200, 429],
    );
    assert.equal(rs[0].headers['x-ratelimit-limit'], undefined, 'no headers far from the limit');
    assert.equal(rs[2].headers['x-ratelimit-limit'], '4');
    assert.equal(rs[2].headers['x-ratelimit-remaining'], '1');
    for (const r of rs.slice(4, 6)) {
      assert.equal(r.headers['x-ratelimit-delay'], '0.030');
      assert.equal(r.headers['x-ratelimit-remaining'], '0');
      assert.ok(Number(r.headers['retry-after']) >= 1);
      assert.ok(Number(r.headers['x-ratelimit-reset']) > Date.now() / 1000);
    }
    assert.match(rs[6].json.message, /^TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource/);
    assert.ok(Number(rs[6].headers['retry-after']) >= 1);
    assert.equal(rs[6].headers['x-ratelimit-resource'], 'ServiceEndpoints');
  });

  test('5xx on the next N requests, and a hung request', async () => {
    const path = '/contoso/_apis/projects?api-version=7.1';
    mock.control({ faults: { failNext: 2, failStatus: 503 } });
    const s = [];
    for (let i = 0; i < 3; i++) s.push((await call(mock, { path })).status);
    assert.deepEqual(s, [503, 503, 200]);
    mock.control({ faults: { hangNext: 1 } });
    await assert.rejects(call(mock, { path, timeoutMs: 300 }), /timeout/);
    assert.equal((await call(mock, { path })).status, 200);
    assert.ok(mock.requests.some((r) => r.status === 'hung'));
  });

  test('projects paging with $top/$skip/continuationToken and x-ms-continuationtoken', async () => {
    const big = await startMock({ seed: 9, projects: 7, connectionsPerProject: 1 });
    try {
      const all = await call(big, { path: '/contoso/_apis/projects?api-version=7.1' });
      assert.equal(all.json.count, 7);
      assert.equal(all.headers['x-ms-continuationtoken'], undefined);
      const names = [];
      let token = null;
      let pages = 0;
      do {
        const r = await call(big, { path: `/contoso/_apis/projects?api-version=7.1&$top=3${token ? `&continuationToken=${token}` : ''}` });
        names.push(...r.json.value.map((p) => p.name));
        token = r.headers['x-ms-continuationtoken'];
        pages++;
      } while (token);
      assert.equal(pages, 3);
      assert.deepEqual(
        names,
        big.state.projects.map((p) => p.name),
      );
      const skip = await call(big, { path: '/contoso/_apis/projects?api-version=7.1&$skip=5' });
      assert.deepEqual(
        skip.json.value.map((p) => p.name),
        big.state.projects.slice(5).map((p) => p.name),
      );
      assert.equal(skip.headers['x-ms-continuationtoken'], undefined);
    } finally {
      await big.close();
    }
  });
});

describe('endpoint filters, keys and secrets', () => {
  test('type/authSchemes case-insensitive, endpointIds, actionFilter names and numbers, includeFailed', async () => {
    const base = `/contoso/${P.id}/_apis/serviceendpoint/endpoints?api-version=7.1`;
    const all = (await call(mock, { path: `${base}&includeFailed=true` })).json.value;
    const arm = (await call(mock, { path: `${base}&includeFailed=true&type=AzureRM&authSchemes=serviceprincipal,PublishProfile` })).json
      .value;
    assert.deepEqual(
      arm.map((e) => e.id),
      all.filter((e) => e.type === 'azurerm' && ['ServicePrincipal', 'PublishProfile'].includes(e.authorization.scheme)).map((e) => e.id),
    );
    const ids = all.slice(0, 3).map((e) => e.id.toUpperCase());
    assert.equal((await call(mock, { path: `${base}&includeFailed=true&endpointIds=${ids.join(',')}` })).json.count, 3);
    const use = (await call(mock, { path: `${base}&includeFailed=true&actionFilter=use` })).json.value;
    const use16 = (await call(mock, { path: `${base}&includeFailed=true&actionFilter=16` })).json.value;
    assert.deepEqual(use, use16);
    assert.equal(use.length, all.filter((e) => !e.isDisabled).length);
    assert.equal((await call(mock, { path: `${base}&actionFilter=sometimes` })).status, 400);
    const hidden = (await call(mock, { path: `${base}&includeFailed=false` })).json.value;
    assert.ok(hidden.every((e) => e.operationStatus?.state !== 'Failed'));
    assert.ok(all.length >= hidden.length);
    const failedAnywhere = [...mock.state.endpoints.values()].filter((e) => e.operationStatus?.state === 'Failed');
    assert.ok(failedAnywhere.length > 0, 'the scenario has failed connections');
  });

  test('the scenario covers every kind, shared and disabled connections, HTML-looking names', async () => {
    const kinds = new Set([...mock.state.meta.values()].map((m) => m.kind));
    assert.ok(kinds.size >= 30, `all kinds present (${kinds.size})`);
    const eps = [...mock.state.endpoints.values()];
    assert.ok(
      eps.some((e) => e.serviceEndpointProjectReferences.length > 1),
      'shared',
    );
    assert.ok(
      eps.some((e) => e.isDisabled),
      'disabled',
    );
    assert.ok(
      eps.some((e) => e.name.includes('<img src=x onerror=alert(1)>')),
      'HTML-looking name',
    );
    assert.ok(
      eps.some((e) => [...e.name].some((ch) => ch.codePointAt(0) > 0x7f)),
      'unicode name',
    );
    const issuers = eps.map((e) => e.authorization.parameters?.workloadIdentityFederationIssuer).filter(Boolean);
    assert.ok(
      issuers.some((i) => i.startsWith('https://vstoken.dev.azure.com/')) &&
        issuers.some((i) => i.startsWith('https://login.microsoftonline.com/')),
      'both issuers',
    );
    // A shared connection is listed in each project, under that project's name for it.
    const shared = eps.find((e) => e.serviceEndpointProjectReferences.length > 1);
    for (const ref of shared.serviceEndpointProjectReferences) {
      const seen = mock.endpointsFor(ref.projectReference.id).find((e) => e.id === shared.id);
      assert.equal(seen.name, ref.name);
      assert.equal(seen.isShared, true);
    }
  });

  test('drafts: WIF, creationMode Manual, isDraft "true", issuer and subject; isReady knob', async () => {
    const d = byKind('azurerm-draft')[0];
    const got = await getEp(d);
    assert.equal(got.authorization.scheme, 'WorkloadIdentityFederation');
    assert.equal(got.data.isDraft, 'true');
    assert.equal(got.data.creationMode, 'Manual');
    assert.ok(
      got.authorization.parameters.workloadIdentityFederationIssuer && got.authorization.parameters.workloadIdentityFederationSubject,
    );
    assert.equal(got.isReady, true);
    mock.control({ draftsReady: false });
    assert.equal((await getEp(d)).isReady, false);
    mock.control({ draftsReady: true });
  });
});

describe('conversion and revert', () => {
  test('mode A: 200, Entra issuer and subject, 7-day deadline in 7-decimal ISO, Ready; then revert, then no recovery data', async () => {
    const e = byKind('azurerm-sp-manual-fic')[0];
    const before = await getEp(e);
    const t0 = Date.now();
    const r = await put(e, withScheme(before, 'WorkloadIdentityFederation'));
    assert.equal(r.status, 200, r.text);
    const p = r.json.authorization.parameters;
    assert.equal(r.json.authorization.scheme, 'WorkloadIdentityFederation');
    assert.equal(p.workloadIdentityFederationIssuer, `https://login.microsoftonline.com/${before.authorization.parameters.tenantid}/v2.0`);
    assert.deepEqual(parseEntraSubject(p.workloadIdentityFederationSubject), {
      cloud: 'pub',
      tenantId: before.authorization.parameters.tenantid,
      appId: '499b84ac-1321-427f-aa17-267ca6975798',
      orgId: mock.state.organization.id,
      endpointId: e.id,
    });
    assert.equal(p.workloadIdentityFederationIssuerType, 'EntraID');
    assert.equal(p.serviceprincipalkey, undefined);
    assert.match(r.json.data.revertSchemeDeadline, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    const deadline = Date.parse(r.json.data.revertSchemeDeadline);
    assert.ok(Math.abs(deadline - (t0 + 7 * 86_400_000)) < 5000);
    assert.deepEqual(r.json.operationStatus, { state: 'Ready', statusMessage: '' });
    // Convert again: same scheme.
    const again = await put(e, withScheme(r.json, 'WorkloadIdentityFederation'));
    assert.equal(again.status, 400);
    assert.equal(
      again.json.message,
      'Converting endpoint type azurerm scheme from WorkloadIdentityFederation to WorkloadIdentityFederation is neither an upgrade or a downgrade and is not supported.',
    );
    // Revert: the GET result with the scheme changed (deadline equal to the stored one is fine).
    const rev = await put(e, { ...structuredClone(r.json), authorization: { ...r.json.authorization, scheme: 'ServicePrincipal' } });
    assert.equal(rev.status, 200, rev.text);
    assert.deepEqual(rev.json.authorization, before.authorization, 'the saved parameters are back (secret as null)');
    assert.equal(rev.json.data.revertSchemeDeadline, undefined);
    const rev2 = await put(e, withScheme(await getEp(e), 'ServicePrincipal'));
    assert.equal(rev2.status, 400);
    assert.match(rev2.json.message, /neither an upgrade or a downgrade/);
    assert.deepEqual(mock.convertedTwice(), []);
  });

  test('revert after the deadline has no recovery data', async () => {
    const e = byKind('azurerm-converted-revertible')[0];
    mock.control({ advanceClockMs: 8 * 86_400_000 });
    const r = await put(e, { ...(await getEp(e)), authorization: { ...(await getEp(e)).authorization, scheme: 'ServicePrincipal' } });
    mock.control({ advanceClockMs: -8 * 86_400_000 });
    assert.equal(r.status, 400);
    assert.equal(
      r.json.message,
      'Endpoint scheme could not be downgraded from WorkloadIdentityFederation to ServicePrincipal as no recovery data exist for this endpoint.',
    );
    const expired = byKind('azurerm-converted-expired')[0];
    const r2 = await put(expired, {
      ...(await getEp(expired)),
      authorization: { ...(await getEp(expired)).authorization, scheme: 'ServicePrincipal' },
    });
    assert.equal(r2.status, 400);
    const ok = await put(e, { ...(await getEp(e)), authorization: { ...(await getEp(e)).authorization, scheme: 'ServicePrincipal' } });
    assert.equal(ok.status, 200, 'inside the window it reverts');
  });

  test('mode B: 202 InProgress/converting_scheme with the unconverted endpoint, then Ready (or Failed) after polls', async () => {
    const [e1, e2] = byKind('azurerm-sp-automatic').filter((e) => !e.isDisabled && e.serviceEndpointProjectReferences.length === 1);
    const b1 = await getEp(e1);
    const r = await put(e1, withScheme(b1, 'WorkloadIdentityFederation'), { scoped: false });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.authorization.scheme, 'ServicePrincipal');
    assert.deepEqual(r.json.operationStatus, { state: 'InProgress', statusMessage: 'converting_scheme' });
    const busy = await put(e1, withScheme(b1, 'WorkloadIdentityFederation'));
    assert.equal(busy.status, 202, 'a repeated convert while converting answers 202 again');
    const poll1 = await getEp(e1);
    assert.equal(poll1.operationStatus.state, 'InProgress');
    const poll2 = await getEp(e1);
    assert.equal(poll2.operationStatus.state, 'Ready');
    assert.equal(poll2.authorization.scheme, 'WorkloadIdentityFederation');

    mock.setMeta(e2.id, { outcome: 'Failed', pollsToSettle: 1 });
    const r2 = await put(e2, withScheme(await getEp(e2), 'WorkloadIdentityFederation'));
    assert.equal(r2.status, 202);
    const failed = await getEp(e2);
    assert.deepEqual(failed.operationStatus, { state: 'Failed', statusMessage: 'converting_scheme_failed' });
    assert.equal(failed.authorization.scheme, 'ServicePrincipal');
    assert.deepEqual(mock.convertedTwice(), [], 'a repeated 202 is not a second conversion');
  });

  test('mode C, another operation in progress, 403, missing project reference, not-modified check', async () => {
    const manual = byKind('azurerm-sp-manual')[0];
    const m = await getEp(manual);
    const c = await put(manual, withScheme(m, 'WorkloadIdentityFederation'));
    assert.equal(c.status, 400);
    assert.equal(
      c.json.message,
      'The authorization scheme could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists.',
    );
    assert.deepEqual(await getEp(manual), m, 'unchanged');

    const creating = byKind('azurerm-creating')[0];
    mock.setMeta(creating.id, { busyPolls: 100 });
    const busy = await put(creating, withScheme(creating, 'WorkloadIdentityFederation'));
    assert.equal(busy.status, 400);
    assert.match(
      busy.json.message,
      /^Cannot perform this operation since another operation is already in progress with current status '.*'\. Try again later\.$/,
    );

    const auto = byKind('azurerm-sp-automatic').at(-1);
    const a = await getEp(auto);
    mock.setMeta(auto.id, { admin: false });
    const forbidden = await put(auto, withScheme(a, 'WorkloadIdentityFederation'));
    mock.setMeta(auto.id, { admin: true });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.json.message, /You need to be an Administrator on this service connection/);

    const noRef = await put(auto, { ...withScheme(a, 'WorkloadIdentityFederation'), serviceEndpointProjectReferences: [] });
    assert.equal(noRef.status, 400);
    assert.equal(noRef.json.message, 'Project reference must be set in the updated endpoint.');

    const renamed = await put(auto, { ...withScheme(a, 'WorkloadIdentityFederation'), name: `${a.name} x` });
    assert.equal(renamed.status, 400);
    assert.equal(
      renamed.json.message,
      'Properties cannot be changed during service connection upgrade. Property name does not match current endpoint value. Set it to the original value or do not provide at all.',
    );
    const withDeadline = withScheme(a, 'WorkloadIdentityFederation');
    withDeadline.data.revertSchemeDeadline = '2030-01-01T00:00:00.0000000Z';
    assert.match((await put(auto, withDeadline)).json.message, /Property revertSchemeDeadline does not match/);
    const otherCase = withScheme(a, 'WorkloadIdentityFederation');
    otherCase.data = { SUBSCRIPTIONID: a.data.subscriptionId, creationmode: 'Automatic' };
    otherCase.authorization.parameters = { TenantId: a.authorization.parameters.tenantid, ServicePrincipalKey: null };
    mock.setMeta(auto.id, { convert: 'A' });
    const minimal = await put(auto, otherCase);
    assert.equal(minimal.status, 200, `case-insensitive keys, nulls ignored: ${minimal.text}`);

    const rejected = mock.rejections().map((x) => x.message);
    assert.ok(rejected.some((x) => x.startsWith('Properties cannot be changed')));
    assert.ok(mock.conversions.every((x) => typeof x.at === 'number' && x.id && x.op));
  });

  test('issuer knob: Azure DevOps issuer and sc:// subject from the home project', async () => {
    mock.control({ conversion: { issuer: 'azureDevOps' } });
    const e = byKind('azurerm-sp-manual-fic').find((x) => x.authorization.scheme === 'ServicePrincipal');
    const b = await getEp(e);
    const r = await put(e, withScheme(b, 'WorkloadIdentityFederation'));
    mock.control({ conversion: { issuer: 'entra' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(
      r.json.authorization.parameters.workloadIdentityFederationIssuer,
      `https://vstoken.dev.azure.com/${mock.state.organization.id}`,
    );
    assert.equal(
      r.json.authorization.parameters.workloadIdentityFederationSubject,
      `sc://contoso/${home(e).name}/${e.serviceEndpointProjectReferences[0].name}`,
    );
  });
});

describe('share, unshare, delete, update; the request record; the control endpoint', () => {
  test('PATCH shares, DELETE from another project unshares, DELETE from home deletes', async () => {
    const [p0, p1] = mock.state.projects;
    const e =
      mock.endpointsFor(p0.id).find((x) => x.serviceEndpointProjectReferences.length === 1 && x.type === 'generic') ??
      mock.endpointsFor(p0.id).find((x) => x.serviceEndpointProjectReferences.length === 1);
    const share = await call(mock, {
      method: 'PATCH',
      path: `/contoso/_apis/serviceendpoint/endpoints/${e.id}?api-version=7.1`,
      body: [{ projectReference: { id: p1.id, name: p1.name }, name: 'borrowed', description: '' }],
    });
    assert.equal(share.status, 204);
    const there = mock.endpointsFor(p1.id).find((x) => x.id === e.id);
    assert.equal(there.name, 'borrowed');
    assert.equal(there.isShared, true);
    const unshare = await call(mock, {
      method: 'DELETE',
      path: `/contoso/_apis/serviceendpoint/endpoints/${e.id}?projectIds=${p1.id}&api-version=7.1`,
    });
    assert.equal(unshare.status, 204);
    assert.equal(
      mock.endpointsFor(p1.id).find((x) => x.id === e.id),
      undefined,
    );
    assert.ok(mock.getEndpoint(e.id));
    assert.equal(
      (await call(mock, { method: 'DELETE', path: `/contoso/_apis/serviceendpoint/endpoints/${e.id}?api-version=7.1` })).status,
      400,
      'projectIds is required',
    );
    const n = mock.countEndpoints();
    assert.equal(
      (await call(mock, { method: 'DELETE', path: `/contoso/_apis/serviceendpoint/endpoints/${e.id}?projectIds=${p0.id}&api-version=7.1` }))
        .status,
      204,
    );
    assert.equal(mock.countEndpoints(), n - 1);
    const gone = await call(mock, { path: `/contoso/${p0.id}/_apis/serviceendpoint/endpoints/${e.id}?api-version=7.1` });
    assert.equal(gone.status, 200);
    assert.equal(gone.json, null, 'unknown id: 200 with a null body (2019 report)');
  });

  test('plain PUT keeps secrets sent as null; unknown operation is refused', async () => {
    const e = [...mock.state.endpoints.values()].find(
      (x) => ['generic', 'ssh'].includes(x.type) && Object.keys(mock.store.secrets.get(x.id)).length > 0,
    );
    const secretsBefore = Object.keys(mock.store.secrets.get(e.id));
    const b = await getEp(e);
    assert.equal(b.authorization.parameters.password, null);
    const r = await put(e, { ...b, url: 'https://changed.example' }, { q: 'api-version=7.1' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.url, 'https://changed.example');
    assert.deepEqual(Object.keys(mock.store.secrets.get(e.id)), secretsBefore, 'the stored secret survived an update that sent null');
    const bad = await put(e, b, { q: 'operation=Frobnicate&api-version=7.1' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /Operation 'Frobnicate' is invalid/);
  });

  test('requests are recorded without credentials; the control endpoint needs its token', async () => {
    const r = mock.requests.find((x) => x.via === 'pat');
    assert.match(r.headers.authorization, /^Basic \[redacted\]$/);
    assert.ok(!JSON.stringify(mock.requests).includes(mock.pat));
    const noToken = await call(mock, { method: 'POST', path: '/_mock/control', auth: 'none', body: { latencyMs: 5 } });
    assert.equal(noToken.status, 403);
    const ok = await call(mock, {
      method: 'POST',
      path: '/_mock/control',
      auth: 'none',
      headers: { 'x-mock-token': mock.controlToken },
      body: { layout: 'noLink' },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.knobs.layout, 'noLink');
    mock.control({ layout: 'rowLink' });
    const reqs = await call(mock, { path: '/_mock/requests?since=0', auth: 'none', headers: { 'x-mock-token': mock.controlToken } });
    assert.equal(reqs.json.length, mock.requests.length);
  });
});
