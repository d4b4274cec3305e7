/**
 * Shipshape backend plugin.
 *
 * @packageDocumentation
 */
export { shipshapePlugin as default } from './plugin';
