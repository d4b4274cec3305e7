export { ShipshapeClient, shipshapeApiRef } from './ShipshapeClient';
export type { ShipshapeApi } from './ShipshapeClient';
