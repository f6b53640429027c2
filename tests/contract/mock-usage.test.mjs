// Honesty of the mock's usage answers: `executionhistory` has the shape of the official example
// and validates against both serviceEndpoint specs; build timelines validate against the Build
// 7.1 spec and are read by Microsoft's azure-devops-node-api; the 401/403/404 variants answer
// with the service's error body.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as azdev from 'azure-devops-node-api';
import { scenarioDemo, startMock } from '../mock/server.mjs';
import { call, readJson, responseSchema, samplesDir, specPath, validate } from './helpers.mjs';

const HISTORY = '/{organization}/{project}/_apis/serviceendpoint/{endpointId}/executionhistory';
const TIMELINE = '/{organization}/{project}/_apis/build/builds/{buildId}/timeline/{timelineId}';
const example = readJson(join(samplesDir, 'usage', 'GET__ServiceEndpointExecutionRecords.json'));
const buildSpec = readJson(join(samplesDir, 'usage', 'build-7.1.json'));

/** Every key path of a JSON value with its JSON type (arrays by their first item). */
function shape(value, path = '', out = new Map()) {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  out.set(path, type);
  if (type === 'array' && value.length) shape(value[0], `${path}[]`, out);
  if (type === 'object') for (const [k, v] of Object.entries(value)) shape(v, `${path}.${k}`, out);
  return out;
}

describe('the mock answers usage as the service does', () => {
  let mock;
  const payments = 'c7e5f0b3-71fa-4429-9fb3-3321963a7c06';
  const prod = '64171687-7a59-4fce-b2c8-823278dcf176';
  before(async () => {
    mock = await startMock({ scenario: scenarioDemo() });
  });
  after(() => mock?.close());

  const history = (project, id, top = 5, version = '7.1-preview.1') =>
    call(mock, { path: `/contoso/${project}/_apis/serviceendpoint/${id}/executionhistory?top=${top}&api-version=${version}` });

  test('executionhistory has the official example shape and validates against both specs', async () => {
    const res = await history(payments, prod);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.count, res.json.value.length);
    assert.equal(res.json.count, 3);
    // Every field of the official example is there, with the same JSON type.
    const want = shape(example.responses['200'].body.value[0]);
    const got = shape(res.json.value[0]);
    for (const [path, type] of want) assert.equal(got.get(path), type, `field ${path}`);
    for (const version of ['7.1', '7.2']) {
      const spec = readJson(specPath(version));
      const errors = validate(res.json.value, responseSchema(spec, 'get', HISTORY), spec.definitions);
      assert.deepEqual(errors.slice(0, 10), [], `executionhistory against ${version}`);
    }
    // Newest first; `top` bounds the page.
    const times = res.json.value.map((r) => Date.parse(r.data.finishTime));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const one = await history(payments, prod, 1);
    assert.equal(one.json.count, 1);
    assert.equal((await history(payments, prod, 'x')).status, 400);
    // A never-used connection answers an empty list.
    const never = await history(payments, '1d5d6c9e-3f6a-4c3e-8a8e-0b4c2f1e9d70');
    assert.deepEqual(never.json, { count: 0, value: [] });
  });

  test('a build run of the history has a timeline that validates against the Build 7.1 spec', async () => {
    const res = await history(payments, prod);
    const build = res.json.value.find((r) => r.data.planType === 'Build');
    const tl = await call(mock, { path: `/contoso/Payments/_apis/build/builds/${build.data.owner.id}/timeline?api-version=7.1` });
    assert.equal(tl.status, 200, tl.text);
    const errors = validate(tl.json, responseSchema(buildSpec, 'get', TIMELINE), buildSpec.definitions);
    assert.deepEqual(errors.slice(0, 10), [], 'timeline against build 7.1');
    const tasks = tl.json.records.filter((r) => r.type === 'Task').map((r) => `${r.task.name}@${r.task.version}`);
    assert.deepEqual(tasks, ['AzureCLI@2.245.1', 'AzureFileCopy@4.248.2']);
    // The optional {timelineId} segment, and unknown or release runs.
    const withId = await call(mock, {
      path: `/contoso/Payments/_apis/build/builds/${build.data.owner.id}/timeline/${tl.json.id}?api-version=7.1`,
    });
    assert.equal(withId.status, 200);
    const release = res.json.value.find((r) => r.data.planType === 'Release');
    const none = await call(mock, { path: `/contoso/Payments/_apis/build/builds/${release.data.owner.id}/timeline?api-version=7.1` });
    assert.equal(none.status, 404);
    assert.match(none.json.message, /could not be found/);
  });

  test('azure-devops-node-api reads the same timeline', async () => {
    const res = await history(payments, prod);
    const build = res.json.value.find((r) => r.data.planType === 'Build');
    const api = new azdev.WebApi(mock.localOrgUrl, azdev.getPersonalAccessTokenHandler(mock.pat), { cert: { caFile: mock.caPath } });
    const tl = await (await api.getBuildApi()).getBuildTimeline('Payments', build.data.owner.id);
    const tasks = tl.records.filter((r) => r.type === 'Task').map((r) => r.task.name);
    assert.deepEqual(tasks, ['AzureCLI', 'AzureFileCopy']);
    assert.ok(tl.records[0].finishTime instanceof Date, 'node-api parsed the dates');
  });

  test('401, 403 and 404 variants answer with the error body', async () => {
    const cert = '2be9fa0c-d3e5-4f67-8c34-8e9fa0b1c2d3'; // ml-workspace-cert: 403 in the demo
    const data = '9d3f7e62-1b44-4f0a-8c7e-6a2b5d4c3e10';
    const forbidden = await history(data, cert);
    assert.equal(forbidden.status, 403);
    for (const k of ['$id', 'innerException', 'message', 'typeName', 'typeKey', 'errorCode', 'eventId']) assert.ok(k in forbidden.json, k);
    mock.setMeta(cert, { usage: '401' });
    const unauthorized = await history(data, cert);
    assert.equal(unauthorized.status, 401);
    assert.match(unauthorized.json.message, /TF400813/);
    mock.setMeta(cert, { usage: '404' });
    assert.equal((await history(data, cert)).status, 404);
    mock.setMeta(cert, { usage: null });
    // Not in that project: 404 too.
    assert.equal((await history(payments, cert)).status, 404);
  });
});
