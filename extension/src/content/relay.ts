// The relay: the engine (in the service worker) asks, the content script fetches from the
// page's origin with the page's session, and returns the facts: status, headers, body text,
// the final URL and whether the answer was an opaque redirect. Only
// same-origin Azure DevOps REST paths, only the methods the engine uses.
import { errorOf, type RelayRequest, type RelayResponse, type Reply } from '../shared/messages.js';

const METHODS = new Set(['GET', 'PUT', 'POST', 'PATCH']);
/** Request headers the engine may set; everything else is ours to decide. */
const ALLOWED_HEADERS = new Set(['accept', 'content-type', 'if-match']);

/** What the relay will send for a request, or why it refuses: pure (tested in tests/node). */
export function relayable(
  request: RelayRequest,
  pageHref: string,
): { url: URL; method: string; headers: Record<string, string> } | { refused: string } {
  let url: URL;
  let page: URL;
  try {
    page = new URL(pageHref);
    url = new URL(request.url, page);
  } catch {
    return { refused: 'bad relay URL' };
  }
  const method = request.method.toUpperCase();
  if (url.origin !== page.origin || !url.pathname.includes('/_apis/') || !METHODS.has(method)) {
    return { refused: `refused to relay ${method} ${url.pathname}` };
  }
  const headers: Record<string, string> = { accept: 'application/json;api-version=7.1' };
  for (const [k, v] of Object.entries(request.headers)) {
    if (ALLOWED_HEADERS.has(k.toLowerCase()) && typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  headers['x-tfs-fedauthredirect'] = 'Suppress';
  headers['x-vss-reauthenticationaction'] = 'Suppress';
  return { url, method, headers };
}

/** Makes one relayed request; never throws (errors come back as a reply). */
export async function relay(request: RelayRequest): Promise<Reply<RelayResponse>> {
  const checked = relayable(request, location.href);
  if ('refused' in checked) return { ok: false, error: errorOf('engine', checked.refused) };
  const { url, method, headers } = checked;
  try {
    const res = await fetch(url, {
      method,
      headers,
      body: method === 'GET' ? undefined : (request.body ?? undefined),
      credentials: 'same-origin',
      redirect: 'manual',
      cache: 'no-store',
    });
    // Facts only: an opaque redirect (status 0, no headers) is reported as such; the engine
    // decides what it means (signed out, on `_apis`).
    const opaqueRedirect = res.type === 'opaqueredirect';
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
    const body = opaqueRedirect ? '' : await res.text();
    return { ok: true, value: { status: res.status, headers: out, body, url: res.url || url.href, opaqueRedirect } };
  } catch (err) {
    return {
      ok: false,
      error: errorOf('network', `TF400893: Unable to contact the server (${err instanceof Error ? err.message : String(err)}).`),
    };
  }
}
