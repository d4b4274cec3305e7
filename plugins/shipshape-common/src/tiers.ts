import { Tier } from './contract';

/**
 * What a tier means when the entity does not say otherwise; shared by templates and readiness.
 *
 * @public
 */
export interface TierDefaults {
  replicas: number;
  /** PodDisruptionBudget minAvailable; 0 means no PDB. */
  pdbMinAvailable: number;
  /** Availability objective in percent. */
  availabilityObjective: number;
  rpo: string;
  rto: string;
  restoreDrillInterval: string;
  /** Whether backups must be copied to a second region. */
  requiresSecondBackupCopy: boolean;
}

/** @public */
export const TIER_DEFAULTS: Record<Tier, TierDefaults> = {
  critical: {
    replicas: 3,
    pdbMinAvailable: 2,
    availabilityObjective: 99.95,
    rpo: '15m',
    rto: '1h',
    restoreDrillInterval: '30d',
    requiresSecondBackupCopy: true,
  },
  standard: {
    replicas: 2,
    pdbMinAvailable: 1,
    availabilityObjective: 99.9,
    rpo: '1h',
    rto: '4h',
    restoreDrillInterval: '90d',
    requiresSecondBackupCopy: false,
  },
  'best-effort': {
    replicas: 1,
    pdbMinAvailable: 0,
    availabilityObjective: 99.5,
    rpo: '24h',
    rto: '24h',
    restoreDrillInterval: '180d',
    requiresSecondBackupCopy: false,
  },
};
