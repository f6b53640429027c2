// Workload identity federation issuers and subjects, in both formats Azure DevOps uses
// (ado-facts §8): the Azure DevOps ("classic") issuer with an `sc://org/project/name` subject,
// and the Microsoft Entra issuer with an `/eid1/c/pub/t/{tenant}/a/{app}/sc/{orgId}/{id}` subject
// whose tenant and app segments are GUIDs as unpadded base64url of their .NET little-endian bytes.

/** The Azure DevOps Entra application id, `rISbSSETf0KqFyZ8ppdXmA` once encoded. */
export const ADO_APP_ID = '499b84ac-1321-427f-aa17-267ca6975798';
/** Audience of every federated credential for Azure DevOps. */
export const AUDIENCE = 'api://AzureADTokenExchange';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GUID string -> 16 bytes in .NET `Guid.ToByteArray()` order (first three fields reversed). */
export function guidToBytesLe(guid) {
  if (!GUID_RE.test(guid)) throw new Error(`not a GUID: ${guid}`);
  const hex = guid.replaceAll('-', '');
  const be = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(be.subarray(0, 4)).reverse(),
    Buffer.from(be.subarray(4, 6)).reverse(),
    Buffer.from(be.subarray(6, 8)).reverse(),
    be.subarray(8),
  ]);
}

/** GUID -> 22-character unpadded base64url of its little-endian bytes. */
export function guidToLe64(guid) {
  return guidToBytesLe(guid).toString('base64url');
}

/** 22-character base64url -> lowercase hyphenated GUID (inverse of `guidToLe64`). */
export function le64ToGuid(text) {
  if (!/^[A-Za-z0-9_-]{22}$/.test(text)) throw new Error(`not a 22-character base64url GUID: ${text}`);
  const b = Buffer.from(text, 'base64url');
  const be = Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]).toString('hex');
  return `${be.slice(0, 8)}-${be.slice(8, 12)}-${be.slice(12, 16)}-${be.slice(16, 20)}-${be.slice(20)}`;
}

/** `https://login.microsoftonline.com/{tenant}/v2.0` */
export function entraIssuer(tenantId) {
  return `https://login.microsoftonline.com/${tenantId.toLowerCase()}/v2.0`;
}

/** `/eid1/c/pub/t/{le64 tenant}/a/{le64 ADO app}/sc/{orgId}/{endpointId}` */
export function entraSubject({ tenantId, orgId, endpointId }) {
  return `/eid1/c/pub/t/${guidToLe64(tenantId)}/a/${guidToLe64(ADO_APP_ID)}/sc/${orgId.toLowerCase()}/${endpointId.toLowerCase()}`;
}

/** `https://vstoken.dev.azure.com/{orgId}` */
export function adoIssuer(orgId) {
  return `https://vstoken.dev.azure.com/${orgId.toLowerCase()}`;
}

/** `sc://{org}/{project}/{connection name}` (home project and its name for the connection). */
export function adoSubject({ org, project, name }) {
  return `sc://${org}/${project}/${name}`;
}

/**
 * Issuer, subject and issuer type for a connection in the given format: 'entra' (default for
 * conversions, ado-facts §16 "Entra likely") or 'azureDevOps'. Only `EntraID` is a confirmed
 * issuer type (ado-facts §6.3), so the classic format carries none.
 */
export function federationFor(format, { org, orgId, tenantId, project, name, endpointId }) {
  if (format === 'azureDevOps') {
    return { issuer: adoIssuer(orgId), subject: adoSubject({ org, project, name }), issuerType: null };
  }
  return { issuer: entraIssuer(tenantId), subject: entraSubject({ tenantId, orgId, endpointId }), issuerType: 'EntraID' };
}

/** Parses an Entra subject into its decoded parts, or null when it is not one. */
export function parseEntraSubject(subject) {
  const m = /^\/eid1\/c\/([^/]+)\/t\/([A-Za-z0-9_-]{22})\/a\/([A-Za-z0-9_-]{22})\/sc\/([0-9a-fA-F-]{36})\/([0-9a-fA-F-]{36})$/.exec(
    subject,
  );
  if (!m) return null;
  return { cloud: m[1], tenantId: le64ToGuid(m[2]), appId: le64ToGuid(m[3]), orgId: m[4].toLowerCase(), endpointId: m[5].toLowerCase() };
}
