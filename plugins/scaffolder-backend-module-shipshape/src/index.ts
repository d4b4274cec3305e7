/**
 * Scaffolder actions for Shipshape.
 *
 * @packageDocumentation
 */
export { scaffolderModuleShipshape as default } from './module';
