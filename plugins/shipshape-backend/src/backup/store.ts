import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ChangeNotifier } from '../operations/longPoll';
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
export type BackupMethod = 'pg_dump' | 'in-cluster';
export type BackupStep =
  | 'dump'
  | 'upload'
  | 'verify'
  | 'commit'
  | 'create-job'
  | 'job';
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
  /** The backend instance running it, and when it last said so. */
  owner?: string;
  heartbeatAt?: string;
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
  /** The backend instance running it, and when it last said so. */
  owner?: string;
  heartbeatAt?: string;
  startedAt: string;
  finishedAt?: string;
}

const BACKUPS = 'shipshape_backups';

/** Who runs a backup and how long its heartbeat stays valid. */
export interface Lease {
  owner: string;
  leaseMs: number;
  /** For rows without a heartbeat (written before heartbeats existed). */
  staleAfterMs: number;
}
const DRILLS = 'shipshape_restore_drills';

function iso(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' || /^\d+$/.test(String(v))) {
    return new Date(Number(v)).toISOString();
  }
  const s = String(v);
  const d = new Date(s.includes('T') || s.endsWith('Z') ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

function json(v: unknown) {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function num(v: unknown) {
  return v === null || v === undefined ? undefined : Number(v);
}

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
    owner: r.owner ?? undefined,
    heartbeatAt: iso(r.heartbeat_at),
    sizeBytes: num(r.size_bytes),
    sha256: r.sha256 ?? undefined,
    durationMs: num(r.duration_ms),
    requestedBy: r.requested_by,
    reason: r.reason ?? undefined,
    tables: json(r.tables),
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    deletedAt: iso(r.deleted_at),
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
    restoreMs: num(r.restore_ms),
    backupAgeSeconds: num(r.backup_age_seconds),
    comparison: json(r.comparison),
    databaseName: r.database_name ?? undefined,
    owner: r.owner ?? undefined,
    heartbeatAt: iso(r.heartbeat_at),
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
  };
}

function isUniqueViolation(e: any): boolean {
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/i.test(String(e?.message))
  );
}

/** Backup and drill records in the plugin's database. */
export class BackupStore {
  /** News about a backup or drill written by this process (step, outcome), for long polls. */
  readonly changes = new ChangeNotifier();

  constructor(private readonly db: Knex) {}

  /**
   * Records a running backup owned by `lease.owner`, or throws ConflictError when one is
   * already running for the target (the unique partial index decides, also across
   * replicas). Running rows whose owner stopped heartbeating are failed first.
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
      Partial<Pick<BackupRecord, 'method' | 'location' | 'step'>>,
    lease: Lease,
  ): Promise<void> {
    await this.abandon({ ...lease, target: rec.target, own: false });
    const now = new Date();
    try {
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
        owner: lease.owner,
        heartbeat_at: now,
        started_at: now,
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const busy = await this.db(BACKUPS)
        .where({ target: rec.target, status: 'running' })
        .first();
      throw new ConflictError(
        `A backup of ${rec.target} is already running (${
          busy?.id ?? 'unknown'
        }, requested by ${busy?.requested_by ?? 'unknown'} at ${
          iso(busy?.started_at) ?? '?'
        }); wait for it to finish`,
      );
    }
  }

  /**
   * Fails running backups that cannot finish any more, which releases their target's lock:
   * with `own`, every running row of `owner` (a restarted instance runs none of them);
   * always, rows whose heartbeat is older than `leaseMs` (their instance is gone), and rows
   * without a heartbeat (written before it existed) older than `staleAfterMs`. Returns them.
   */
  async abandon(opts: Lease & { own: boolean; target?: string }) {
    const now = Date.now();
    const q = this.db(BACKUPS)
      .where({ status: 'running' })
      .andWhere(w => {
        if (opts.own) w.orWhere({ owner: opts.owner });
        w.orWhere('heartbeat_at', '<', new Date(now - opts.leaseMs));
        w.orWhere(n =>
          n
            .whereNull('heartbeat_at')
            .andWhere('started_at', '<', new Date(now - opts.staleAfterMs)),
        );
      });
    if (opts.target) q.andWhere({ target: opts.target });
    const rows = await q.clone().select('*');
    for (const r of rows) {
      const reached = r.step ?? 'start';
      const why =
        opts.own && r.owner === opts.owner
          ? `backend instance ${opts.owner} restarted while it ran`
          : `its backend instance ${
              r.owner ?? '(unknown)'
            } stopped (no heartbeat since ${
              iso(r.heartbeat_at) ?? iso(r.started_at)
            })`;
      await this.db(BACKUPS)
        .where({ id: r.id, status: 'running' })
        .update({
          status: 'failed',
          failed_step: r.step ?? 'abandoned',
          error: `abandoned at step ${reached}: ${why}${
            r.method === 'in-cluster' && r.location
              ? `; the Job ${r.location} may still run in the cluster`
              : ''
          }`,
          finished_at: new Date(),
        });
      this.changes.notify(r.id);
    }
    return rows.map(toBackup);
  }

