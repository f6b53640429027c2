// Must NOT compile (tests/node/types.test.mjs): proves the package's types are precise, not `any`.
import { classifyEndpoints, federatedCredentialCommands } from 'federate-ado';

const [first] = classifyEndpoints([], null);
export const wrongCredential: boolean = first.credential === 'pasword';
export const wrongFormat: string = federatedCredentialCommands({}, null, 'ansible');
export const wrongField: string = first.credentialKind;
