export { ShipshapeClient, shipshapeApiRef } from './ShipshapeClient';
export type { ShipshapeApi } from './ShipshapeClient';
export type {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrReadinessReport,
} from './types';
