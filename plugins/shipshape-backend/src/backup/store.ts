import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ChangeNotifier } from '../operations/changes';
import { OperationStatus } from '../operations/store';
import { isoOf, jsonOf, numberOf } from '../rows';
import { TableCount } from './pg';

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
/** A backup's or drill's status: its operation's (they are never rolled back). */
export type RunStatus = Exclude<OperationStatus, 'rolled-back'>;

export type DrillStep =
  | 'fetch'
  | 'checksum'
  | 'create-database'
  | 'restore'
  | 'compare';

/**
 * A backup: its run (the operation with its id: who, why, status, step, error, times) and the
 * artefact the run made (shipshape_backups). `status` is the operation's, the one vocabulary
 * of every run; whether the portal verified the dump and whether retention deleted it are
 * facts of the artefact (`verifiedAt`, `deletedAt`), not statuses.
 */
export interface BackupRecord {
  id: string;
  target: string;
  entityRef: string;
  status: RunStatus;
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
  /** When the dump's data was taken (a CronJob's: its snapshot); the RPO counts from it. */
  startedAt: string;
  finishedAt?: string;
  /** When the portal re-read and checked the stored dump (pg_dump and CronJob backups). */
  verifiedAt?: string;
  /** When retention (the portal's, or the CronJob's for its dumps) deleted it. */
  deletedAt?: string;
}

/** A backup the portal verified and retention has not deleted: it counts, and can be drilled. */
export function isVerified(b: Pick<BackupRecord, 'verifiedAt' | 'deletedAt'>) {
  return b.verifiedAt !== undefined && b.deletedAt === undefined;
}

export interface TableComparison {
  table: string;
  expectedRows?: number;
  restoredRows?: number;
  ok: boolean;
}

/** A restore drill: its run (the operation) and its results (shipshape_restore_drills). */
export interface DrillRecord {
  id: string;
  backupId: string;
  target: string;
  entityRef: string;
  status: RunStatus;
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

const OPS = 'shipshape_operations';
const BACKUPS = 'shipshape_backups';
const DRILLS = 'shipshape_restore_drills';

/** The run's columns of a backup's or drill's operation (joined as `o`). */
const RUN_COLUMNS = [
  'o.entity_ref',
  'o.status',
  'o.step',
  'o.failed_step',
  'o.error',
  'o.requested_by',
  'o.reason',
  'o.created_at',
  'o.finished_at',
];

const backups = (db: Knex) =>
  db(`${BACKUPS} as b`)
    .join(`${OPS} as o`, 'o.id', 'b.operation_id')
    .select('b.*', ...RUN_COLUMNS);

const drillRows = (db: Knex) =>
  db(`${DRILLS} as d`)
    .join(`${OPS} as o`, 'o.id', 'd.operation_id')
    .select('d.*', ...RUN_COLUMNS);

function toBackup(r: any): BackupRecord {
  return {
    id: r.operation_id,
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
    startedAt: isoOf(r.taken_at)!,
    finishedAt: isoOf(r.finished_at),
    verifiedAt: isoOf(r.verified_at),
    deletedAt: isoOf(r.deleted_at),
  };
}

function toDrill(r: any): DrillRecord {
  return {
    id: r.operation_id,
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
    startedAt: isoOf(r.created_at)!,
    finishedAt: isoOf(r.finished_at),
  };
}

/**
 * Backups and drills in the plugin's database: the run is the operation (the engine's row,
 * with the step, failed step and error the run writes), the artefact or result a row keyed
 * by the operation's id.
 */
export class BackupStore {
  /**
   * @param changes news about a backup or drill written by this process (step, outcome), for
   *   long polls: its operation's notifier (OperationStore.changes), which also has the news
   *   of the run's end, claim and log.
   */
  constructor(
    private readonly db: Knex,
    readonly changes: ChangeNotifier = new ChangeNotifier(),
  ) {}

