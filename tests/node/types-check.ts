// Compiled by tsc (tests/node/types.test.mjs) against the types of the packed federate-ado: every
// public function called with the documented argument and result shapes. Never run.
import {
  classifyEndpoint,
  classifyEndpoints,
  decodeFederationSubject,
  decodeGuid,
  encodeGuid,
  engineVersion,
  expectedFederation,
  explainError,
  explainErrors,
  explainFederation,
  federatedCredentialCommands,
  init,
  parseAdoUrl,
  planConversions,
  renderReport,
  scanLive,
  scanOrganization,
  scanProject,
  tokenFromEnv,
  verdictRules,
} from 'federate-ado';
import type { CommandFormat, Context, EndpointJson, LiveScanResult, ReportFormat, ServiceEndpoint, Verdict } from 'federate-ado';
import webInit, { init as webInitNamed, classifyEndpoints as webClassify } from 'federate-ado/web';

const context: Context = { organizationName: 'contoso', organizationId: null, now: new Date().toISOString() };
const endpoint: EndpointJson = { id: 'x', name: 'prod', type: 'azurerm', authorization: { scheme: 'ServicePrincipal', parameters: {} } };

export async function check(): Promise<string[]> {
  await init();
  const one: Verdict = classifyEndpoint(endpoint, context);
  const many: Verdict[] = classifyEndpoints('{"value": []}');
  const status: 'yes' | 'manual' | 'ownerProject' | 'no' = one.convertible.status;
  const reasons: string[] = one.convertible.reasons.map((r) => `${r.code}: ${r.message}`);
  const secret: boolean | null = one.usesSecret;
  const days: number | null = one.revertDaysLeft;
  const issuer: string | null = one.federation?.issuer ?? null;
  const tenant: string | null = decodeFederationSubject('sc://a/b/c').tenantId;
  const expected = expectedFederation(endpoint, context);
  const audience: string = expected.audience;
  const entraSubject: string | null = expected.entra?.subject ?? null;
  const formats: CommandFormat[] = ['az', 'azIdentity', 'powershell', 'bicep', 'terraform', 'graph', 'portal'];
  const commands: string[] = formats.map((f) => federatedCredentialCommands(endpoint, context, f));
  const diagnosis = explainError('AADSTS700213');
  const fix: string | undefined = diagnosis?.fix;
  const codes: string[] = explainErrors('x').map((d) => d.code);
  const warnings: string[] = explainFederation(endpoint, context).warnings.map((w) => w.message);
  const rules: string[] = verdictRules().map((r) => `${r.type}/${r.scheme}: ${r.credential}`);
  const reportFormats: ReportFormat[] = ['json', 'csv', 'markdown', 'sarif'];
  const reports: string[] = reportFormats.map((f) => renderReport(many, f));
  const guid: string = decodeGuid(encodeGuid('ff882432-09b0-437b-bd22-ca13c0037ded'));
  const org: string = parseAdoUrl('https://dev.azure.com/contoso').organization;
  const plan = planConversions([endpoint], { project: 'Web Shop' });
  const skipped: string[] = plan.skip.map((s) => `${s.name}: ${s.reason}`);
  const token = tokenFromEnv();
  const kind: 'pat' | 'bearer' | undefined = token?.tokenKind;
  const live: LiveScanResult = await scanLive({
    orgUrl: 'https://dev.azure.com/contoso',
    project: 'Web Shop',
    onProgress: (e) => e.projectsDone,
  });
  const complete: boolean | undefined = live.scan?.complete;
  const scanned: ServiceEndpoint[] = await scanProject({ orgUrl: 'https://dev.azure.com/contoso', token: 't' }, null, null);
  const scannedVerdicts: Verdict[] = classifyEndpoints(scanned);
  const whole = await scanOrganization(
    { orgUrl: 'https://dev.azure.com/contoso', token: 't', tokenKind: 'bearer' },
    null,
    (e) => e.connectionsFound,
    null,
  );
  const owners: (string | null)[] = whole.connections.map((c) => c.owner?.projectName ?? null);
  await webInit();
  await webInitNamed(new URL('https://example.invalid/federate_wasm_bg.wasm'));
  const webVerdicts: Verdict[] = webClassify([endpoint], context);
  return [
    status,
    ...reasons,
    String(secret),
    String(days),
    String(issuer),
    String(tenant),
    audience,
    String(entraSubject),
    ...commands,
    String(fix),
    ...codes,
    ...warnings,
    ...rules,
    ...reports,
    guid,
    org,
    ...skipped,
    String(kind),
    String(complete),
    String(scanned.length),
    String(scannedVerdicts.length),
    ...owners.map(String),
    String(webVerdicts.length),
    engineVersion(),
  ];
}
