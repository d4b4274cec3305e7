/**
 * Permission backend module: Shipshape's permission policy (operations for each entity's
 * owners and the admin groups of `permission.shipshape.adminGroups`; protected environments
 * for the admin groups only).
 *
 * @packageDocumentation
 */
export { permissionModuleShipshape as default } from './module';
