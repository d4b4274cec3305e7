export { ShipshapeClient, shipshapeApiRef } from './ShipshapeClient';
export type { ShipshapeApi } from './ShipshapeClient';
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
  SloChartsResponse,
} from './types';
