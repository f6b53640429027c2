// Honesty checks of the mock against the official material: its responses validate against the
// OpenAPI schemas of serviceEndpoint 7.1 and 7.2, and the official HTTP examples replayed
// against it give their documented status codes and data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { call, exampleFiles, readJson, responseSchema, specPath, validate } from './helpers.mjs';

describe('mock responses validate against the OpenAPI specs', () => {
  let mock;
  const specs = {};
  before(async () => {
    specs['7.1'] = readJson(specPath('7.1'));
    specs['7.2'] = readJson(specPath('7.2'));
    mock = await startMock({ seed: 3, projects: 4, connectionsPerProject: 40 });
  });
  after(() => mock?.close());

  const check = (version, method, template, body, what) => {
    const spec = specs[version];
    const schema = responseSchema(spec, method, template);
    // The specs describe lists as bare arrays; the service wraps them as {count, value}.
    let value = body;
    if (schema?.type === 'array') {
      assert.equal(typeof body?.count, 'number', `${what}: list envelope has count`);
      assert.ok(Array.isArray(body.value), `${what}: list envelope has value`);
      assert.equal(body.count, body.value.length, `${what}: count = value.length`);
      value = body.value;
    }
    const errors = validate(value, schema, spec.definitions);
    assert.deepEqual(errors.slice(0, 10), [], `${what} (${version}) has schema errors`);
  };

  test('lists, single GETs and execution history of every project', async () => {
    let endpoints = 0;
    for (const p of mock.state.projects) {
      const list = await call(mock, {
        path: `/contoso/${encodeURIComponent(p.name)}/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1`,
      });
      assert.equal(list.status, 200);
      for (const v of ['7.1', '7.2'])
        check(v, 'get', '/{organization}/{project}/_apis/serviceendpoint/endpoints', list.json, `list of ${p.name}`);
      for (const e of list.json.value) {
        endpoints++;
        const one = await call(mock, { path: `/contoso/${p.id}/_apis/serviceendpoint/endpoints/${e.id}?api-version=7.2-preview.4` });
        assert.equal(one.status, 200);
        for (const v of ['7.1', '7.2'])
          check(v, 'get', '/{organization}/{project}/_apis/serviceendpoint/endpoints/{endpointId}', one.json, `endpoint ${e.id}`);
        assert.deepEqual(one.json, e, 'GET one equals its list entry');
      }
      const first = list.json.value[0];
      const hist = await call(mock, { path: `/contoso/${p.id}/_apis/serviceendpoint/${first.id}/executionhistory?top=3&api-version=7.1` });
      assert.equal(hist.status, 200);
      check('7.1', 'get', '/{organization}/{project}/_apis/serviceendpoint/{endpointId}/executionhistory', hist.json, 'executionhistory');
    }
    assert.equal(endpoints >= mock.countEndpoints(), true, 'every endpoint was seen from some project');
  });

  test('types, update, convert and create answers', async () => {
    const types = await call(mock, { path: '/contoso/_apis/serviceendpoint/types?api-version=7.1' });
    assert.equal(types.status, 200);
    check('7.1', 'get', '/{organization}/_apis/serviceendpoint/types', types.json, 'types');

    const p = mock.state.projects[0];
    const list = (
      await call(mock, {
        path: `/contoso/${p.id}/_apis/serviceendpoint/endpoints?type=azurerm&authSchemes=ServicePrincipal&includeFailed=false&api-version=7.1`,
      })
    ).json.value;
    const candidate = list.find((e) => e.data.creationMode === 'Automatic' && !e.operationStatus);
    assert.ok(candidate, 'an automatic secret-based azurerm connection exists');
    mock.setMeta(candidate.id, { convert: 'A' });
    const converted = await call(mock, {
      method: 'PUT',
      path: `/contoso/_apis/serviceendpoint/endpoints/${candidate.id}?operation=ConvertAuthenticationScheme&api-version=7.1`,
      body: { ...candidate, authorization: { ...candidate.authorization, scheme: 'WorkloadIdentityFederation' } },
    });
    assert.equal(converted.status, 200, converted.text);
    check('7.1', 'put', '/{organization}/_apis/serviceendpoint/endpoints/{endpointId}', converted.json, 'converted endpoint');

    const created = await call(mock, {
      method: 'POST',
      path: '/contoso/_apis/serviceendpoint/endpoints?api-version=7.1',
      body: {
        name: 'new generic',
        type: 'generic',
        url: 'https://x.example',
        authorization: { scheme: 'UsernamePassword', parameters: { username: 'u', password: 'p' } },
        serviceEndpointProjectReferences: [{ projectReference: { id: p.id, name: p.name }, name: 'new generic' }],
      },
    });
    assert.equal(created.status, 200, created.text);
    check('7.2', 'post', '/{organization}/_apis/serviceendpoint/endpoints', created.json, 'created endpoint');
    assert.equal(created.json.authorization.parameters.password, null, 'the new secret comes back null');
  });

  test('no secret value ever leaves the mock; secret keys come back null', async () => {
    for (const p of mock.state.projects) {
      const res = await call(mock, { path: `/contoso/${p.id}/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1` });
      assert.ok(!res.text.includes('mock-secret-value-not-real'), `no secret value in ${p.name}'s list`);
      for (const e of res.json.value) {
        for (const [k, v] of Object.entries(e.authorization?.parameters ?? {})) {
          if (
            /^(serviceprincipalkey|password|serviceprincipalcertificate|apitoken|accesstoken|publishprofile|kubeconfig|certificate)$/i.test(
              k,
            )
          )
            assert.equal(v, null, `${e.id} ${k}`);
        }
      }
    }
  });
});

