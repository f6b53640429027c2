// A real client not written here, Microsoft's azure-devops-node-api, reads projects and service
// connections from the mock with a PAT and gets exactly the data the mock holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as azdev from 'azure-devops-node-api';
import { startMock } from '../mock/server.mjs';

let mock;
before(async () => {
  mock = await startMock({ seed: 11, projects: 7, connectionsPerProject: 9 });
});
after(() => mock?.close());

function connect() {
  // The loopback URL keeps the org in the path (as dev.azure.com does); the CA is the mock's own.
  const handler = azdev.getPersonalAccessTokenHandler(mock.pat);
  return new azdev.WebApi(mock.localOrgUrl, handler, { cert: { caFile: mock.caPath } });
}

test('azure-devops-node-api lists every project, page by page', async () => {
  const core = await connect().getCoreApi();
  const all = await core.getProjects();
  assert.deepEqual(
    all.map((p) => p.id),
    mock.state.projects.map((p) => p.id),
  );
  assert.deepEqual(
    all.map((p) => p.name),
    mock.state.projects.map((p) => p.name),
  );
  const page = await core.getProjects(undefined, 3, 2);
  assert.deepEqual(
    page.map((p) => p.name),
    mock.state.projects.slice(2, 5).map((p) => p.name),
  );
  // node-api parses dates of known fields into Date objects.
  assert.ok(all[0].lastUpdateTime instanceof Date && !Number.isNaN(all[0].lastUpdateTime.getTime()));
});

test('azure-devops-node-api lists and reads service connections as the mock holds them', async () => {
  const se = await connect().getServiceEndpointApi();
  let total = 0;
  for (const p of mock.state.projects) {
    const list = await se.getServiceEndpoints(p.name, undefined, undefined, undefined, undefined, true);
    const expected = mock.endpointsFor(p.name);
    assert.equal(list.length, expected.length, `${p.name}: count`);
    assert.deepEqual(list.map((e) => e.id).sort(), expected.map((e) => e.id).sort(), `${p.name}: ids`);
    for (const e of list) {
      const want = expected.find((x) => x.id === e.id);
      assert.equal(e.name, want.name);
      assert.equal(e.type, want.type);
      assert.deepEqual(e.authorization, want.authorization);
      assert.deepEqual(e.data, want.data);
      assert.deepEqual(e.serviceEndpointProjectReferences, want.serviceEndpointProjectReferences);
    }
    total += list.length;
    const one = await se.getServiceEndpointDetails(p.id, list[0].id);
    assert.equal(one.id, list[0].id);
    assert.equal(one.name, list[0].name);
    // Filters through the client's own query building: type and scheme, and names.
    const arm = await se.getServiceEndpoints(p.name, 'azurerm', ['ServicePrincipal'], undefined, undefined, true);
    assert.deepEqual(
      arm.map((e) => e.id).sort(),
      expected
        .filter((e) => e.type === 'azurerm' && e.authorization.scheme === 'ServicePrincipal')
        .map((e) => e.id)
        .sort(),
    );
    const byName = await se.getServiceEndpointsByNames(p.name, [list[0].name], undefined, undefined, undefined, true);
    assert.deepEqual(
      byName.map((e) => e.id),
      [list[0].id],
    );
  }
  assert.ok(total >= mock.countEndpoints(), 'shared connections appear in each project that references them');
  // The client really went through the mock, with its own versions and Basic auth.
  const calls = mock.requests.filter((r) => r.route === 'endpoints.list');
  assert.ok(calls.length >= mock.state.projects.length);
  assert.ok(
    calls.every((r) => r.via === 'pat' && /api-version=7\.2-preview\.4/.test(r.headers.accept)),
    'node-api sends 7.2-preview.4 in Accept',
  );
});
