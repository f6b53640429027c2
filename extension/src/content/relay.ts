// The relay: the engine (in the service worker) asks, the content script fetches from the
// page's origin with the page's session, and returns status, headers and body text. Only
// same-origin Azure DevOps REST paths, only the methods the engine uses.
import type { RelayRequest, RelayResponse, Reply } from '../shared/messages.js';

const METHODS = new Set(['GET', 'PUT', 'POST', 'PATCH']);
/** Request headers the engine may set; everything else is ours to decide. */
const ALLOWED_HEADERS = new Set(['accept', 'content-type', 'if-match']);

/** Makes one relayed request; never throws (errors come back as a reply). */
export async function relay(request: RelayRequest): Promise<Reply<RelayResponse>> {
  let url: URL;
  try {
    url = new URL(request.url, location.href);
  } catch {
    return { ok: false, error: { kind: 'engine', message: 'bad relay URL', retryAfter: null, status: null } };
  }
  const method = request.method.toUpperCase();
  if (url.origin !== location.origin || !url.pathname.includes('/_apis/') || !METHODS.has(method)) {
    return { ok: false, error: { kind: 'engine', message: `refused to relay ${method} ${url.pathname}`, retryAfter: null, status: null } };
  }
  const headers: Record<string, string> = { accept: 'application/json;api-version=7.1' };
  for (const [k, v] of Object.entries(request.headers)) {
    if (ALLOWED_HEADERS.has(k.toLowerCase()) && typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  headers['x-tfs-fedauthredirect'] = 'Suppress';
  headers['x-vss-reauthenticationaction'] = 'Suppress';
  try {
    const res = await fetch(url, {
      method,
      headers,
      body: method === 'GET' ? undefined : (request.body ?? undefined),
      credentials: 'same-origin',
      redirect: 'manual',
      cache: 'no-store',
    });
    if (res.type === 'opaqueredirect') return { ok: true, value: { status: 302, headers: {}, body: '' } };
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
    return { ok: true, value: { status: res.status, headers: out, body: await res.text() } };
  } catch (err) {
    return {
      ok: false,
      error: {
        kind: 'network',
        message: `TF400893: Unable to contact the server (${err instanceof Error ? err.message : String(err)}).`,
        retryAfter: null,
        status: null,
      },
    };
  }
}
