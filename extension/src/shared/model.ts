// The data the extension passes around: verdicts as the engine computes them, inventories,
// errors. Pure helpers only (no chrome.*, no DOM, no wasm): the content script, the panel
// and the service worker all import this module.
import type { AzureDevOpsPat, DecodedIssuer, DecodedSubject, ExpectedNow, IssuerRetirement, Tone } from '../../../pkg/web/federate_wasm.js';
import type { ErrorInfo } from './messages.js';

/** A reason the engine gives for a verdict or a warning. */
export interface Reason {
  code: string;
  message: string;
}

/** The project a connection belongs to (or is shared with). */
export interface ProjectRef {
  projectId: string | null;
  projectName: string | null;
}

/** The federation facts of a federated or draft connection, as the engine explains them. */
export interface Federation {
  issuer: string | null;
  subject: string | null;
  audience: string | null;
  /** `azureDevOps` (vstoken + sc://) or `entra` (login.microsoftonline.com + /eid1/...), or another engine word. */
  format: string | null;
  /** The format in the engine's words ("Azure DevOps issuer", "Entra issuer", ...). */
  formatWord: string;
  issuerType: string | null;
  identity: { applicationId: string | null; tenantId: string | null } | null;
  /** The issuer segment by segment, as the engine explains it. */
  issuerDecoded: DecodedIssuer | null;
  /** The subject segment by segment, as the engine explains it; drawn as is. */
  decoded: DecodedSubject | null;
  /** What the connection should carry for its organization, project and name. */
  expected: unknown;
  /** The expected issuer and subject in the current format, and whether they differ (the engine's). */
  expectedNow: ExpectedNow | null;
  warnings: Reason[];
}

/** How far a connection is from workload identity federation. */
export type ConvertibleStatus = 'yes' | 'manual' | 'ownerProject' | 'no';

/** One connection's verdict (the engine's `classifyEndpoints` output, normalized). */
export interface Verdict {
  id: string | null;
  name: string | null;
  type: string | null;
  scheme: string | null;
  owner: ProjectRef | null;
  sharedWith: ProjectRef[];
  isShared: boolean;
  credential: string;
  usesSecret: boolean;
  state: string;
  convertible: { status: ConvertibleStatus; reasons: Reason[] };
  revertDeadline: string | null;
  revertDaysLeft: number | null;
  federation: Federation | null;
  /** The PAT (or password) it holds for an Azure DevOps host, if it does. */
  azureDevOpsPat: AzureDevOpsPat | null;
  /** On the Azure DevOps issuer in the public cloud (retiring 2027-07-01), as the engine decides. */
  issuerRetirement: IssuerRetirement | null;
  /** The credential in the engine's words ("Azure DevOps PAT" rather than "Token"). */
  credentialWord: string;
  /** The convertibility in the engine's words ("Can be converted now", ...). */
  convertibleWord: string;
  /** The colour family the engine gives its mark and row. */
  tone: Tone;
  /** What a draft or a manual connection waits for on its identity, in the engine's words. */
  nextStep: string | null;
  label: string;
  summary: string;
  /** The project the scan found it in (set by the extension, not the engine). */
  foundIn: ProjectRef | null;
}

/** The connections of one project, as one scan step found them. */
export interface ProjectInventory {
  project: ProjectRef;
  verdicts: Verdict[];
  /** The endpoints as read (the service returns no secret values), for remedies in the panel. */
  endpoints: unknown[];
  /** The organization id the verdicts were computed with (connectionData `instanceId`). */
  organizationId: string | null;
}

/** The remedy formats the engine renders (`federatedCredentialCommands`). */
export const REMEDY_FORMATS = ['az', 'azIdentity', 'powershell', 'bicep', 'terraform', 'graph', 'portal'] as const;
export type RemedyFormat = (typeof REMEDY_FORMATS)[number];

