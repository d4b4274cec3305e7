/**
 * Shipshape entity cards and pages. The new frontend system entry point is `/alpha`.
 *
 * @packageDocumentation
 */
export { shipshapePlugin, EntityShipshapeContractCard } from './legacy';
