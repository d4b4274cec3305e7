/**
 * Shipshape entity cards and pages. The new frontend system entry point is `/alpha`.
 *
 * @packageDocumentation
 */
export {
  shipshapePlugin,
  EntityShipshapeContractCard,
  EntityShipshapeOwnershipCard,
  ShipshapeOwnershipPage,
} from './legacy';
export {
  EntityShipshapeRolloutCard,
  EntityShipshapeRolloutContent,
} from './legacy';
export { ShipshapeClient, shipshapeApiRef } from './api';
export type {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrReadinessReport,
  DeployHistory,
  OperationLogPage,
  ShipshapeApi,
} from './api';
export { EntityShipshapeSloCard, ShipshapeSloBurnPage } from './legacy';
export { EntityShipshapeDrReadinessCard } from './legacy';
export {
  ShipshapeCostCenterFieldExtension,
  ShipshapeServiceNameFieldExtension,
} from './legacy';
