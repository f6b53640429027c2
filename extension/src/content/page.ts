// Where the content script is: parsed from the URL on every pass (never from page data,
// which goes stale after in-app navigation). Both URL forms.
import type { PageContext } from '../shared/messages.js';

/** The kind of page and the context; null outside Azure DevOps. */
export interface PageInfo extends PageContext {
  page: 'list' | 'connection' | 'other';
  /** The `?resourceId=` of a single-connection page, lowercased. */
  resourceId: string | null;
}

/** Reads organization, project and page kind from a URL. */
export function pageInfo(href: string): PageInfo | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  let parts: string[];
  try {
    parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
  let org: string | undefined;
  let rest: string[];
  if (url.hostname === 'dev.azure.com') {
    [org, ...rest] = parts;
  } else if (url.hostname.endsWith('.visualstudio.com')) {
    org = url.hostname.slice(0, -'.visualstudio.com'.length);
    rest = parts;
  } else {
    return null;
  }
  if (!org || org.startsWith('_')) return null;
  const apiBase = url.hostname === 'dev.azure.com' ? `${url.origin}/${encodeURIComponent(org)}` : url.origin;
  const project = rest[0] && !rest[0].startsWith('_') ? rest[0] : null;
  const isAdminServices = project !== null && rest[1] === '_settings' && rest[2] === 'adminservices';
  const resourceId = url.searchParams.get('resourceId')?.trim().toLowerCase() || null;
  const page = !isAdminServices ? 'other' : resourceId ? 'connection' : 'list';
  return { organizationName: org, projectName: project, apiBase, page, resourceId };
}
