// The data the extension passes around: verdicts as the engine computes them, inventories,
// errors. Pure helpers only (no chrome.*, no DOM, no wasm): the content script, the panel
// and the service worker all import this module.
import type { Owner, Reason, ServiceEndpoint, Tone, Verdict } from '../../../pkg/web/federate_wasm.js';
import type { ErrorInfo } from './messages.js';

export type { Context, Reason, ServiceEndpoint, Verdict } from '../../../pkg/web/federate_wasm.js';

/** The project a connection belongs to, is shared with or was found in: the engine's `Owner`. */
export type ProjectRef = Owner;

/** The connections of one project, as one scan step found them. */
export interface ProjectInventory {
  project: ProjectRef;
  verdicts: Verdict[];
  /** The endpoints as read (the service returns no secret values), for remedies in the panel. */
  endpoints: ServiceEndpoint[];
  /** The organization id the verdicts were computed with (connectionData `instanceId`). */
  organizationId: string | null;
}

/** Colour family of a mark: the engine's. The words carry the meaning; the colour only repeats it. */
export function tone(v: Pick<Verdict, 'tone'>): Tone {
  return v.tone;
}

/** Reasons to show with a mark or in the details: the convertible reasons, then federation warnings. */
export function allReasons(v: Verdict): Reason[] {
  return [...v.convertible.reasons, ...(v.federation?.warnings ?? [])];
}

/** The project names a connection belongs to, owner first. */
export function projectNames(v: Verdict): string[] {
  const names = [v.owner?.projectName, ...v.sharedWith.map((p) => p.projectName), v.foundIn?.projectName].filter(
    (n): n is string => typeof n === 'string' && n.length > 0,
  );
  return [...new Set(names)];
}

/** What a user should read for an error kind: a title and what to do. */
export function describeError(e: ErrorInfo): { title: string; advice: string } {
  switch (e.kind) {
    case 'signedOut':
      return { title: 'You are signed out of Azure DevOps', advice: 'Sign in again, then retry.' };
    case 'forbidden':
      return {
        title: 'No permission',
        advice: 'Your account cannot read service connections here. Ask a project administrator for access.',
      };
    case 'throttled':
      return {
        title: 'Azure DevOps is rate-limiting requests',
        advice: e.retryAfterMs != null ? `Wait ${Math.ceil(e.retryAfterMs / 1000)} seconds, then retry.` : 'Wait a moment, then retry.',
      };
    case 'notFound':
      return { title: 'Not found', advice: 'The project or organization does not exist, or you cannot see it.' };
    case 'server':
      return { title: 'Azure DevOps answered with an error', advice: 'Retry in a moment.' };
    case 'network':
      return { title: 'Azure DevOps could not be reached', advice: 'Check the connection, then retry.' };
    case 'cancelled':
      return { title: 'Cancelled', advice: '' };
    default:
      return { title: 'Something went wrong', advice: 'Retry; if it keeps failing, reload the page.' };
  }
}