  /** Renews the lease of running backups and drills `owner` runs; returns how many. */
  async heartbeat(owner: string, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    let n = 0;
    for (const table of [BACKUPS, DRILLS]) {
      n += await this.db(table)
        .whereIn('id', ids)
        .andWhere({ status: 'running', owner })
        .update({ heartbeat_at: new Date() });
    }
    return n;
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
  ) {
    await this.db(BACKUPS)
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
    lease: Pick<Lease, 'owner'>,
  ) {
    const now = new Date();
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
      owner: lease.owner,
      heartbeat_at: now,
      started_at: now,
    });
  }

  /** Records the step a running drill has reached. */
  async setDrillStep(id: string, step: DrillStep) {
    await this.db(DRILLS).where({ id, status: 'running' }).update({ step });
    this.changes.notify(id);
  }

  /**
   * Fails running drills that cannot finish any more, as `abandon` does for backups: with
   * `own`, every running drill of `owner`; always, drills whose heartbeat is older than
   * `leaseMs` and drills without one older than `staleAfterMs`. Each row is claimed with a
   * conditional update, so two instances never both fail (and clean up after) one drill.
   * Returns the drills this call failed.
   */
  async abandonDrills(opts: Lease & { own: boolean }): Promise<DrillRecord[]> {
    const now = Date.now();
    const rows = await this.db(DRILLS)
      .where({ status: 'running' })
      .andWhere(w => {
        if (opts.own) w.orWhere({ owner: opts.owner });
        w.orWhere('heartbeat_at', '<', new Date(now - opts.leaseMs));
        w.orWhere(n =>
          n
            .whereNull('heartbeat_at')
            .andWhere('started_at', '<', new Date(now - opts.staleAfterMs)),
        );
      })
      .select('*');
    const failed: DrillRecord[] = [];
    for (const r of rows) {
      const why =
        opts.own && r.owner === opts.owner
          ? `backend instance ${opts.owner} restarted while it ran`
          : `its backend instance ${
              r.owner ?? '(unknown)'
            } stopped (no heartbeat since ${
              iso(r.heartbeat_at) ?? iso(r.started_at)
            })`;
      const claimed = await this.db(DRILLS)
        .where({ id: r.id, status: 'running' })
        .update({
          status: 'failed',
          failed_step: r.step ?? 'abandoned',
          error: `abandoned at step ${r.step ?? 'start'}: ${why}`,
          finished_at: new Date(),
        });
      if (!claimed) continue;
      this.changes.notify(r.id);
      failed.push(
        toDrill((await this.db(DRILLS).where({ id: r.id }).first())!),
      );
    }
    return failed;
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
  ) {
    // only a running drill: one a restarted instance abandoned keeps its record
    await this.db(DRILLS)
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

  async drills(target: string, limit = 50): Promise<DrillRecord[]> {
    const rows = await this.db(DRILLS)
      .where({ target })
      .orderBy('started_at', 'desc')
      .limit(limit);
    return rows.map(toDrill);
  }
}
