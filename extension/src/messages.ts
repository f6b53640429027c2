// The one typed message union of the extension, with the guards every receiver uses.
// Messages travel only through chrome.runtime channels; page scripts can't reach them.

/** Where an Azure DevOps page is: organization, project, and the API base for REST calls. */
export interface PageContext {
  organizationName: string;
  projectName: string;
  /** `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`. */
  apiBase: string;
}

/** A verdict as the engine returns it (only the fields the extension reads are typed here). */
export interface MarkVerdict {
  id: string | null;
  name: string | null;
  credential: string;
  label?: string;
  summary?: string;
}

export type Message =
  | { type: 'classify'; list: unknown; context: PageContext }
  | { type: 'openPanel' };

export type Reply = { ok: true; verdicts: MarkVerdict[] } | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** True for a well-formed message of this extension. */
export function isMessage(v: unknown): v is Message {
  if (!isObject(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'classify':
      return isObject(v.context) && typeof v.context.organizationName === 'string' && typeof v.context.apiBase === 'string';
    case 'openPanel':
      return true;
    default:
      return false;
  }
}

/** Origins the extension works on; the same list as the manifest's host patterns. */
export function isAzureDevOpsUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'dev.azure.com' || u.hostname.endsWith('.visualstudio.com'));
  } catch {
    return false;
  }
}

/**
 * True when a message comes from this extension: one of its own pages, or its content
 * script in a tab on an Azure DevOps origin.
 */
export function isTrustedSender(sender: chrome.runtime.MessageSender): boolean {
  if (sender.id !== chrome.runtime.id) return false;
  if (sender.tab) return isAzureDevOpsUrl(sender.tab.url ?? sender.url);
  return typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}
