import {
  DrReadiness,
  ReadinessChange,
} from '@shipshape/plugin-shipshape-common';

/**
 * A restore drill record (GET /entities/.../restore-drills/:id; listed with its backup).
 *
 * @public
 */
export interface DrillItem {
  id: string;
  backupId: string;
  status: 'running' | 'passed' | 'failed';
  /** The step a running drill has reached. */
  step?: string;
  startedAt: string;
  /** The measured restore duration: the observed RTO. */
  restoreMs?: number;
  /** The backup's age when the drill started: the achievable RPO. */
  backupAgeSeconds?: number;
  failedStep?: string;
  error?: string;
}

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
  /** The step a running backup has reached (dump, upload, verify, commit; create-job, job). */
  step?: string;
  location?: string;
  reason?: string;
  durationMs?: number;
  failedStep?: string;
  error?: string;
  sizeBytes?: number;
  startedAt: string;
  requestedBy: string;
  drills: DrillItem[];
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
