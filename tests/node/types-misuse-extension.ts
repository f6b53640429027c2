// Must NOT compile (tests/node/types.test.mjs): an extension file calling the engine through the
// extension's adapter with wrong argument types. Proves the adapter passes the generated types on.
import { classifyEndpoints, planConversions, remedies } from '../../extension/src/shared/engine.js';

export const wrongEndpoint = remedies(42, null);
export const wrongContext = classifyEndpoints([], { organizationName: 7 });
export const wrongSelection = planConversions([], { apiBase: 'https://dev.azure.com/contoso', projectName: null }, 'all', false);
export const wrongFormat = remedies({}, null).remedies.filter((r) => r.format === 'ansible');
export const wrongField: string | null = classifyEndpoints([], null)[0]?.foundInProject ?? null;
