// Content script on Azure DevOps pages. Small on purpose: it relays same-origin REST
// calls (the page's own session) and draws marks; the engine runs in the service worker.
import type { MarkVerdict, PageContext, Reply } from './messages.js';

const ROOT = document.documentElement;

/** Reads organization and project from the page URL (never from stale page data). */
export function pageContext(href: string): (PageContext & { page: 'list' | 'connection' | 'other' }) | null {
  const url = new URL(href);
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let org: string;
  let rest: string[];
  if (url.hostname === 'dev.azure.com') {
    [org, ...rest] = parts;
  } else if (url.hostname.endsWith('.visualstudio.com')) {
    org = url.hostname.slice(0, -'.visualstudio.com'.length);
    rest = parts;
  } else {
    return null;
  }
  if (!org || rest.length < 1) return null;
  const apiBase = url.hostname === 'dev.azure.com' ? `${url.origin}/${encodeURIComponent(org)}` : url.origin;
  const isAdminServices = rest[1] === '_settings' && rest[2] === 'adminservices';
  const page = !isAdminServices ? 'other' : url.searchParams.has('resourceId') ? 'connection' : 'list';
  return { organizationName: org, projectName: rest[0], apiBase, page };
}

/** The GUID a link points to through `?resourceId=`, lowercased, or null. */
function resourceIdOf(a: HTMLAnchorElement): string | null {
  try {
    return new URL(a.href, location.href).searchParams.get('resourceId')?.toLowerCase() ?? null;
  } catch {
    return null;
  }
}

function tone(credential: string): string {
  switch (credential) {
    case 'secret': case 'password': case 'token': case 'publishProfile': case 'certificate':
      return 'bad';
    case 'federated': case 'managedIdentity': case 'oauth': case 'none':
      return 'good';
    default:
      return 'info';
  }
}

/** Puts one mark per connection link, replacing marks that no longer match their row. */
function drawMarks(verdicts: Map<string, MarkVerdict>): number {
  let drawn = 0;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[href*="resourceId="]')) {
    const id = resourceIdOf(a);
    const host = a.parentElement;
    if (!host) continue;
    const existing = host.querySelector<HTMLElement>(':scope > .federate-mark');
    const verdict = id ? verdicts.get(id) : undefined;
    if (!verdict) {
      existing?.remove();
      continue;
    }
    if (existing?.dataset.federateId === id) {
      drawn++;
      continue;
    }
    existing?.remove();
    const mark = document.createElement('span');
    mark.className = 'federate-mark';
    mark.dataset.federateId = id ?? '';
    mark.dataset.federateCredential = verdict.credential;
    mark.dataset.federateTone = tone(verdict.credential);
    mark.tabIndex = 0;
    mark.textContent = verdict.label ?? verdict.credential;
    mark.title = verdict.summary ?? '';
    host.append(mark);
    drawn++;
  }
  return drawn;
}

async function run(): Promise<void> {
  const ctx = pageContext(location.href);
  if (!ctx || ctx.page === 'other') return;
  ROOT.dataset.federate = 'loading';
  try {
    const url = `${ctx.apiBase}/${encodeURIComponent(ctx.projectName)}/_apis/serviceendpoint/endpoints?includeFailed=true&api-version=7.1`;
    const res = await fetch(url, {
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json;api-version=7.1',
        'X-TFS-FedAuthRedirect': 'Suppress',
        'X-VSS-ReauthenticationAction': 'Suppress',
      },
    });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) {
      throw new Error(res.status === 401 || res.status === 203 ? 'signed out: sign in to Azure DevOps again' : `HTTP ${res.status}`);
    }
    const list: unknown = await res.json();
    const reply = (await chrome.runtime.sendMessage({ type: 'classify', list, context: ctx })) as Reply;
    if (!reply.ok) throw new Error(reply.error);
    const byId = new Map(reply.verdicts.filter((v) => v.id).map((v) => [v.id!.toLowerCase(), v]));
    const redraw = () => {
      ROOT.dataset.federateMarks = String(drawMarks(byId));
    };
    let timer = 0;
    new MutationObserver((records) => {
      if (records.every((r) => [...r.addedNodes].every((n) => n instanceof HTMLElement && n.classList.contains('federate-mark')))) return;
      clearTimeout(timer);
      timer = window.setTimeout(redraw, 50);
    }).observe(document.body, { childList: true, subtree: true });
    redraw();
    ROOT.dataset.federate = 'ready';
  } catch (err) {
    ROOT.dataset.federate = 'error';
    ROOT.dataset.federateError = err instanceof Error ? err.message : String(err);
    console.warn('[Federate]', err);
  }
}

void run();
