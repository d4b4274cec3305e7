/**
 * Permission backend module: Shipshape's permission policy (operations for each entity's
 * owners and the admin groups of `permission.shipshape.adminGroups`; protected environments
 * for the admin groups only), and the policy itself for a portal's own policy to delegate to.
 *
 * @packageDocumentation
 */
export { permissionModuleShipshape as default } from './module';
export { ShipshapePermissionPolicy } from './policy';
