import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { createHash, randomBytes, randomUUID } from 'crypto';
import { Knex } from 'knex';
import { Readable, Transform } from 'stream';
import { BackupConfig, BackupTarget, passwordOf } from './config';
import {
  TableCount,
  countTables,
  feedChild,
  pgClient,
  scrub,
  startDump,
  startList,
  startRestore,
} from './pg';
import { BackupStorage, createStorage } from './storage';
import { copyBackup, deleteCopies } from './copies';
import { KubernetesClusters } from '../kubernetes/clusters';
import {
  createJob,
  findBackupCronJob,
  followJob,
  jobFromCronJob,
  manualJobName,
  podFailures,
  BACKUP_ID_ANNOTATION,
} from './inCluster';
import {
  BackupRecord,
  BackupStep,
  BackupStore,
  Lease,
  DrillRecord,
  DrillStep,
  TableComparison,
} from './store';

/** Counts bytes and computes SHA-256 of what flows through. */
export class Digest extends Transform {
  private readonly hash = createHash('sha256');
  /**
   * Bytes seen so far. Not called `size`: lib-storage's Upload reads `Body.size` as the
   * total length, and a 0 there made it expect 0 parts of a multipart upload.
   */
  bytes = 0;
  _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    cb();
  }
  /** Hex digest; call once, after the stream ended. */
  hex() {
    return this.hash.digest('hex');
  }
}

/** Hashes a readable without passing it on (for verification reads). */
function digestOf(input: Readable) {
  const hash = createHash('sha256');
  let size = 0;
  input.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  return () => ({ size, sha256: hash.digest('hex') });
}

