import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ChangeNotifier } from '../operations/changes';
import { isoOf, jsonOf, numberOf } from '../rows';
import { TableCount } from './pg';

/**
 * `verified`: a pg_dump backup the backend stored and verified itself. `succeeded`: an
 * in-cluster Job (the chart's CronJob) completed; the portal did not read its dump.
 */
export type BackupStatus =
  | 'running'
  | 'verified'
  | 'succeeded'
  | 'failed'
  | 'deleted';
/** `cronjob`: a dump the chart's CronJob wrote, found and verified by the portal (runs/cronJob.ts). */
export type BackupMethod = 'pg_dump' | 'in-cluster' | 'cronjob';
export type BackupStep =
  | 'dump'
  | 'upload'
  | 'verify'
  | 'commit'
  | 'create-job'
  | 'job'
  | 'fetch'
  | 'manifest';
export type DrillStep =
  | 'fetch'
  | 'checksum'
  | 'create-database'
  | 'restore'
  | 'compare';

export interface BackupRecord {
  id: string;
  target: string;
  entityRef: string;
  status: BackupStatus;
  method: BackupMethod;
  /** The step a running backup has reached (kept after it ends). */
  step?: BackupStep;
  failedStep?: BackupStep | 'abandoned';
  error?: string;
  storageType: string;
  storageKey: string;
  /** In-cluster: `<cluster>/<namespace>/job/<name>` (from cronjob/<name>). */
  location?: string;
  sizeBytes?: number;
  sha256?: string;
  durationMs?: number;
  requestedBy: string;
  reason?: string;
  tables?: TableCount[];
  startedAt: string;
  finishedAt?: string;
  deletedAt?: string;
}

export interface TableComparison {
  table: string;
  expectedRows?: number;
  restoredRows?: number;
  ok: boolean;
}

export interface DrillRecord {
  id: string;
  backupId: string;
  target: string;
  entityRef: string;
  status: 'running' | 'passed' | 'failed';
  /** The step a running drill has reached (kept after it ends). */
  step?: DrillStep;
  failedStep?: DrillStep | 'abandoned';
  error?: string;
  requestedBy: string;
  /** Measured restore duration: the observed RTO. */
  restoreMs?: number;
  /** Age of the backup when the drill started: the achievable RPO. */
  backupAgeSeconds?: number;
  comparison?: TableComparison[];
  /** The temporary database the backup is restored into (dropped at the end). */
  databaseName?: string;
  startedAt: string;
  finishedAt?: string;
}

const BACKUPS = 'shipshape_backups';
const DRILLS = 'shipshape_restore_drills';

function toBackup(r: any): BackupRecord {
  return {
    id: r.id,
    target: r.target,
    entityRef: r.entity_ref,
    status: r.status,
    method: r.method ?? 'pg_dump',
    step: r.step ?? undefined,
    failedStep: r.failed_step ?? undefined,
    error: r.error ?? undefined,
    storageType: r.storage_type,
    storageKey: r.storage_key,
    location: r.location ?? undefined,
    sizeBytes: numberOf(r.size_bytes),
    sha256: r.sha256 ?? undefined,
    durationMs: numberOf(r.duration_ms),
    requestedBy: r.requested_by,
    reason: r.reason ?? undefined,
    tables: jsonOf(r.tables),
    startedAt: isoOf(r.started_at)!,
    finishedAt: isoOf(r.finished_at),
    deletedAt: isoOf(r.deleted_at),
  };
}

function toDrill(r: any): DrillRecord {
  return {
    id: r.id,
    backupId: r.backup_id,
    target: r.target,
    entityRef: r.entity_ref,
    status: r.status,
    step: r.step ?? undefined,
    failedStep: r.failed_step ?? undefined,
    error: r.error ?? undefined,
    requestedBy: r.requested_by,
    restoreMs: numberOf(r.restore_ms),
    backupAgeSeconds: numberOf(r.backup_age_seconds),
    comparison: jsonOf(r.comparison),
    databaseName: r.database_name ?? undefined,
    startedAt: isoOf(r.started_at)!,
    finishedAt: isoOf(r.finished_at),
  };
}

/** Backup and drill records in the plugin's database. */
export class BackupStore {
  /** News about a backup or drill written by this process (step, outcome), for long polls. */
  readonly changes = new ChangeNotifier();

  constructor(private readonly db: Knex) {}

  /**
   * Records a running backup. Its id is its operation's: the operations engine holds the
   * target (one backup per target across replicas), heartbeats the run and hands an
   * interrupted one to a live replica, whose handler ends this record.
   */
  async start(
    rec: Pick<
      BackupRecord,
      | 'id'
      | 'target'
      | 'entityRef'
      | 'storageType'
      | 'storageKey'
      | 'requestedBy'
      | 'reason'
    > &
      Partial<Pick<BackupRecord, 'method' | 'location' | 'step' | 'startedAt'>>,
  ): Promise<void> {
    await this.db(BACKUPS).insert({
      id: rec.id,
      target: rec.target,
      entity_ref: rec.entityRef,
      status: 'running',
      method: rec.method ?? 'pg_dump',
      step: rec.step ?? null,
      location: rec.location ?? null,
      storage_type: rec.storageType,
      storage_key: rec.storageKey,
      requested_by: rec.requestedBy,
      reason: rec.reason ?? null,
      // a CronJob's backup started when its snapshot was taken, not when it was found
      started_at: rec.startedAt ? new Date(rec.startedAt) : new Date(),
    });
  }

