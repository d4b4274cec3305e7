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
export type { RolloutStatusCardProps } from './components/rollout';
export { ShipshapeClient, shipshapeApiRef } from './api';
export type {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrOverview,
  DrOverviewQuery,
  DrOverviewRow,
  DrReadinessReport,
  DeployHistory,
  OperationLogPage,
  OperationsPage,
  ShipshapeApi,
  SloChartsResponse,
} from './api';
export { EntityShipshapeSloCard, ShipshapeSloBurnPage } from './legacy';
export {
  EntityShipshapeDrContent,
  EntityShipshapeDrReadinessCard,
  ShipshapeDrOverviewPage,
} from './legacy';
export { ShipshapeConfigurationPage } from './legacy';
export { EntityShipshapeActivityContent } from './legacy';
export {
  ShipshapeCostCenterFieldExtension,
  ShipshapeServiceNameFieldExtension,
} from './legacy';