  /**
   * Records the artefact of a backup run. Its id is its operation's, which holds who asked,
   * why and the run's state: the operations engine holds the target (one backup per target
   * across replicas), heartbeats the run and hands an interrupted one to a live replica,
   * whose handler ends it.
   */
  async start(
    rec: Pick<BackupRecord, 'id' | 'target' | 'storageType' | 'storageKey'> &
      Partial<Pick<BackupRecord, 'method' | 'location' | 'step' | 'startedAt'>>,
  ): Promise<void> {
    await this.db(BACKUPS).insert({
      operation_id: rec.id,
      target: rec.target,
      method: rec.method ?? 'pg_dump',
      location: rec.location ?? null,
      storage_type: rec.storageType,
      storage_key: rec.storageKey,
      // a CronJob's backup was taken when its snapshot was, not when it was found
      taken_at: rec.startedAt ? new Date(rec.startedAt) : new Date(),
    });
    if (rec.step) await this.setRunStep(rec.id, rec.step);
  }

  /** The records of a target's backups stored under `storageKey` (CronJob backups), newest first. */
  async byStorageKey(
    target: string,
    storageKey: string,
  ): Promise<BackupRecord[]> {
    const rows = await backups(this.db)
      .where({ 'b.target': target, 'b.storage_key': storageKey })
      .orderBy('o.finished_at', 'desc');
    return rows.map(toBackup);
  }

  /** The step a running backup or drill has reached, on its operation. */
  private async setRunStep(id: string, step: BackupStep | DrillStep) {
    await this.db(OPS).where({ id, status: 'running' }).update({ step });
  }

