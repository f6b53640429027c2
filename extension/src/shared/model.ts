// The data the extension passes around: verdicts as the engine computes them, inventories,
// errors. Pure helpers only (no chrome.*, no DOM, no wasm): the content script, the panel
// and the service worker all import this module.
import type { Owner, Reason, ServiceEndpoint, Tone, Verdict } from '../../../pkg/web/federate_wasm.js';

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
