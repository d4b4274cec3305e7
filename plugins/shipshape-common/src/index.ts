/**
 * Shipshape's isomorphic core: the entity contract, permissions and the arithmetic shared by
 * the backend and the cards. Pure functions, no I/O.
 *
 * @packageDocumentation
 */
export * from './contract';
export * from './duration';
export * from './permissions';
export * from './policy';
export * from './rollout';
export * from './policyApi';
export * from './tiers';
export * from './newService';
export * from './readiness';
export * from './backupLayout';
export * from './slo';
export * from './signals';
export * from './configurationHelp';
// The HTTP API's client and models, generated from the backend's openapi.yaml
// (scripts/generate-openapi.sh); a namespace, as some models share a name with the types above.
// (`import * as` + `export {}`, not `export * as`: API Extractor cannot analyze the latter once
// another module imports the same models as a namespace.)
import * as ShipshapeOpenApi from './schema/openapi';

export { ShipshapeOpenApi };
