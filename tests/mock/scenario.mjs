// Scenario data for the mock Azure DevOps: a deterministic organization of any size built from a
// seed, and a small hand-written demo organization. A scenario is plain data:
//
//   { organization: {id, name}, tenants: [tenantId...], user: {...},
//     projects: [{id, name, description, ...}],
//     endpoints: [ServiceEndpoint JSON as stored (secret values included, server-side only)
//                 + `_mock`: {fic, convert, outcome, admin, lastUsed, recovery, busyPolls}] }
//
// `_mock` is never sent to clients: it holds what the real service knows and does not return
// (does a federated credential exist on the identity, the saved recovery parameters, ...).
import { federationFor } from './federation.mjs';

/** Small, fast, seeded PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0 || 1;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  next.uuid = () => {
    const h = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
    h[12] = '4';
    h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  return next;
}

/** Round-trip ISO 8601 with 7 fractional digits, as .NET prints it (`2024-01-30T09:41:12.1234567Z`). */
export function isoTicks(ms) {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const DAY = 86_400_000;
const SECRET = 'mock-secret-value-not-real';

/**
 * Connection kinds with realistic weights (secret-based azurerm dominate, then federated ones,
 * then other types). Every kind appears at least once once the organization has as many
 * connections as there are kinds.
 */
export const KINDS = [
  ['azurerm-sp-automatic', 22],
  ['azurerm-sp-manual', 8],
  ['azurerm-sp-manual-fic', 4],
  ['azurerm-sp-certificate', 3],
  ['azurerm-wif-entra-automatic', 10],
  ['azurerm-wif-ado-automatic', 6],
  ['azurerm-wif-entra-manual', 4],
  ['azurerm-wif-ado-manual', 2],
  ['azurerm-draft', 3],
  ['azurerm-converted-revertible', 2],
  ['azurerm-converted-expired', 1],
  ['azurerm-msi', 3],
  ['azurerm-publishprofile', 2],
  ['azurerm-converting', 1],
  ['azurerm-conversion-failed', 1],
  ['azurerm-creation-failed', 1],
  ['azurerm-creating', 1],
  ['dockerregistry-password', 5],
  ['dockerregistry-acr-sp', 2],
  ['dockerregistry-acr-wif', 1],
  ['github-oauth', 3],
  ['github-installation', 1],
  ['github-pat', 3],
  ['kubernetes-kubeconfig', 3],
  ['kubernetes-token', 1],
  ['generic', 4],
  ['ssh', 2],
  ['azure-classic-certificate', 1],
  ['externaltfs', 1],
  ['unknown-type', 1],
];

const NAME_STEMS = [
  'prod-arm',
  'staging-arm',
  'Payments Prod (West Europe)',
  'shared-services',
  'Zürich – Überwachung',
  'データ連携',
  'ops 🚀 deploy',
  '<img src=x onerror=alert(1)>',
  'team "alpha" & co',
  'legacy-subscription',
  'sandbox',
  'dev   spaces  ',
  "O'Brien's sub",
  '<b>bold</b>',
  'Ελληνικά',
  'a/b\\c',
  'landing-zone',
];

const USER = {
  displayName: 'Ada Admin',
  id: '2d3a1f0e-6c4b-4a8e-9f21-7b5e0c9d1a11',
  uniqueName: 'ada@contoso.example',
  descriptor: 'aad.MmQzYTFmMGUtNmM0Yi03YThlLTlmMjEtN2I1ZTBjOWQxYTEx',
};

export function createdBy(orgName, user = USER) {
  return {
    displayName: user.displayName,
    url: `https://vssps.dev.azure.com/${orgName}/_apis/Identities/${user.id}`,
    _links: { avatar: { href: `https://dev.azure.com/${orgName}/_apis/GraphProfile/MemberAvatars/${user.descriptor}` } },
    id: user.id,
    uniqueName: user.uniqueName,
    imageUrl: `https://dev.azure.com/${orgName}/_apis/GraphProfile/MemberAvatars/${user.descriptor}`,
    descriptor: user.descriptor,
  };
}

/**
 * Builds one endpoint of a kind. `ctx`: {org, orgId, tenantId, project: {id, name}, name, id,
 * r (rng), now}. Returns the stored JSON with `_mock`.
 */
export function makeEndpoint(kind, ctx) {
  const { org, orgId, tenantId, project, name, id, r, now } = ctx;
  const sub = r.uuid();
  const base = {
    data: {},
    id,
    name,
    type: 'azurerm',
    url: 'https://management.azure.com/',
    createdBy: createdBy(org),
    description: '',
    authorization: { parameters: {}, scheme: 'ServicePrincipal' },
    isShared: false,
    isReady: true,
    owner: 'library',
    operationStatus: null,
    serviceEndpointProjectReferences: [{ projectReference: { id: project.id, name: project.name }, name, description: '' }],
    _mock: { lastUsed: r() < 0.7 ? isoTicks(now - r.int(90) * DAY - r.int(DAY)) : null },
  };
  const armData = (creationMode) => ({
    environment: 'AzureCloud',
    scopeLevel: 'Subscription',
    subscriptionId: sub,
    subscriptionName: `Contoso ${r.pick(['Production', 'Staging', 'Dev', 'Shared', 'Sandbox'])}`,
    creationMode,
    ...(creationMode === 'Automatic'
      ? {
          azureSpnRoleAssignmentId: r.uuid(),
          azureSpnPermissions: '[{"roleAssignmentId":"x","resourceProvider":"Microsoft.RoleAssignment","provisioned":true}]',
          spnObjectId: r.uuid(),
          appObjectId: r.uuid(),
        }
      : {}),
  });
  const spParams = (authenticationType = 'spnKey') => ({
    tenantid: tenantId,
    serviceprincipalid: r.uuid(),
    authenticationType,
    ...(authenticationType === 'spnKey' ? { serviceprincipalkey: SECRET } : { servicePrincipalCertificate: SECRET }),
    scope: `/subscriptions/${sub}`,
  });
  const wif = (format, creationMode) => {
    const f = federationFor(format, { org, orgId, tenantId, project: project.name, name, endpointId: id });
    return {
      tenantid: tenantId,
      serviceprincipalid: r.uuid(),
      workloadIdentityFederationIssuer: f.issuer,
      workloadIdentityFederationSubject: f.subject,
      ...(f.issuerType ? { workloadIdentityFederationIssuerType: f.issuerType } : {}),
      ...(creationMode === 'Automatic' ? { scope: `/subscriptions/${sub}` } : {}),
    };
  };
  const e = base;
  /** An ARM service principal with a secret (or a certificate) and the given creation mode. */
  const armSp = (creationMode, authenticationType) => {
    e.data = armData(creationMode);
    e.authorization = { parameters: spParams(authenticationType), scheme: 'ServicePrincipal' };
  };
  switch (kind) {
    case 'azurerm-sp-automatic':
      armSp('Automatic');
      break;
    case 'azurerm-sp-manual':
      armSp('Manual');
      break;
    case 'azurerm-sp-manual-fic':
      armSp('Manual');
      e._mock.fic = true;
      break;
    case 'azurerm-sp-certificate':
      armSp('Manual', 'spnCertificate');
      break;
    case 'azurerm-wif-entra-automatic':
    case 'azurerm-wif-ado-automatic':
    case 'azurerm-wif-entra-manual':
    case 'azurerm-wif-ado-manual': {
      const creationMode = kind.endsWith('-automatic') ? 'Automatic' : 'Manual';
      e.data = armData(creationMode);
      e.authorization = {
        parameters: wif(kind.includes('entra') ? 'entra' : 'azureDevOps', creationMode),
        scheme: 'WorkloadIdentityFederation',
      };
      break;
    }
    case 'azurerm-draft':
      e.data = { ...armData('Manual'), isDraft: 'true' };
      e.authorization = { parameters: wif('entra', 'Manual'), scheme: 'WorkloadIdentityFederation' };
      e._mock.draft = true;
      e._mock.lastUsed = null;
      break;
    case 'azurerm-converted-revertible':
    case 'azurerm-converted-expired': {
      const expired = kind.endsWith('expired');
      const saved = spParams();
      e.data = {
        ...armData('Automatic'),
        revertSchemeDeadline: isoTicks(expired ? now - (1 + r.int(30)) * DAY : now + (1 + r.int(6)) * DAY),
      };
      e.authorization = {
        parameters: { ...wif('entra', 'Automatic'), serviceprincipalid: saved.serviceprincipalid },
        scheme: 'WorkloadIdentityFederation',
      };
      e.operationStatus = { state: 'Ready', statusMessage: '' };
      if (!expired) e._mock.recovery = { scheme: 'ServicePrincipal', parameters: saved };
      break;
    }
    case 'azurerm-msi':
      e.data = { ...armData('Manual'), creationMode: undefined };
      delete e.data.creationMode;
      e.authorization = { parameters: { tenantid: tenantId }, scheme: 'ManagedServiceIdentity' };
      e.url = 'https://management.azure.com/';
      break;
    case 'azurerm-publishprofile':
      e.data = {
        resourceId: `/subscriptions/${sub}/resourceGroups/web/providers/Microsoft.Web/sites/site${r.int(99)}`,
        scopeLevel: 'Subscription',
        environment: 'AzureCloud',
      };
      e.authorization = { parameters: { tenantid: tenantId, publishProfile: SECRET }, scheme: 'PublishProfile' };
      break;
    case 'azurerm-converting':
      armSp('Automatic');
      e.operationStatus = { state: 'InProgress', statusMessage: 'converting_scheme' };
      e._mock.pending = { outcome: 'Ready', pollsLeft: 2 };
      break;
    case 'azurerm-conversion-failed':
      armSp('Automatic');
      e.operationStatus = { state: 'Failed', statusMessage: 'converting_scheme_failed' };
      break;
    case 'azurerm-creation-failed':
      armSp('Automatic');
      e.isReady = false;
      e.operationStatus = {
        state: 'Failed',
        statusMessage: 'Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation.',
      };
      e._mock.lastUsed = null;
      break;
    case 'azurerm-creating':
      armSp('Automatic');
      e.isReady = false;
      e.operationStatus = { state: 'InProgress', statusMessage: '' };
      e._mock.busyPolls = 3;
      e._mock.lastUsed = null;
      break;
    case 'dockerregistry-password':
      e.type = 'dockerregistry';
      e.url = 'https://index.docker.io/v1/';
      e.data = { registrytype: 'Others' };
      e.authorization = {
        parameters: { registry: 'https://index.docker.io/v1/', username: 'contoso', password: SECRET, email: 'ops@contoso.example' },
        scheme: 'UsernamePassword',
      };
      break;
    case 'dockerregistry-acr-sp':
      e.type = 'dockerregistry';
      e.url = `https://contoso${r.int(99)}.azurecr.io`;
      e.data = {
        registrytype: 'ACR',
        registryId: `/subscriptions/${sub}/resourceGroups/acr/providers/Microsoft.ContainerRegistry/registries/contoso`,
        subscriptionId: sub,
        subscriptionName: 'Contoso Shared',
        spnObjectId: r.uuid(),
        appObjectId: r.uuid(),
        azureSpnRoleAssignmentId: r.uuid(),
        azureSpnPermissions: '[]',
      };
      e.authorization = {
        parameters: {
          loginServer: e.url.slice(8),
          role: '8311e382-0749-4cb8-b61a-304f252e45ec',
          scope: e.data.registryId,
          tenantId,
          serviceprincipalid: r.uuid(),
          serviceprincipalkey: SECRET,
        },
        scheme: 'ServicePrincipal',
      };
      break;
    case 'dockerregistry-acr-wif': {
      e.type = 'dockerregistry';
      e.url = `https://contoso${r.int(99)}.azurecr.io`;
      e.data = {
        registrytype: 'ACR',
        registryId: `/subscriptions/${sub}/resourceGroups/acr/providers/Microsoft.ContainerRegistry/registries/contoso`,
        subscriptionId: sub,
        subscriptionName: 'Contoso Shared',
        creationMode: 'Automatic',
      };
      const f = wif('entra', 'Automatic');
      e.authorization = {
        parameters: {
          loginServer: e.url.slice(8),
          scope: e.data.registryId,
          tenantId,
          serviceprincipalid: f.serviceprincipalid,
          workloadIdentityFederationIssuer: f.workloadIdentityFederationIssuer,
          workloadIdentityFederationSubject: f.workloadIdentityFederationSubject,
          workloadIdentityFederationIssuerType: 'EntraID',
        },
        scheme: 'WorkloadIdentityFederation',
      };
      break;
    }
    case 'github-oauth':
      e.type = 'github';
      e.url = 'https://github.com';
      e.data = { AvatarUrl: 'https://avatars.githubusercontent.com/u/1' };
      e.authorization = { parameters: { AccessToken: SECRET, ConfigurationId: r.uuid() }, scheme: 'OAuth' };
      break;
    case 'github-installation':
      e.type = 'github';
      e.url = 'https://github.com';
      e.data = { pipelinesSourceProvider: 'github' };
      e.authorization = { parameters: { IdToken: SECRET, IdSignature: SECRET }, scheme: 'InstallationToken' };
      break;
    case 'github-pat':
      e.type = 'github';
      e.url = 'https://github.com';
      e.authorization = { parameters: { accessToken: SECRET }, scheme: 'Token' };
      break;
    case 'kubernetes-kubeconfig':
      e.type = 'kubernetes';
      e.url = `https://aks-${r.int(999)}.hcp.westeurope.azmk8s.io`;
      e.data = { authorizationType: 'Kubeconfig', acceptUntrustedCerts: 'false' };
      e.authorization = { parameters: { kubeconfig: SECRET, clusterContext: 'prod' }, scheme: 'Kubernetes' };
      break;
    case 'kubernetes-token':
      e.type = 'kubernetes';
      e.url = `https://k8s-${r.int(999)}.contoso.example:6443`;
      e.data = { authorizationType: 'ServiceAccount' };
      e.authorization = {
        parameters: { apitoken: SECRET, serviceAccountCertificate: SECRET, isCreatedFromSecretYaml: 'true' },
        scheme: 'Token',
      };
      break;
    case 'generic':
      e.type = 'generic';
      e.url = `https://artifacts-${r.int(99)}.contoso.example`;
      e.authorization = { parameters: { username: 'svc-build', password: SECRET }, scheme: 'UsernamePassword' };
      break;
    case 'ssh':
      e.type = 'ssh';
      e.url = `ssh://build-${r.int(99)}.contoso.example:22`;
      e.data = { Host: `build-${r.int(99)}.contoso.example`, Port: '22', PrivateKey: null };
      e.authorization = { parameters: { username: 'deploy', password: SECRET }, scheme: 'UsernamePassword' };
      break;
    case 'azure-classic-certificate':
      e.type = 'azure';
      e.url = 'https://management.core.windows.net/';
      e.data = { subscriptionId: sub, subscriptionName: 'Classic', environment: 'AzureCloud' };
      e.authorization = { parameters: { certificate: SECRET }, scheme: 'Certificate' };
      break;
    case 'externaltfs':
      e.type = 'externaltfs';
      e.url = 'https://dev.azure.com/fabrikam-partner';
      e.authorization = { parameters: { apitoken: SECRET }, scheme: 'Token' };
      break;
    // The 2026 estate (ado-facts §17): kinds used by the demo organization, not drawn at random
    // (KINDS stays as it was, so generated organizations keep their shape).
    case 'azuredevops-wif':
    case 'azuredevops-draft': {
      // The Azure DevOps connection (REST type WorkloadIdentityUser, §17.2): its URL is the
      // organization it reaches (InvokeRESTAPI@1 uses it as the base URL).
      e.type = 'WorkloadIdentityUser';
      e.url = `https://dev.azure.com/${ctx.targetOrg ?? org}`;
      e.data = kind === 'azuredevops-draft' ? { creationMode: 'Manual', isDraft: 'true' } : { creationMode: 'Manual' };
      e.authorization = { parameters: wif('entra', 'Manual'), scheme: 'WorkloadIdentityFederation' };
      break;
    }
    case 'pat-feed':
      e.type = 'externalnugetfeed';
      e.url = `https://pkgs.dev.azure.com/${org}/_packaging/shared/nuget/v3/index.json`;
      e.authorization = { parameters: { username: 'build', password: SECRET }, scheme: 'UsernamePassword' };
      break;
    case 'aws-oidc':
      // AWS Toolkit with useOIDC (terraform-provider-azuredevops serviceendpoint_aws): no keys,
      // an IAM role that trusts the Azure DevOps issuer.
      e.type = 'aws';
      e.url = 'https://aws.amazon.com/';
      e.authorization = {
        parameters: { username: '', password: '', assumeRoleArn: 'arn:aws:iam::123456789012:role/azure-devops-deploy', useOIDC: 'true' },
        scheme: 'UsernamePassword',
      };
      break;
    case 'marketplace-sonarqube':
      e.type = 'sonarqube';
      e.url = 'https://sonar.contoso.example';
      e.authorization = { parameters: { username: SECRET }, scheme: 'UsernamePassword' };
      break;
    case 'marketplace-octopus':
      e.type = 'OctopusEndpoint';
      e.url = 'https://octopus.contoso.example';
      e.authorization = { parameters: { apitoken: SECRET }, scheme: 'None' };
      break;
    case 'unknown-type':
      e.type = 'contoso-custom-scanner';
      e.url = 'https://scanner.contoso.example';
      e.data = { region: 'eu' };
      e.authorization = { parameters: { apitoken: SECRET }, scheme: 'Token' };
      break;
    default:
      throw new Error(`unknown connection kind ${kind}`);
  }
  e._mock.kind = kind;
  return e;
}

const PROJECT_NAMES = ['Payments', 'Web Platform', 'Data & AI', 'Zürich Ops', 'Mobile', 'Identity', 'Platform Engineering', '数据平台'];

/**
 * A deterministic organization: `projects` projects, each owning `connectionsPerProject`
 * connections of every kind, ~8% of them shared into 1..3 other projects, ~4% disabled.
 */
export function generateScenario({ seed = 1, org = 'contoso', projects = 3, connectionsPerProject = 12, now = Date.now() } = {}) {
  const r = rng(seed);
  const organization = { id: r.uuid(), name: org };
  const tenants = [r.uuid(), r.uuid()];
  const projectList = [];
  for (let i = 0; i < projects; i++) {
    const stem = i < PROJECT_NAMES.length ? PROJECT_NAMES[i] : `Project ${String(i + 1).padStart(3, '0')}`;
    projectList.push({
      id: r.uuid(),
      name: stem,
      description: i % 3 === 0 ? `${stem} team project` : undefined,
      state: 'wellFormed',
      revision: 10 + i,
      visibility: 'private',
      lastUpdateTime: new Date(now - (i + 1) * 3_600_000).toISOString(),
    });
  }
  const weights = KINDS.reduce((s, [, w]) => s + w, 0);
  const weighted = () => {
    let x = r() * weights;
    for (const [k, w] of KINDS) {
      x -= w;
      if (x < 0) return k;
    }
    return KINDS[0][0];
  };
  const endpoints = [];
  let n = 0;
  for (const [i, project] of projectList.entries()) {
    const used = new Set();
    for (let j = 0; j < connectionsPerProject; j++, n++) {
      // Slot-major order spreads the first appearance of every kind over the projects.
      const g = j * projectList.length + i;
      const kind = g < KINDS.length ? KINDS[g][0] : weighted();
      let name = NAME_STEMS[(n * 7 + j) % NAME_STEMS.length].trim().replace(/\s+/g, ' ');
      name = `${name} ${j + 1}`;
      while (used.has(name.toLowerCase())) name += '′';
      used.add(name.toLowerCase());
      const tenantId = r() < 0.85 ? tenants[0] : tenants[1];
      const e = makeEndpoint(kind, { org, orgId: organization.id, tenantId, project, name, id: r.uuid(), r, now });
      if (r() < 0.04 && !kind.includes('creating') && !kind.includes('converting')) e.isDisabled = true;
      endpoints.push(e);
    }
  }
  // Shared connections: referenced from 1..3 more projects, with the same or a local name.
  if (projectList.length > 1) {
    for (const e of endpoints) {
      if (r() >= 0.08) continue;
      const others = projectList.filter((p) => p.id !== e.serviceEndpointProjectReferences[0].projectReference.id);
      const count = 1 + r.int(Math.min(3, others.length));
      for (let k = 0; k < count; k++) {
        const p = others.splice(r.int(others.length), 1)[0];
        const localName = r() < 0.5 ? e.name : `${e.name} (from ${e.serviceEndpointProjectReferences[0].projectReference.name})`;
        e.serviceEndpointProjectReferences.push({ projectReference: { id: p.id, name: p.name }, name: localName, description: '' });
      }
      e.isShared = true;
    }
  }
  return { organization, tenants, projects: projectList, endpoints };
}

/** The demo organization of `npm start` and the screenshots: contoso, three projects. */
export function scenarioDemo({ now = Date.now() } = {}) {
  const r = rng(2026);
  const organization = { id: '0ca3ddd9-f0b0-4635-a98c-5866526961b6', name: 'contoso' };
  const tenantId = 'ff882432-09b0-437b-bd22-ca13c0037ded';
  const mk = (id, name, description) => ({
    id,
    name,
    description,
    state: 'wellFormed',
    revision: 42,
    visibility: 'private',
    lastUpdateTime: new Date(now - 86_400_000).toISOString(),
  });
  const projects = [
    mk('c7e5f0b3-71fa-4429-9fb3-3321963a7c06', 'Payments', 'Card payments and settlement'),
    mk('5b1e2c1a-8f0d-4c55-9a51-2a0e3f3d7b21', 'Web Platform', 'Public web sites and the CDN'),
    mk('9d3f7e62-1b44-4f0a-8c7e-6a2b5d4c3e10', 'Data & AI', 'Analytics, ML workspaces'),
  ];
  const [pay, web, data] = projects;
  const ep = (kind, project, name, id, extra = {}) => {
    const e = makeEndpoint(kind, {
      org: organization.name,
      orgId: organization.id,
      tenantId,
      project,
      name,
      id,
      r,
      now,
      targetOrg: extra.targetOrg,
    });
    if (extra.description) {
      e.description = extra.description;
      e.serviceEndpointProjectReferences[0].description = extra.description;
    }
    return e;
  };
  const endpoints = [
    ep('azurerm-sp-automatic', pay, 'payments-prod-arm', '64171687-7a59-4fce-b2c8-823278dcf176', {
      description: 'Production subscription (West Europe)',
    }),
    ep('azurerm-sp-automatic', pay, 'payments-staging-arm', '5e47a0d8-c745-44f8-8f93-784f18ff31c4'),
    ep('azurerm-sp-manual', pay, 'payments-legacy-spn', '1d5d6c9e-3f6a-4c3e-8a8e-0b4c2f1e9d70'),
    ep('azurerm-wif-entra-automatic', pay, 'payments-dev-arm', 'a3c1f2e4-5b6d-4e7f-8a9b-0c1d2e3f4a5b'),
    ep('azurerm-draft', pay, 'payments-dr (draft)', 'b4d2e3f5-6c7e-4f80-9bac-1d2e3f4a5b6c'),
    ep('dockerregistry-password', pay, 'Docker Hub', 'c5e3f4a6-7d8f-4091-8cbd-2e3f4a5b6c7d'),
    ep('azurerm-wif-ado-automatic', web, 'web-prod-arm', 'd6f4a5b7-8e90-4a12-9dce-3f4a5b6c7d8e'),
    ep('azurerm-converted-revertible', web, 'web-staging-arm', 'e7a5b6c8-9fa1-4b23-8edf-4a5b6c7d8e9f'),
    ep('github-oauth', web, 'GitHub contoso', 'f8b6c7d9-a0b2-4c34-9f01-5b6c7d8e9fa0'),
    ep('kubernetes-kubeconfig', web, 'aks-web-prod', '09c7d8ea-b1c3-4d45-8a12-6c7d8e9fa0b1'),
    ep('generic', web, 'Artifactory <internal>', '1ad8e9fb-c2d4-4e56-9b23-7d8e9fa0b1c2'),
    ep('azurerm-sp-certificate', data, 'ml-workspace-cert', '2be9fa0c-d3e5-4f67-8c34-8e9fa0b1c2d3'),
    ep('azurerm-msi', data, 'self-hosted-agents-mi', '3cfa0b1d-e4f6-4078-9d45-9fa0b1c2d3e4'),
    ep('azurerm-sp-automatic', data, 'data-lake-arm', '4d0b1c2e-f507-4189-8e56-a0b1c2d3e4f5'),
    // The 2026 deadlines: Azure DevOps connections, PATs to Azure DevOps, extension types,
    // and connections on both issuers.
    ep('azuredevops-wif', pay, 'azdo-templates', '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', { targetOrg: 'fabrikam-platform' }),
    ep('azuredevops-draft', pay, 'azdo-publish (draft)', '8b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e'),
    ep('pat-feed', pay, 'payments-feed (PAT)', '9c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f'),
    ep('externaltfs', web, 'partner-repos (PAT)', '0d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a'),
    ep('marketplace-sonarqube', web, 'sonarqube', '2f6a7b8c-9d0e-4f1a-9b2c-4d5e6f7a8b9c'),
    ep('aws-oidc', data, 'aws-deploy (OIDC)', '1e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b'),
    ep('marketplace-octopus', data, 'octopus', '3a7b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d'),
    ep('azurerm-wif-ado-manual', data, 'ml-legacy-wif', '4b8c9d0e-1f2a-4b3c-9d4e-6f7a8b9c0d1e'),
  ];
  // The shared-services connection: owned by Payments, shared with Web Platform and Data & AI.
  const shared = ep('azurerm-sp-automatic', pay, 'shared-services', '5e1c2d3f-0618-429a-9f67-b1c2d3e4f5a6', {
    description: 'Hub subscription',
  });
  shared.isShared = true;
  shared.serviceEndpointProjectReferences.push(
    { projectReference: { id: web.id, name: web.name }, name: 'shared-services', description: 'Shared from Payments' },
    { projectReference: { id: data.id, name: data.name }, name: 'hub (shared)', description: '' },
  );
  endpoints.push(shared);
  return { organization, tenants: [tenantId], projects, endpoints };
}