// ---- the official examples ------------------------------------------------------------------

/** The request of an example: method, URL, headers, body. */
function exampleRequest(ex) {
  const url = new URL(ex['x-ms-vss-request-url'].replace(/ /g, '%20'));
  const params = ex.parameters ?? {};
  if (params['api-version'] && !url.searchParams.has('api-version')) url.searchParams.set('api-version', params['api-version']);
  const headers = {};
  if (params.accept) headers.accept = params.accept;
  const body = Object.entries(params).find(([, v]) => v && typeof v === 'object')?.[1];
  return { method: ex['x-ms-vss-request-method'] ?? 'GET', url, headers, body };
}

/** A fabrikam organization holding every project and endpoint the examples mention. */
function scenarioFromExamples(files) {
  const projects = new Map();
  const addProject = (id, name) => {
    const key = (name ?? id).toLowerCase();
    if (!projects.has(key))
      projects.set(key, {
        id: id ?? `0000aaaa-0000-4000-8000-${String(projects.size + 1).padStart(12, '0')}`,
        name,
        state: 'wellFormed',
        revision: 1,
        visibility: 'private',
      });
    return projects.get(key);
  };
  addProject('c7e5f0b3-71fa-4429-9fb3-3321963a7c06', 'TestProject');
  const endpoints = new Map();
  const addEndpoint = (e, project) => {
    if (!e?.id || !e.type) return;
    const have = endpoints.get(e.id) ?? { ...structuredClone(e), serviceEndpointProjectReferences: [] };
    const refs = [
      ...(e.serviceEndpointProjectReferences ?? []),
      ...(project ? [{ projectReference: { id: project.id, name: project.name }, name: e.name, description: e.description ?? '' }] : []),
    ];
    for (const r of refs) {
      const p = r.projectReference.name
        ? addProject(r.projectReference.id, r.projectReference.name)
        : [...projects.values()].find((x) => x.id === r.projectReference.id);
      if (p && !have.serviceEndpointProjectReferences.some((x) => x.projectReference.id === p.id))
        have.serviceEndpointProjectReferences.push({
          projectReference: { id: p.id, name: p.name },
          name: r.name ?? e.name,
          description: r.description ?? '',
        });
    }
    endpoints.set(e.id, have);
  };
  for (const f of files) {
    const ex = readJson(f);
    const { url, body } = exampleRequest(ex);
    if (url.pathname.endsWith('/_apis/projects')) {
      for (const p of ex.responses['200'].body.value)
        Object.assign(addProject(p.id, p.name), { description: p.description, state: p.state });
      continue;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    const projectSeg = parts[1] !== '_apis' ? decodeURIComponent(parts[1]) : null;
    const project = projectSeg
      ? /^[0-9a-f-]{36}$/i.test(projectSeg)
        ? [...projects.values()].find((p) => p.id === projectSeg)
        : addProject(null, projectSeg)
      : null;
    const resp = Object.values(ex.responses)[0]?.body;
    if (f.endsWith('ListEndpointTypes.json')) continue;
    for (const e of resp?.value ?? (resp ? [resp] : [])) if (!f.includes('Create')) addEndpoint(e, project);
    for (const e of Array.isArray(body) ? body : body ? [body] : []) if (ex['x-ms-vss-request-method'] === 'PUT') addEndpoint(e, project);
    // Projects an endpoint is shared into exist in the organization.
    if (ex['x-ms-vss-request-method'] === 'PATCH') for (const r of body ?? []) addProject(r.projectReference.id, r.projectReference.name);
  }
  for (const e of endpoints.values())
    if (e.serviceEndpointProjectReferences.length === 0)
      e.serviceEndpointProjectReferences.push({
        projectReference: { id: [...projects.values()][0].id, name: [...projects.values()][0].name },
        name: e.name,
        description: '',
      });
  return {
    organization: { id: '6c2b0933-3600-42ae-bf8b-93d4f7e83594', name: 'fabrikam' },
    tenants: ['1272a66f-e2e8-4e88-ab43-487409186c3f'],
    projects: [...projects.values()],
    endpoints: [...endpoints.values()],
  };
}

describe('official examples replayed against the mock', () => {
  let mock;
  let files;
  before(async () => {
    files = exampleFiles();
    // The examples carry api-versions 1.0, 4.1-preview.1 and 6.0-preview.N. The real service
    // still accepts them; the mock refuses them by default (to catch clients sending old ones),
    // so the replay runs with `lenientApiVersions` and keeps each example's own version.
    console.log('# replaying with lenientApiVersions: the examples use api-versions below 7.1, sent unchanged');
    mock = await startMock({ scenario: scenarioFromExamples(files), lenientApiVersions: true });
  });
  after(() => mock?.close());

  test('every example gives its documented status, in a dependency-respecting order', async () => {
    const order = { GET: 0, POST: 1, PUT: 2, PATCH: 3, DELETE: 4 };
    const exs = files
      .map((f) => ({ f, ex: readJson(f) }))
      .sort((a, b) => order[a.ex['x-ms-vss-request-method'] ?? 'GET'] - order[b.ex['x-ms-vss-request-method'] ?? 'GET']);
    assert.ok(exs.length >= 15, 'all the examples were found');
    for (const { f, ex } of exs) {
      const name = f.split('/').pop();
      const { method, url, headers, body } = exampleRequest(ex);
      const expected = Number(Object.keys(ex.responses)[0]);
      const res = await call(mock, { method, path: url.pathname + url.search, headers, body });
      assert.equal(res.status, expected, `${name}: ${method} ${url.pathname}${url.search} -> ${res.status} ${res.text.slice(0, 300)}`);
      const doc = ex.responses[String(expected)].body;
      if (expected !== 200 || !doc) continue;
      if (name === 'ListEndpointTypes.json') {
        // The mock serves a subset of the ~300 KB type catalogue; its types must exist there.
        const official = new Set(doc.value.map((t) => t.name.toLowerCase()));
        for (const t of res.json.value) assert.ok(official.has(t.name.toLowerCase()), `type ${t.name} is an official one`);
        continue;
      }
      if (url.pathname.endsWith('/_apis/projects')) {
        // The examples' organization also holds the endpoint examples' projects: the documented
        // projects must be there, with every documented field, of the same JSON type.
        for (const d of doc.value) {
          const got = res.json.value.find((p) => p.id === d.id);
          assert.ok(got, `${name}: project ${d.name} listed`);
          for (const [k, v] of Object.entries(d)) assert.equal(typeof got[k], typeof v, `${name}: project field ${k}`);
          assert.equal(got.name, d.name);
        }
        continue;
      }
      if (doc.value && method === 'GET') {
        assert.deepEqual(
          res.json.value.map((e) => e.id).sort(),
          doc.value.map((e) => e.id).sort(),
          `${name}: same endpoints as documented`,
        );
        assert.equal(res.json.count, doc.count, `${name}: count`);
      } else if (doc.value && method === 'PUT') {
        assert.equal(res.json.count, doc.value.length, `${name}: count`);
      } else if (method === 'GET') {
        assert.equal(res.json.id, doc.id, `${name}: id`);
        assert.equal(res.json.name, doc.name, `${name}: name`);
        assert.equal(res.json.type, doc.type, `${name}: type`);
      } else {
        assert.equal(res.json.name, doc.name, `${name}: name`);
        assert.equal(res.json.type.toLowerCase(), doc.type.toLowerCase(), `${name}: type`);
        for (const [k, v] of Object.entries(doc.authorization?.parameters ?? {})) {
          if (v === null) assert.equal(res.json.authorization.parameters[k], null, `${name}: ${k} is null as documented`);
        }
      }
    }
    // After the replay: the shared 5e47a0d8 was deleted from TestProject, its home.
    assert.equal(mock.getEndpoint('5e47a0d8-c745-44f8-8f93-784f18ff31c4'), null, 'DeleteServiceEndpoint removed the endpoint');
  });
});
