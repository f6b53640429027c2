// What uses each connection, as the mock knows it: the jobs behind `executionhistory` and the
// build timelines of their runs. Shapes from the official example
// (`serviceEndpoint/7.2/httpExamples/executionhistory/GET__ServiceEndpointExecutionRecords.json`)
// and the Build 7.1 spec (`Timeline`, `TimelineRecord`, `TaskReference`), both committed under
// crates/federate-core/tests/fixtures/usage/ and checked by tests/contract/mock-usage.test.mjs.
//
// A connection's `_mock` (its meta) may carry:
//   history: [{ definition: {id, name}, planType: 'Build'|'Release', runId, finish (ISO), result,
//               tasks: [{name, version}] }]   explicit jobs, newest first or not
//   usage: '401' | '403' | '404'               its history can't be read by this user
// Without `history`, a connection with `lastUsed` gets a few generated build jobs of one
// pipeline, the newest finishing at `lastUsed`; without `lastUsed` it was never used.

const DAY = 86_400_000;

/** Well-known task ids (as in azure-pipelines-tasks), so timelines look real. */
const TASK_IDS = {
  AzureCLI: '46e4be58-730b-4389-8a2f-ea10b3e5e815',
  AzureFileCopy: 'eb72cb01-a7e5-427b-a8a1-1b31ccac8a43',
  AzurePowerShell: '72a1931b-effb-4d2e-8fd8-f8472a07cb62',
  Notation: '2a9f4a53-5c6e-4c0b-9bb7-3fa7bdfe3c0a',
  AzureLoadTest: '4c1a3a1e-4f4f-4b8e-a0bb-2d7c1ab0c6d1',
  SqlAzureDacpacDeployment: 'ce85a08b-a538-4d2b-8589-1d37a9ab970f',
  AzureWebApp: '18aa8d04-5e3e-4f4a-8c5a-6b2d8d3c4e1f',
  PublishPipelineArtifact: 'ecdc45f6-832d-4ad9-b52b-ee49e94659be',
};
const taskId = (name) => TASK_IDS[name] ?? '00000000-0000-4000-8000-00000000ta5k'.replace('ta5k', '0001');

