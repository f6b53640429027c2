// The live helpers shared by the Node and the browser entry points: scan an organization or one
// project through the engine's own fetch transport (gloo-net), with a PAT or a bearer token.
import * as engine from '../pkg/web/federate_wasm.js';

/**
 * Scans Azure DevOps with a token: one project when `options.project` is set, else every project
 * of the organization. Returns what the engine's scan returns (verdicts and the projects seen).
 *
 * @param {import('./index.js').LiveScanOptions} options
 */
export async function scanLive(options) {
  if (!options || typeof options.orgUrl !== 'string' || options.orgUrl === '') {
    throw new TypeError('scanLive: options.orgUrl is required, e.g. "https://dev.azure.com/contoso"');
  }
  if (!options.token) {
    throw new TypeError('scanLive: no token (pass options.token, or in Node set AZURE_DEVOPS_EXT_PAT or SYSTEM_ACCESSTOKEN)');
  }
  const { onProgress, signal, ...rest } = options;
  const request = { tokenKind: 'pat', ...rest };
  if (request.project) return engine.scanProject(request, null);
  return engine.scanOrganization(request, null, onProgress ?? null, signal ?? null);
}
