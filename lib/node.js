// The Node entry point of `federate-ado`: the engine is ready as soon as this module is imported
// (the wasm is read from the package and instantiated synchronously), so no init call is needed.
import { readFileSync } from 'node:fs';
import { initSync } from '../pkg/web/federate_wasm.js';
import { scanLive as scanWithToken } from './live.js';

initSync({ module: readFileSync(new URL('../pkg/web/federate_wasm_bg.wasm', import.meta.url)) });

export * from '../pkg/web/federate_wasm.js';

/** Resolves at once: in Node the engine is initialised on import. Kept for code shared with browsers. */
export async function init() {}

/**
 * The token for live calls from the environment: `AZURE_DEVOPS_EXT_PAT` (a personal access token,
 * as the az devops extension reads it) first, then `SYSTEM_ACCESSTOKEN` (a pipeline's OAuth token,
 * sent as a bearer token). Null when neither is set. The value is never logged.
 *
 * @param {Record<string, string | undefined>} [env]
 * @returns {{ token: string, tokenKind: 'pat' | 'bearer', source: string } | null}
 */
export function tokenFromEnv(env = process.env) {
  if (env.AZURE_DEVOPS_EXT_PAT) return { token: env.AZURE_DEVOPS_EXT_PAT, tokenKind: 'pat', source: 'AZURE_DEVOPS_EXT_PAT' };
  if (env.SYSTEM_ACCESSTOKEN) return { token: env.SYSTEM_ACCESSTOKEN, tokenKind: 'bearer', source: 'SYSTEM_ACCESSTOKEN' };
  return null;
}

/**
 * Scans an organization (or one project with `project`) live. Without `token` it is taken from
 * the environment (see `tokenFromEnv`).
 *
 * @param {import('./index.js').LiveScanOptions} options
 */
export function scanLive(options) {
  if (options && !options.token) {
    const found = tokenFromEnv();
    if (found) return scanWithToken({ ...options, token: found.token, tokenKind: found.tokenKind });
  }
  return scanWithToken(options);
}