class StepError extends Error {
  constructor(readonly step: string, message: string) {
    super(message);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Storage key of a backup: `<target>/<UTC timestamp>-<id>.dump` (pg_dump custom format). */
export function backupKey(target: string, id: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${target}/${stamp}-${id}.dump`;
}

function tableName(t: TableCount) {
  return `${t.schema}.${t.table}`;
}

/**
 * Backups (pg_dump -Fc streamed through SHA-256 to storage, verified, then committed) and
 * restore drills (restore into a temporary database, compare row counts, drop it).
 */
export class BackupService {
  readonly store: BackupStore;
  private readonly storages = new Map<string, BackupStorage>();

  /** Backups this instance runs now (their heartbeat is renewed while they run). */
  private readonly running = new Set<string>();
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    readonly config: BackupConfig,
    private readonly db: Knex,
    private readonly logger: LoggerService,
    private readonly clusters?: KubernetesClusters,
  ) {
    this.store = new BackupStore(db);
  }

  private get lease(): Lease {
    return {
      owner: this.config.instanceName,
      leaseMs: this.config.leaseMs,
      staleAfterMs: this.config.staleAfterMs,
    };
  }

  /**
   * At startup: fails the backups this instance was running when it stopped (they cannot
   * finish now) and any whose instance stopped heartbeating, releasing their targets.
   * Running backups of other live instances are left alone.
   */
  async recoverInterrupted(): Promise<BackupRecord[]> {
    const rows = await this.store.abandon({ ...this.lease, own: true });
    for (const r of rows) {
      this.logger.warn(
        `Backup ${r.id} of ${r.target} (${r.method}, owner ${
          r.owner ?? 'unknown'
        }) was interrupted at step ${r.step ?? 'start'}; marked failed`,
      );
    }
    await this.recoverInterruptedDrills().catch(e =>
      this.logger.error(
        `Recovering interrupted restore drills failed: ${messageOf(e)}`,
      ),
    );
    return rows;
  }

  /**
   * At startup (and before each drill): fails the drills this instance was running when it
   * stopped and any whose instance stopped heartbeating, and drops their temporary databases
   * if the drill connection allows; the record says whether it could.
   */
  async recoverInterruptedDrills(
    opts: { own: boolean } = { own: true },
  ): Promise<DrillRecord[]> {
    const drills = await this.store.abandonDrills({ ...this.lease, ...opts });
    const out: DrillRecord[] = [];
    for (const d of drills) {
      const dropped = await this.dropDrillDatabase(d.databaseName);
      if (dropped) await this.store.appendDrillError(d.id, `; ${dropped}`);
      this.logger.warn(
        `Restore drill ${d.id} of ${d.target} (owner ${
          d.owner ?? 'unknown'
        }) was interrupted at step ${d.step ?? 'start'}; marked failed${
          dropped ? `; ${dropped}` : ''
        }`,
      );
      out.push(await this.store.getDrill(d.id));
    }
    return out;
  }

  /**
   * Drops a drill's temporary database (IF EXISTS, WITH FORCE: an interrupted pg_restore may
   * still hold it); says what happened, for the record. Never throws.
   */
  private async dropDrillDatabase(name?: string): Promise<string | undefined> {
    if (!name) return undefined;
    const conn = this.config.drillConnection;
    if (!conn) {
      return `its temporary database ${name} was not dropped (no shipshape.backup.drill.connection); drop it by hand`;
    }
    let password = '';
    let admin: Knex | undefined;
    try {
      password = passwordOf(conn, 'shipshape.backup.drill.connection');
      admin = pgClient(conn, password);
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      return `its temporary database ${name} was dropped`;
    } catch (e) {
      return `its temporary database ${name} could not be dropped (${scrub(
        messageOf(e),
        password,
      )}); drop it by hand`;
    } finally {
      await admin?.destroy().catch(() => {});
    }
  }

  /** Runs `fn` for a recorded backup or drill while heartbeating it. */
  private track(id: string, fn: () => Promise<void>): Promise<void> {
    this.running.add(id);
    if (!this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => {
        this.store
          .heartbeat(this.config.instanceName, [...this.running])
          .catch(e =>
            this.logger.warn(`Backup heartbeat failed: ${messageOf(e)}`),
          );
      }, Math.max(200, Math.floor(this.config.leaseMs / 3)));
      this.heartbeatTimer.unref();
    }
    return fn().finally(() => {
      this.running.delete(id);
      if (this.running.size === 0 && this.heartbeatTimer) {
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = undefined;
      }
    });
  }

  /** Stops heartbeating (shutdown). */
  close() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private setStep(id: string, step: BackupStep, location?: string) {
    this.store
      .setStep(id, step, location)
      .catch(e =>
        this.logger.warn(
          `Backup ${id}: recording step ${step} failed: ${messageOf(e)}`,
        ),
      );
  }

  target(name: string): BackupTarget {
    const t = this.config.targets.get(name);
    if (!t) throw new NotFoundError(`No backup target '${name}' in app-config`);
    return t;
  }

  storageOf(target: BackupTarget): BackupStorage {
    let s = this.storages.get(target.name);
    if (!s) {
      s = createStorage(target.storage);
      this.storages.set(target.name, s);
    }
    return s;
  }

  /** The target's second storage (copyTo), if configured. */
  copyStorageOf(target: BackupTarget): BackupStorage | undefined {
    if (!target.copyTo) return undefined;
    const name = `${target.name}#copy`;
    let s = this.storages.get(name);
    if (!s) {
      s = createStorage(target.copyTo);
      this.storages.set(name, s);
    }
    return s;
  }

  /**
   * Records a running backup (ConflictError if one is running for the target) and starts
   * it; `done` resolves with the final record (verified or failed), never rejects.
   */
  async startBackup(req: {
    target: BackupTarget;
    entityRef: string;
    requestedBy: string;
    reason?: string;
  }): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    const id = randomUUID();
    const key = backupKey(req.target.name, id);
    const storage = this.storageOf(req.target);
    await this.store.start(
      {
        id,
        target: req.target.name,
        entityRef: req.entityRef,
        storageType: storage.type,
        storageKey: key,
        requestedBy: req.requestedBy,
        reason: req.reason,
        step: 'dump',
      },
      this.lease,
    );
    this.logger.info(
      `Backup ${id} of ${req.target.name} started by ${
        req.requestedBy
      } to ${storage.describe(key)}`,
    );
    const done = this.track(id, () =>
      this.runBackup(id, req.target, storage, key),
    ).then(() => this.store.get(id));
    return { record: await this.store.get(id), done };
  }