/** Names for the remedy format switch. */
export const REMEDY_FORMAT_NAMES: Record<RemedyFormat, string> = {
  az: 'az CLI (app registration)',
  azIdentity: 'az CLI (managed identity)',
  powershell: 'Azure PowerShell',
  bicep: 'Bicep',
  terraform: 'Terraform',
  graph: 'Microsoft Graph',
  portal: 'Azure portal steps',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const reasons = (v: unknown): Reason[] =>
  Array.isArray(v) ? v.filter(isObject).map((r) => ({ code: str(r.code) ?? '', message: str(r.message) ?? str(r.code) ?? '' })) : [];
const projectRef = (v: unknown): ProjectRef | null => {
  if (typeof v === 'string') return { projectId: null, projectName: v };
  if (!isObject(v)) return null;
  return { projectId: str(v.projectId) ?? str(v.id), projectName: str(v.projectName) ?? str(v.name) };
};

const TONES: readonly string[] = ['bad', 'warn', 'good', 'info'] satisfies Tone[];

const retirementOf = (v: unknown): IssuerRetirement | null => (v === 'retiring' || v === 'retired' ? v : null);

/** Normalizes one verdict from the engine (tolerates missing fields: the engine grows). */
export function normalizeVerdict(raw: unknown, foundIn: ProjectRef | null = null): Verdict {
  const r = isObject(raw) ? raw : {};
  const conv = isObject(r.convertible) ? r.convertible : {};
  const status = str(conv.status);
  const fed = isObject(r.federation) ? r.federation : null;
  const identity = fed && isObject(fed.identity) ? fed.identity : null;
  const base = {
    id: str(r.id)?.toLowerCase() ?? null,
    name: str(r.name),
    type: str(r.type),
    scheme: str(r.scheme),
    owner: projectRef(r.owner),
    sharedWith: Array.isArray(r.sharedWith) ? r.sharedWith.map(projectRef).filter((p): p is ProjectRef => p !== null) : [],
    isShared: r.isShared === true,
    credential: str(r.credential) ?? 'unknown',
    // The engine says null when it cannot tell (no credential, an unknown one): not a secret.
    usesSecret: r.usesSecret === true,
    state: str(r.state) ?? 'unknown',
    convertible: {
      status: (status === 'yes' || status === 'manual' || status === 'ownerProject' ? status : 'no') as ConvertibleStatus,
      reasons: reasons(conv.reasons),
    },
    revertDeadline: str(r.revertDeadline),
    revertDaysLeft: typeof r.revertDaysLeft === 'number' ? r.revertDaysLeft : null,
    federation: fed
      ? {
          issuer: str(fed.issuer),
          subject: str(fed.subject),
          audience: str(fed.audience),
          format: str(fed.format),
          formatWord: str(fed.formatWord) ?? str(fed.format) ?? '',
          issuerType: str(fed.issuerType),
          identity: identity ? { applicationId: str(identity.applicationId), tenantId: str(identity.tenantId) } : null,
          // The engine's own shapes, passed through untouched.
          issuerDecoded: (fed.issuerDecoded ?? null) as DecodedIssuer | null,
          decoded: (fed.decoded ?? null) as DecodedSubject | null,
          expected: fed.expected ?? null,
          expectedNow: (fed.expectedNow ?? null) as ExpectedNow | null,
          warnings: reasons(fed.warnings),
        }
      : null,
    azureDevOpsPat: isObject(r.azureDevOpsPat) ? (r.azureDevOpsPat as unknown as AzureDevOpsPat) : null,
    issuerRetirement: retirementOf(r.issuerRetirement),
    credentialWord: str(r.credentialWord) ?? str(r.credential) ?? 'unknown',
    convertibleWord: str(r.convertibleWord) ?? status ?? 'no',
    tone: (TONES.includes(str(r.tone) ?? '') ? str(r.tone) : 'info') as Tone,
    nextStep: str(r.nextStep),
    foundIn,
  };
  // The engine's other fields ride along unchanged, so a verdict handed back to the engine
  // (reports, the summary) loses nothing the engine added after this list was written.
  return { ...r, ...base, label: str(r.label) ?? base.credentialWord, summary: str(r.summary) ?? '' };
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