  /**
   * Records why a run failed on its operation, once, unless the run already recorded its
   * success (`succeeded`: the artefact's or result's condition): a stopped runner's record
   * stays as the runner that took over left it. True when it was written.
   */
  private async recordFailure(
    db: Knex,
    id: string,
    failure: { failedStep?: string; error?: string },
    succeeded: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<boolean> {
    const n = await db(OPS)
      .where({ id, status: 'running' })
      .whereNull('error')
      .whereNotExists(q => succeeded(q))
      .update({
        failed_step: failure.failedStep ?? null,
        error: failure.error ?? 'no error recorded',
      });
    return n === 1;
  }

  /** Records the step a running backup has reached (and, optionally, where it runs). */
  async setStep(id: string, step: BackupStep, location?: string) {
    await this.setRunStep(id, step);
    if (location) {
      await this.db(BACKUPS).where({ operation_id: id }).update({ location });
    }
    this.changes.notify(id);
  }

  /**
   * Records how a backup run ended (not a status: the operation's follows when the engine ends
   * it): `verified` records the artefact the portal checked, `completed` one it did not read (an
   * in-cluster Job), `failed` why on the operation (once, and not after a verification).
   */
  async finish(
    id: string,
    fields: { end: 'verified' | 'completed' | 'failed' } & Partial<
      Pick<
        BackupRecord,
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
    if (fields.end === 'failed') {
      const written = await this.recordFailure(db, id, fields, q =>
        q
          .select(db.raw('1'))
          .from(BACKUPS)
          .where({ operation_id: id })
          .whereNotNull('verified_at'),
      );
      if (written && fields.durationMs !== undefined) {
        await db(BACKUPS)
          .where({ operation_id: id })
          .update({ duration_ms: fields.durationMs });
      }
    } else {
      await db(BACKUPS)
        .where({ operation_id: id })
        .update({
          size_bytes: fields.sizeBytes ?? null,
          sha256: fields.sha256 ?? null,
          duration_ms: fields.durationMs ?? null,
          tables: fields.tables ? JSON.stringify(fields.tables) : null,
          verified_at: fields.end === 'verified' ? new Date() : null,
        });
    }
    this.changes.notify(id);
  }

  /** Whether a backup run recorded its success (its artefact), so its operation succeeds. */
  static succeeded(b: BackupRecord): boolean {
    return (
      b.error === undefined &&
      (b.verifiedAt !== undefined ||
        (b.method === 'in-cluster' && b.durationMs !== undefined))
    );
  }

  async markDeleted(id: string) {
    await this.db(BACKUPS)
      .where({ operation_id: id })
      .update({ deleted_at: new Date() });
  }

  async get(id: string): Promise<BackupRecord> {
    const r = await backups(this.db).where({ 'b.operation_id': id }).first();
    if (!r) throw new NotFoundError(`No backup with id '${id}'`);
    return toBackup(r);
  }

  async list(target: string, limit = 50): Promise<BackupRecord[]> {
    const rows = await backups(this.db)
      .where({ 'b.target': target })
      .orderBy('b.taken_at', 'desc')
      .limit(limit);
    return rows.map(toBackup);
  }

  /** The target's verified backups retention has not deleted, newest first. */
  async verified(target: string): Promise<BackupRecord[]> {
    const rows = await backups(this.db)
      .where({ 'b.target': target })
      .whereNotNull('b.verified_at')
      .whereNull('b.deleted_at')
      .orderBy('b.taken_at', 'desc');
    return rows.map(toBackup);
  }

  /** Records the results row of a drill run (its operation holds who asked and its state). */
  async startDrill(
    rec: Pick<
      DrillRecord,
      'id' | 'backupId' | 'target' | 'databaseName' | 'backupAgeSeconds'
    > &
      Partial<Pick<DrillRecord, 'step'>>,
  ) {
    await this.db(DRILLS).insert({
      operation_id: rec.id,
      backup_id: rec.backupId,
      target: rec.target,
      database_name: rec.databaseName ?? null,
      backup_age_seconds: rec.backupAgeSeconds ?? null,
    });
    if (rec.step) await this.setRunStep(rec.id, rec.step);
  }

  /** Records the step a running drill has reached. */
  async setDrillStep(id: string, step: DrillStep) {
    await this.setRunStep(id, step);
    this.changes.notify(id);
  }

  /** Adds to a failed drill's error (what happened to its temporary database). */
  async appendDrillError(id: string, text: string) {
    const r = await this.db(OPS).where({ id }).first();
    if (!r) return;
    await this.db(OPS)
      .where({ id })
      .update({ error: `${r.error ?? ''}${text}` });
    this.changes.notify(id);
  }

  /**
   * Records how a drill run ended (the operation's status follows when the engine ends it):
   * `passed` records its results, `failed` why on the operation (once, and not after a pass)
   * with what it measured.
   */
  async finishDrill(
    id: string,
    fields: { end: 'passed' | 'failed' } & Pick<
      DrillRecord,
      'failedStep' | 'error' | 'restoreMs' | 'comparison'
    >,
    db: Knex = this.db,
  ) {
    const results = {
      restore_ms: fields.restoreMs ?? null,
      comparison: fields.comparison ? JSON.stringify(fields.comparison) : null,
    };
    if (fields.end === 'passed') {
      await db(DRILLS).where({ operation_id: id }).update(results);
    } else {
      const written = await this.recordFailure(db, id, fields, q =>
        q
          .select(db.raw('1'))
          .from(DRILLS)
          .where({ operation_id: id })
          .whereNotNull('comparison'),
      );
      if (written) {
        await db(DRILLS).where({ operation_id: id }).update(results);
      }
    }
    this.changes.notify(id);
  }

  /** Whether a drill run recorded its pass (its comparison, no error), so its operation succeeds. */
  static passed(d: DrillRecord): boolean {
    return d.error === undefined && d.comparison !== undefined;
  }

  async getDrill(id: string): Promise<DrillRecord> {
    const r = await drillRows(this.db).where({ 'd.operation_id': id }).first();
    if (!r) throw new NotFoundError(`No restore drill with id '${id}'`);
    return toDrill(r);
  }

  /** The temporary databases of drills still running (on any replica): never swept. */
  async runningDrillDatabases(): Promise<string[]> {
    const rows = await this.db(`${DRILLS} as d`)
      .join(`${OPS} as o`, 'o.id', 'd.operation_id')
      .whereIn('o.status', ['queued', 'running'])
      .whereNotNull('d.database_name')
      .select('d.database_name');
    return rows.map(r => r.database_name);
  }

  async drills(target: string, limit = 50): Promise<DrillRecord[]> {
    const rows = await drillRows(this.db)
      .where({ 'd.target': target })
      .orderBy('o.created_at', 'desc')
      .limit(limit);
    return rows.map(toDrill);
  }
}