  private async runBackup(
    id: string,
    target: BackupTarget,
    storage: BackupStorage,
    key: string,
  ): Promise<void> {
    const started = Date.now();
    let password = '';
    let step: BackupStep = 'dump';
    try {
      password = passwordOf(target.connection, `backup target ${target.name}`);
      const { tables, size, sha256 } = await this.dumpToStorage(
        target,
        password,
        storage,
        key,
        s => {
          step = s;
          this.setStep(id, s);
        },
      );
      step = 'verify';
      this.setStep(id, step);
      await this.verify(storage, key, size, sha256, tables);
      step = 'commit';
      this.setStep(id, step);
      await storage.commit(key);
      await this.store.finish(id, {
        status: 'verified',
        sizeBytes: size,
        sha256,
        tables,
        durationMs: Date.now() - started,
      });
      this.logger.info(
        `Backup ${id} of ${
          target.name
        } verified: ${size} bytes, sha256 ${sha256}, ${tables.length} tables, ${
          Date.now() - started
        } ms`,
      );
      const copyTo = this.copyStorageOf(target);
      if (copyTo) {
        // A failed copy is recorded with its step; the backup stays verified.
        const copy = await copyBackup(this.db, {
          backupId: id,
          target: target.name,
          key,
          sizeBytes: size,
          sha256,
          from: storage,
          to: copyTo,
        }).catch(e => ({
          status: 'failed',
          location: copyTo.describe(key),
          error: `recording the copy failed: ${messageOf(e)}`,
        }));
        if (copy.status === 'verified') {
          this.logger.info(`Backup ${id} copied to ${copy.location}`);
        } else {
          this.logger.warn(`Backup ${id} of ${target.name}: ${copy.error}`);
        }
      }
      await this.applyRetention(target).catch(e =>
        this.logger.warn(`Retention of ${target.name} failed: ${messageOf(e)}`),
      );
    } catch (e) {
      const failedStep = (e instanceof StepError ? e.step : step) as BackupStep;
      let error = scrub(messageOf(e), password);
      try {
        await storage.discard(key);
      } catch (d) {
        error += `; cleaning up the partial object also failed: ${scrub(
          messageOf(d),
          password,
        )}`;
      }
      this.logger.warn(
        `Backup ${id} of ${target.name} failed at ${failedStep}: ${error}`,
      );
      await this.store.finish(id, {
        status: 'failed',
        failedStep,
        error,
        durationMs: Date.now() - started,
      });
    }
  }

  /**
   * Exports a snapshot in a repeatable-read transaction, counts every user table in it, and
   * runs pg_dump on the same snapshot, its stdout hashed on the way to `<key>.partial`.
   */
  private async dumpToStorage(
    target: BackupTarget,
    password: string,
    storage: BackupStorage,
    key: string,
    setStep: (s: BackupStep) => void,
  ) {
    const db = pgClient(target.connection, password);
    let trx: Knex.Transaction | undefined;
    try {
      trx = await db.transaction();
      await trx.raw(
        'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
      );
      const snapshot = (await trx.raw('SELECT pg_export_snapshot() AS s'))
        .rows[0].s as string;
      const tables = await countTables(trx);
      const dump = startDump({
        binDir: this.config.binDir,
        conn: target.connection,
        password,
        snapshot,
      });
      const digest = new Digest();
      setStep('upload');
      let uploadFailed = false;
      const upload = storage
        .writePartial(key, dump.child.stdout!.pipe(digest))
        .catch(err => {
          uploadFailed = true;
          dump.child.kill('SIGTERM');
          throw err;
        });
      const [up, exit] = await Promise.allSettled([upload, dump.exit]);
      if (up.status === 'rejected' && uploadFailed) {
        throw new StepError(
          'upload',
          `storing ${storage.describe(key)} failed: ${messageOf(up.reason)}`,
        );
      }
      if (exit.status === 'rejected') {
        throw new StepError(
          'dump',
          `pg_dump did not start: ${messageOf(exit.reason)}`,
        );
      }
      if (exit.value.code !== 0) {
        throw new StepError(
          'dump',
          `pg_dump exited with ${
            exit.value.code ?? exit.value.signal
          }: ${exit.value.stderr.trim()}`,
        );
      }
      return { tables, size: digest.bytes, sha256: digest.hex() };
    } catch (e) {
      if (e instanceof StepError) throw e;
      throw new StepError('dump', messageOf(e));
    } finally {
      await trx?.commit().catch(() => {});
      await db.destroy();
    }
  }