  /** The records of a target's backups stored under `storageKey` (CronJob backups), newest first. */
  async byStorageKey(
    target: string,
    storageKey: string,
  ): Promise<BackupRecord[]> {
    const rows = await this.db(BACKUPS)
      .where({ target, storage_key: storageKey })
      .orderBy('finished_at', 'desc');
    return rows.map(toBackup);
  }

  /** Records the step a running backup has reached (and, optionally, where it runs). */
  async setStep(id: string, step: BackupStep, location?: string) {
    await this.db(BACKUPS)
      .where({ id, status: 'running' })
      .update(location ? { step, location } : { step });
    this.changes.notify(id);
  }

  async finish(
    id: string,
    fields: Partial<
      Pick<
        BackupRecord,
        | 'status'
        | 'failedStep'
        | 'error'
        | 'sizeBytes'
        | 'sha256'
        | 'durationMs'
        | 'tables'
      >
    >,
    db: Knex = this.db,
  ) {
    await db(BACKUPS)
      .where({ id, status: 'running' })
      .update({
        status: fields.status,
        failed_step: fields.failedStep ?? null,
        error: fields.error ?? null,
        size_bytes: fields.sizeBytes ?? null,
        sha256: fields.sha256 ?? null,
        duration_ms: fields.durationMs ?? null,
        tables: fields.tables ? JSON.stringify(fields.tables) : null,
        finished_at: new Date(),
      });
    this.changes.notify(id);
  }

  async markDeleted(id: string) {
    await this.db(BACKUPS)
      .where({ id })
      .update({ status: 'deleted', deleted_at: new Date() });
  }

  async get(id: string): Promise<BackupRecord> {
    const r = await this.db(BACKUPS).where({ id }).first();
    if (!r) throw new NotFoundError(`No backup with id '${id}'`);
    return toBackup(r);
  }

  async list(target: string, limit = 50): Promise<BackupRecord[]> {
    const rows = await this.db(BACKUPS)
      .where({ target })
      .orderBy('started_at', 'desc')
      .limit(limit);
    return rows.map(toBackup);
  }

  async verified(target: string): Promise<BackupRecord[]> {
    const rows = await this.db(BACKUPS)
      .where({ target, status: 'verified' })
      .orderBy('started_at', 'desc');
    return rows.map(toBackup);
  }

  async startDrill(
    rec: Pick<
      DrillRecord,
      | 'id'
      | 'backupId'
      | 'target'
      | 'entityRef'
      | 'requestedBy'
      | 'databaseName'
      | 'backupAgeSeconds'
    > &
      Partial<Pick<DrillRecord, 'step'>>,
  ) {
    await this.db(DRILLS).insert({
      id: rec.id,
      backup_id: rec.backupId,
      target: rec.target,
      entity_ref: rec.entityRef,
      status: 'running',
      requested_by: rec.requestedBy,
      database_name: rec.databaseName ?? null,
      backup_age_seconds: rec.backupAgeSeconds ?? null,
      step: rec.step ?? null,
      started_at: new Date(),
    });
  }

  /** Records the step a running drill has reached. */
  async setDrillStep(id: string, step: DrillStep) {
    await this.db(DRILLS).where({ id, status: 'running' }).update({ step });
    this.changes.notify(id);
  }

  /** Adds to a finished drill's error (what happened to its temporary database). */
  async appendDrillError(id: string, text: string) {
    const r = await this.db(DRILLS).where({ id }).first();
    if (!r) return;
    await this.db(DRILLS)
      .where({ id })
      .update({ error: `${r.error ?? ''}${text}` });
    this.changes.notify(id);
  }

  async finishDrill(
    id: string,
    fields: Pick<
      DrillRecord,
      'status' | 'failedStep' | 'error' | 'restoreMs' | 'comparison'
    >,
    db: Knex = this.db,
  ) {
    // only a running drill: one a restarted instance abandoned keeps its record
    await db(DRILLS)
      .where({ id, status: 'running' })
      .update({
        status: fields.status,
        failed_step: fields.failedStep ?? null,
        error: fields.error ?? null,
        restore_ms: fields.restoreMs ?? null,
        comparison: fields.comparison
          ? JSON.stringify(fields.comparison)
          : null,
        finished_at: new Date(),
      });
    this.changes.notify(id);
  }

  async getDrill(id: string): Promise<DrillRecord> {
    const r = await this.db(DRILLS).where({ id }).first();
    if (!r) throw new NotFoundError(`No restore drill with id '${id}'`);
    return toDrill(r);
  }

  /** The temporary databases of drills still running (on any replica): never swept. */
  async runningDrillDatabases(): Promise<string[]> {
    const rows = await this.db(DRILLS)
      .where({ status: 'running' })
      .whereNotNull('database_name')
      .select('database_name');
    return rows.map(r => r.database_name);
  }

  async drills(target: string, limit = 50): Promise<DrillRecord[]> {
    const rows = await this.db(DRILLS)
      .where({ target })
      .orderBy('started_at', 'desc')
      .limit(limit);
    return rows.map(toDrill);
  }
}
