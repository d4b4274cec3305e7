import {
  DrReadiness,
  ReadinessChange,
} from '@shipshape/plugin-shipshape-common';

/**
 * A backup record as GET /entities/.../backups lists it (docs/backup.md).
 *
 * @public
 */
export interface BackupItem {
  id: string;
  status: 'running' | 'verified' | 'succeeded' | 'failed' | 'deleted';
  /** pg_dump (the portal dumped and verified it) or in-cluster (the chart's CronJob ran). */
  method?: 'pg_dump' | 'in-cluster';
  location?: string;
  reason?: string;
  durationMs?: number;
  failedStep?: string;
  error?: string;
  sizeBytes?: number;
  startedAt: string;
  requestedBy: string;
  drills: Array<{
    id: string;
    status: 'running' | 'passed' | 'failed';
    startedAt: string;
    restoreMs?: number;
    failedStep?: string;
    error?: string;
  }>;
}

/**
 * GET /entities/.../backups: the entity's backup target and its backups, newest first.
 *
 * @public
 */
export interface BackupHistory {
  target: string;
  storage: string;
  items: BackupItem[];
}

/**
 * GET /entities/.../dr-readiness: the grade, its checks, what changed since the last grade.
 *
 * @public
 */
export interface DrReadinessReport extends DrReadiness {
  entityRef: string;
  environment: string;
  target?: { name: string; storage: string };
  /** When the current grade was first recorded. */
  gradedAt: string;
  previous?: { status: DrReadiness['status']; gradedAt: string };
  changes: ReadinessChange[];
}