  /** Re-reads the stored partial object: size, SHA-256 and pg_restore --list of its tables. */
  private async verify(
    storage: BackupStorage,
    key: string,
    size: number,
    sha256: string,
    tables: TableCount[],
  ) {
    const input = await storage.read(key, true);
    const list = startList(this.config.binDir);
    const measured = digestOf(input);
    await feedChild(input, list.child);
    const result = await list.result;
    const got = measured();
    if (got.size !== size || got.sha256 !== sha256) {
      throw new StepError(
        'verify',
        `stored object differs from what was dumped: ${got.size} bytes sha256 ${got.sha256}, expected ${size} bytes sha256 ${sha256}`,
      );
    }
    if (result.code !== 0) {
      throw new StepError(
        'verify',
        `pg_restore --list cannot read the stored dump: ${result.stderr.trim()}`,
      );
    }
    const expected = tables.map(tableName).sort();
    const missing = expected.filter(t => !result.tables.includes(t));
    if (missing.length) {
      throw new StepError(
        'verify',
        `the stored dump has no data for ${missing.join(', ')}`,
      );
    }
  }

  /**
   * Triggers the entity's backup CronJob in an environment as a manual Job (as `kubectl
   * create job --from=cronjob/<name>` does) and records it like any backup (method
   * in-cluster, lock per target). The CronJob is looked up first: none is a NotFoundError
   * before anything is recorded. `done` resolves with the final record, never rejects.
   */
  /** Where an in-cluster backup would run: the environment and its backup CronJob. */
  async planInCluster(req: { kubernetesId: string; environment: string }) {
    if (!this.clusters) {
      throw new InputError(
        'In-cluster backups need the kubernetes cluster config (kubernetes.clusterLocatorMethods and shipshape.environments)',
      );
    }
    const env = this.clusters.environment(req.environment);
    const client = this.clusters.operator(env);
    const cron = await findBackupCronJob(client, env, req.kubernetesId);
    return { env, client, cron };
  }