/** A small deterministic hash of a string (FNV-1a), for stable build ids. */
function hash(text) {
  let h = 0x811c9dc5;
  for (const c of text) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** ISO with seven fraction digits, as the service writes times. */
const iso = (ms) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/** The jobs of one connection, newest first: explicit `meta.history`, else generated from `meta.lastUsed`. */
export function jobsOf(e, meta) {
  if (Array.isArray(meta?.history)) {
    return [...meta.history]
      .map((j, i) => ({ ...j, runId: j.runId ?? 5000 + (hash(`${e.id}/${i}`) % 90_000) }))
      .sort((a, b) => Date.parse(b.finish) - Date.parse(a.finish));
  }
  if (!meta?.lastUsed) return [];
  const t0 = Date.parse(meta.lastUsed);
  const base = 1000 + (hash(e.id) % 90_000) * 10;
  const definition = { id: 1 + (hash(`${e.id}/def`) % 40), name: `${e.name} ci` };
  const tasks = [
    { name: 'AzureCLI', version: '2.245.1' },
    { name: 'PublishPipelineArtifact', version: '1.242.0' },
  ];
  return [0, 1, 2].map((i) => ({
    definition,
    planType: 'Build',
    runId: base - i,
    finish: new Date(t0 - i * DAY).toISOString(),
    result: i === 1 ? 'failed' : 'succeeded',
    tasks,
  }));
}

/** One `ServiceEndpointExecutionRecord`, shaped as in the official example. */
export function executionRecord(e, job, { orgUrl, projectId, collectionId }) {
  const finish = Date.parse(job.finish);
  const start = finish - 45_000;
  const build = job.planType === 'Release' ? '_release' : '_build';
  const api = job.planType === 'Release' ? 'release' : 'build';
  const link = (q) => `${orgUrl}/_permalink/${build}/index?collectionId=${collectionId}&projectId=${projectId}&${q}`;
  return {
    endpointId: e.id,
    data: {
      id: job.runId,
      planType: job.planType,
      definition: {
        _links: {
          web: { href: link(`definitionId=${job.definition.id}`) },
          self: { href: `${orgUrl}/${projectId}/_apis/${api}/Definitions/${job.definition.id}` },
        },
        id: job.definition.id,
        name: job.definition.name,
      },
      owner: {
        _links: {
          web: { href: link(`buildId=${job.runId}`) },
          self: { href: `${orgUrl}/${projectId}/_apis/${api}/Builds/${job.runId}` },
        },
        id: job.runId,
        name: String(job.runId),
      },
      startTime: iso(start),
      finishTime: iso(finish),
      result: job.result,
    },
  };
}

/** A build's `Timeline` (Build 7.1): a stage, a phase, a job, then the job's tasks. */
export function timelineOf(job, { orgUrl, projectId }) {
  const finish = Date.parse(job.finish);
  const n = job.tasks?.length ?? 0;
  const start = finish - 10_000 * (n + 2);
  const id = (k) => {
    const h = hash(`${job.runId}/${k}`).toString(16).padStart(8, '0');
    return `${h}-0000-4000-8000-${String(job.runId).padStart(12, '0')}`;
  };
  const timelineId = id('timeline');
  const record = (k, type, name, parentId, order, extra = {}) => ({
    previousAttempts: [],
    id: id(k),
    parentId,
    type,
    name,
    startTime: iso(start + order * 10_000),
    finishTime: iso(start + (order + 1) * 10_000),
    currentOperation: null,
    percentComplete: 100,
    state: 'completed',
    result: job.result === 'failed' && type !== 'Task' ? 'failed' : 'succeeded',
    resultCode: null,
    changeId: order + 1,
    lastModified: iso(finish),
    workerName: 'Azure Pipelines 3',
    order,
    details: null,
    errorCount: 0,
    warningCount: 0,
    url: null,
    log: { id: order + 1, type: 'Container', url: `${orgUrl}/${projectId}/_apis/build/builds/${job.runId}/logs/${order + 1}` },
    task: null,
    attempt: 1,
    identifier: `${type}_${k}`,
    issues: [],
    ...extra,
  });
  const stage = record('stage', 'Stage', '__default', null, 1);
  const phase = record('phase', 'Phase', 'Job', stage.id, 1);
  const jobRec = record('job', 'Job', 'Job', phase.id, 1);
  const tasks = (job.tasks ?? []).map((t, i) =>
    record(`task${i}`, 'Task', t.name, jobRec.id, i + 2, { task: { id: taskId(t.name), name: t.name, version: t.version } }),
  );
  return {
    records: [stage, phase, jobRec, ...tasks],
    lastChangedBy: '00000002-0000-8888-8000-000000000000',
    lastChangedOn: iso(finish),
    id: timelineId,
    changeId: n + 4,
    url: `${orgUrl}/${projectId}/_apis/build/builds/${job.runId}/Timeline/${timelineId}`,
  };
}

/**
 * Usage for the demo organization: a connection used yesterday by a pipeline that runs a
 * warned task (AzureFileCopy@4) and by a classic release; one unused for 120 days; one never
 * used; one whose history the user may not read; and a disabled secret connection unused for
 * 400 days (added here, in Data & AI).
 */
export function seedDemoUsage(scenario, now) {
  const byName = (n) => scenario.endpoints.find((e) => e.name === n);
  const set = (name, meta) => {
    const e = byName(name);
    if (e) e._mock = { ...e._mock, ...meta };
  };
  const at = (days) => new Date(now - days * DAY).toISOString();
  const history = (jobs) => ({
    history: jobs,
    lastUsed: jobs.length
      ? jobs
          .map((j) => j.finish)
          .sort()
          .at(-1)
      : null,
  });
  set(
    'payments-prod-arm',
    history([
      {
        definition: { id: 12, name: 'payments-deploy' },
        planType: 'Build',
        finish: at(1),
        result: 'succeeded',
        tasks: [
          { name: 'AzureCLI', version: '2.245.1' },
          { name: 'AzureFileCopy', version: '4.248.2' },
        ],
      },
      { definition: { id: 12, name: 'payments-deploy' }, planType: 'Build', finish: at(3), result: 'failed', tasks: [] },
      { definition: { id: 3, name: 'payments-release' }, planType: 'Release', finish: at(6), result: 'succeeded' },
    ]),
  );
  set(
    'payments-staging-arm',
    history([
      {
        definition: { id: 14, name: 'staging-deploy' },
        planType: 'Build',
        finish: at(120),
        result: 'succeeded',
        tasks: [{ name: 'AzureCLI', version: '2.245.1' }],
      },
    ]),
  );
  set('payments-legacy-spn', { history: [], lastUsed: null });
  set(
    'data-lake-arm',
    history([
      {
        definition: { id: 31, name: 'lake-infra' },
        planType: 'Build',
        finish: at(2),
        result: 'succeeded',
        tasks: [{ name: 'AzurePowerShell', version: '5.248.1' }],
      },
    ]),
  );
  set('ml-workspace-cert', { usage: '403' });
  const data = scenario.projects.find((p) => p.name === 'Data & AI');
  const template = byName('data-lake-arm');
  if (data && template && !byName('retired-batch-arm')) {
    const e = structuredClone(template);
    e.id = '6f2d3e40-1729-4b3a-8a78-c2d3e4f5a6b7';
    e.name = 'retired-batch-arm';
    e.isDisabled = true;
    e.serviceEndpointProjectReferences = [{ projectReference: { id: data.id, name: data.name }, name: e.name, description: '' }];
    e._mock = {
      ...template._mock,
      history: [{ definition: { id: 9, name: 'batch-nightly' }, planType: 'Build', finish: at(400), result: 'succeeded', tasks: [] }],
      lastUsed: at(400),
    };
    scenario.endpoints.push(e);
  }
  return scenario;
}
