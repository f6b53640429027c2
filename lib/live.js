// The live helper shared by the Node and the browser entry points: scan one project or a whole
// organization through the engine's own fetch transport (gloo-net) with a PAT or a bearer token,
// and classify what was found.
import * as engine from '../pkg/web/federate_wasm.js';

/**
 * Scans Azure DevOps with a token: one project when `options.project` is set (or the URL names
 * one), else every project of the organization. Resolves with the raw endpoints, their verdicts,
 * for an organization the engine's scan record (`complete`, `stopped`, per-project errors), and
 * how many secret values the service returned that the engine dropped (count only).
 *
 * @param {import('./types.js').LiveScanOptions} options
 * @returns {Promise<import('./types.js').LiveScanResult>}
 */
export async function scanLive(options) {
  if (!options || typeof options.orgUrl !== 'string' || options.orgUrl === '') {
    throw new TypeError('scanLive: options.orgUrl is required, e.g. "https://dev.azure.com/contoso"');
  }
  if (!options.token) {
    throw new TypeError('scanLive: no token (pass options.token, or in Node set AZURE_DEVOPS_EXT_PAT or SYSTEM_ACCESSTOKEN)');
  }
  const { onProgress, signal, context, ...rest } = options;
  const request = { tokenKind: 'pat', ...rest };
  const location = engine.parseAdoUrl(options.orgUrl);
  const ctx = { organizationName: location.organization, now: new Date().toISOString(), ...context };
  const project = request.project ?? location.project;
  if (project) {
    const listing = await engine.scanProjectListing({ ...request, project }, null, signal ?? null);
    const endpoints = listing.connections;
    return {
      organization: location.organization,
      endpoints,
      verdicts: engine.classifyEndpoints(endpoints, { projectName: project, ...ctx }),
      scan: null,
      secretValuesDropped: listing.secretValuesDropped,
    };
  }
  const scan = await engine.scanOrganization(request, null, onProgress ?? null, signal ?? null);
  const endpoints = scan.connections.map((c) => c.endpoint);
  return {
    organization: location.organization,
    endpoints,
    verdicts: engine.classifyEndpoints(endpoints, ctx),
    scan,
    secretValuesDropped: scan.secretValuesDropped,
  };
}