  async startInCluster(req: {
    target: BackupTarget;
    entityRef: string;
    kubernetesId: string;
    environment: string;
    requestedBy: string;
    reason?: string;
  }): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    const { env, client, cron } = await this.planInCluster(req);
    const cronName = cron.metadata!.name!;
    const jobName = manualJobName(cronName);
    const location = `${env.cluster}/${env.namespace}/job/${jobName}`;
    const id = randomUUID();
    await this.store.start(
      {
        id,
        target: req.target.name,
        entityRef: req.entityRef,
        method: 'in-cluster',
        storageType: 'in-cluster',
        storageKey: `${env.cluster}/${env.namespace}/cronjob/${cronName}`,
        location,
        step: 'create-job',
        requestedBy: req.requestedBy,
        reason: req.reason,
      },
      this.lease,
    );
    this.logger.info(
      `In-cluster backup ${id} of ${req.target.name} started by ${req.requestedBy}: Job ${location} from cronjob/${cronName}`,
    );
    const done = this.track(id, async () => {
      const started = Date.now();
      let step: BackupStep = 'create-job';
      try {
        await createJob(
          client,
          jobFromCronJob(cron, jobName, { [BACKUP_ID_ANNOTATION]: id }),
        );
        step = 'job';
        this.setStep(id, step);
        const outcome = await followJob({
          client,
          namespace: env.namespace,
          name: jobName,
          timeoutMs: this.config.inClusterTimeoutMs,
          onProgress: m => this.logger.info(`Backup ${id}: ${m}`),
        });
        if (outcome.state === 'succeeded') {
          await this.store.finish(id, {
            status: 'succeeded',
            durationMs: Date.now() - started,
          });
          this.logger.info(
            `In-cluster backup ${id} of ${req.target.name} succeeded: ${outcome.message}`,
          );
          return;
        }
        const pods = await podFailures(client, env.namespace, jobName).catch(
          e => `pods not readable: ${messageOf(e)}`,
        );
        throw new Error(
          `Job ${jobName} failed: ${outcome.reason}${
            outcome.message ? `: ${outcome.message}` : ''
          }${pods ? `; ${pods}` : ''}`,
        );
      } catch (e) {
        const error = messageOf(e);
        this.logger.warn(
          `In-cluster backup ${id} of ${req.target.name} failed at ${step}: ${error}`,
        );
        await this.store.finish(id, {
          status: 'failed',
          failedStep: step,
          error,
          durationMs: Date.now() - started,
        });
      }
    }).then(() => this.store.get(id));
    return { record: await this.store.get(id), done };
  }

  /**
   * Keeps the newest `keepLast` verified backups and none older than `maxAgeDays`, but never
   * deletes the newest verified backup.
   */
  async applyRetention(target: BackupTarget): Promise<string[]> {
    const verified = await this.store.verified(target.name);
    const storage = this.storageOf(target);
    const cutoff = Date.now() - target.retention.maxAgeDays * 86_400_000;
    const deleted: string[] = [];
    for (const [i, b] of verified.entries()) {
      if (i === 0) continue; // the last verified backup stays, whatever its age
      const tooMany = i >= target.retention.keepLast;
      const tooOld = Date.parse(b.startedAt) < cutoff;
      if (!tooMany && !tooOld) continue;
      await storage.discard(b.storageKey);
      const copyTo = this.copyStorageOf(target);
      if (copyTo) await deleteCopies(this.db, b.id, b.storageKey, copyTo);
      await this.store.markDeleted(b.id);
      deleted.push(b.id);
      this.logger.info(
        `Retention: deleted backup ${b.id} of ${target.name} (${
          tooMany
            ? `beyond keepLast ${target.retention.keepLast}`
            : `older than ${target.retention.maxAgeDays} days`
        })`,
      );
    }
    return deleted;
  }

  /** The backup a drill would restore (given or the newest verified); checks drills are configured. */
  async drillBackup(
    target: BackupTarget,
    backupId?: string,
  ): Promise<BackupRecord> {
    if (!this.config.drillConnection) {
      throw new InputError(
        'Restore drills need shipshape.backup.drill.connection (a user that may CREATE DATABASE) in app-config',
      );
    }
    let backup: BackupRecord;
    if (backupId) {
      backup = await this.store.get(backupId);
      if (backup.target !== target.name) {
        throw new NotFoundError(
          `Backup ${backupId} is of target ${backup.target}, not ${target.name}`,
        );
      }
      if (backup.method === 'in-cluster') {
        throw new InputError(
          `Backup ${backupId} ran in the cluster (${backup.location}); the portal does not know where that Job stored its dump, so only pg_dump backups can be drilled`,
        );
      }
      if (backup.status !== 'verified') {
        throw new InputError(
          `Backup ${backupId} is ${backup.status}${
            backup.failedStep ? ` (at ${backup.failedStep})` : ''
          }; only verified backups can be drilled`,
        );
      }
    } else {
      const latest = (await this.store.verified(target.name))[0];
      if (!latest) {
        throw new NotFoundError(
          `${target.name} has no verified backup to drill; take a backup first`,
        );
      }
      backup = latest;
    }
    return backup;
  }

  /**
   * Records a drill of a verified backup (the newest one unless `backupId` is given) and
   * starts it; `done` resolves with the final record, never rejects.
   */
  async startDrill(req: {
    target: BackupTarget;
    entityRef: string;
    requestedBy: string;
    backupId?: string;
  }): Promise<{ record: DrillRecord; done: Promise<DrillRecord> }> {
    const backup = await this.drillBackup(req.target, req.backupId);
    // drills of instances that stopped heartbeating: failed, their databases dropped
    await this.recoverInterruptedDrills({ own: false });
    const id = randomUUID();
    const databaseName = `shipshape_drill_${randomBytes(6).toString('hex')}`;
    await this.store.startDrill(
      {
        id,
        backupId: backup.id,
        target: req.target.name,
        entityRef: req.entityRef,
        requestedBy: req.requestedBy,
        databaseName,
        backupAgeSeconds: Math.round(
          (Date.now() - Date.parse(backup.startedAt)) / 1000,
        ),
        step: 'create-database',
      },
      this.lease,
    );
    const done = this.track(id, () =>
      this.runDrill(id, req.target, backup, databaseName),
    ).then(() => this.store.getDrill(id));
    return { record: await this.store.getDrill(id), done };
  }

  private async runDrill(
    id: string,
    target: BackupTarget,
    backup: BackupRecord,
    databaseName: string,
  ): Promise<void> {
    const conn = this.config.drillConnection!;
    let password = '';
    let step: DrillStep = 'create-database';
    let admin: Knex | undefined;
    let restored: Knex | undefined;
    let restoreMs: number | undefined;
    let comparison: TableComparison[] | undefined;
    const at = (s: DrillStep) => {
      step = s;
      this.store
        .setDrillStep(id, s)
        .catch(e =>
          this.logger.warn(
            `Restore drill ${id}: recording step ${s} failed: ${messageOf(e)}`,
          ),
        );
    };
    try {
      password = passwordOf(conn, 'shipshape.backup.drill.connection');
      admin = pgClient(conn, password);
      await admin.raw('CREATE DATABASE ??', [databaseName]);
      at('fetch');
      const t0 = Date.now();
      const input = await this.storageOf(target).read(backup.storageKey);
      at('restore');
      const restore = startRestore({
        binDir: this.config.binDir,
        conn,
        password,
        database: databaseName,
      });
      const measured = digestOf(input);
      await feedChild(input, restore.child);
      const exit = await restore.exit;
      restoreMs = Date.now() - t0;
      const got = measured();
      if (got.size !== backup.sizeBytes || got.sha256 !== backup.sha256) {
        at('checksum');
        throw new Error(
          `stored backup is corrupted: ${got.size} bytes sha256 ${got.sha256}, recorded ${backup.sizeBytes} bytes sha256 ${backup.sha256}`,
        );
      }
      if (exit.code !== 0) {
        throw new Error(
          `pg_restore exited with ${
            exit.code ?? exit.signal
          }: ${exit.stderr.trim()}`,
        );
      }
      at('compare');
      restored = pgClient(conn, password, databaseName);
      const counts = await countTables(restored);
      const byName = new Map(counts.map(c => [tableName(c), c.rows]));
      const expected = backup.tables ?? [];
      comparison = expected.map(t => ({
        table: tableName(t),
        expectedRows: t.rows,
        restoredRows: byName.get(tableName(t)),
        ok: byName.get(tableName(t)) === t.rows,
      }));
      const known = new Set(expected.map(tableName));
      for (const c of counts) {
        if (!known.has(tableName(c))) {
          comparison.push({
            table: tableName(c),
            restoredRows: c.rows,
            ok: false,
          });
        }
      }
      const bad = comparison.filter(c => !c.ok);
      if (bad.length) {
        throw new Error(
          `restored tables differ from the backup's record: ${bad
            .map(
              b =>
                `${b.table} expected ${
                  b.expectedRows ?? 'absent'
                } rows, restored ${b.restoredRows ?? 'absent'}`,
            )
            .join('; ')}`,
        );
      }
      await this.store.finishDrill(id, {
        status: 'passed',
        restoreMs,
        comparison,
      });
      this.logger.info(
        `Restore drill ${id} of backup ${backup.id} (${target.name}) passed: ${comparison.length} tables, restored in ${restoreMs} ms`,
      );
    } catch (e) {
      const error = scrub(messageOf(e), password);
      this.logger.warn(
        `Restore drill ${id} of ${target.name} failed at ${step}: ${error}`,
      );
      await this.store.finishDrill(id, {
        status: 'failed',
        failedStep: step,
        error,
        restoreMs,
        comparison,
      });
    } finally {
      await restored?.destroy().catch(() => {});
      if (admin) {
        await admin
          .raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [databaseName])
          .catch(e =>
            this.logger.error(
              `Restore drill ${id}: could not drop ${databaseName}: ${scrub(
                messageOf(e),
                password,
              )}`,
            ),
          );
        await admin.destroy().catch(() => {});
      }
    }
  }
}
