/**
 * Catalog module: Shipshape's ownership and cost-tag policy.
 *
 * @packageDocumentation
 */
export { catalogModuleShipshape as default } from './module';
