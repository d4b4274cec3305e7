import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { ChildProcess } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { Knex } from 'knex';
import { Readable, Transform } from 'stream';
import {
  BackupConfig,
  BackupTarget,
  assertEntityMayUse,
  passwordOf,
} from './config';
import {
  TableCount,
  countTables,
  describeConnection,
  drillRoleProblem,
  feedChild,
  pgClient,
  scrub,
  startDump,
  startList,
  startRestore,
} from './pg';
import { BackupStorage, createStorage } from './storage';
import { copyBackup, deleteCopies } from './copies';
import { retentionPlan } from './retention';
import { locationRedactor } from './redact';
import { KubernetesClusters } from '../kubernetes/clusters';
import {
  EngineStoppedError,
  OperationContext,
  OperationEngine,
  OperationOutcome,
} from '../operations/engine';
import { ClaimLostError, Operation } from '../operations/store';
import {
  createJob,
  findBackupCronJob,
  followJob,
  jobFromCronJob,
  manualJobName,
  podFailures,
  readJob,
  BACKUP_ID_ANNOTATION,
} from './inCluster';
import {
  BackupRecord,
  BackupStep,
  BackupStore,
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

/** Operation kinds of the engine, and the engine targets they hold (one run per target). */
export const BACKUP_KIND = 'backup';
export const DRILL_KIND = 'restore-drill';
const backupTargetKey = (name: string) => `backup:${name}`;
const drillTargetKey = (name: string) => `restore-drill:${name}`;

/** What the operation input of an in-cluster backup holds (to resume following its Job). */
interface InClusterInput {
  kubernetesId: string;
  environment: string;
  jobName: string;
}

/** Why a run was handed to this replica, for the record of a run that cannot resume. */
function interruption(op: Operation): string {
  return op.previousRunner === op.claimedBy
    ? `backend instance ${op.claimedBy} restarted while it ran`
    : `its backend instance ${
        op.previousRunner ?? '(unknown)'
      } stopped (taken over by ${op.claimedBy})`;
}

function backupOutcome(b: BackupRecord): OperationOutcome {
  const ok = b.status === 'verified' || b.status === 'succeeded';
  let reason = `failed at ${b.failedStep ?? 'start'}: ${
    b.error ?? 'no error recorded'
  }`;
  if (ok) {
    reason =
      b.method === 'in-cluster'
        ? `Job ${b.location} completed`
        : `verified: ${b.sizeBytes} bytes, sha256 ${b.sha256}`;
  }
  return {
    status: ok ? 'succeeded' : 'failed',
    reason,
    result: { backupId: b.id, status: b.status, failedStep: b.failedStep },
  };
}

function drillOutcome(d: DrillRecord): OperationOutcome {
  return {
    status: d.status === 'passed' ? 'succeeded' : 'failed',
    reason:
      d.status === 'passed'
        ? `restored in ${d.restoreMs} ms; row counts match in ${
            d.comparison?.length ?? 0
          } tables`
        : `failed at ${d.failedStep ?? 'start'}: ${
            d.error ?? 'no error recorded'
          }`,
    result: { drillId: d.id, backupId: d.backupId, status: d.status },
  };
}

/** Kills a child process when the backend shuts down; returns the unsubscribe. */
function killOnAbort(signal: AbortSignal, child: ChildProcess) {
  const kill = () => child.kill('SIGTERM');
  signal.addEventListener('abort', kill, { once: true });
  return () => signal.removeEventListener('abort', kill);
}

/**
 * Backups (pg_dump -Fc streamed through SHA-256 to storage, verified, then committed),
 * in-cluster backups (a Job from the service's backup CronJob) and restore drills (restore
 * into a temporary database, compare row counts, drop it).
 *
 * Each run is an operation of the one engine that also deploys (kinds `backup` and
 * `restore-drill`): the engine holds the target (one backup and one drill per target, across
 * replicas), heartbeats the run, keeps its log (which the scaffolder actions stream) and hands
 * a run whose replica stopped to a live one. This service keeps what outlives a run: the
 * backup inventory and the drill results, as records with the operation's id.
 */
export class BackupService {
  readonly store: BackupStore;
  /** Operation log lines go without hosts, buckets or paths (readers of the entity see them). */
  private readonly withoutLocations: (message: string) => string;
  private readonly storages = new Map<string, BackupStorage>();

  constructor(
    readonly config: BackupConfig,
    private readonly db: Knex,
    private readonly logger: LoggerService,
    private readonly engine: OperationEngine,
    private readonly clusters?: KubernetesClusters,
  ) {
    this.store = new BackupStore(db);
    this.withoutLocations = locationRedactor(config);
    engine.register(BACKUP_KIND, { run: ctx => this.runBackupOperation(ctx) });
    engine.register(DRILL_KIND, { run: ctx => this.runDrillOperation(ctx) });
  }

  /** A line for the operation's log (task log, card) and the backend's log; never throws. */
  private async say(
    ctx: OperationContext,
    message: string,
    level: 'info' | 'warn' | 'error' = 'info',
  ) {
    const { kind, id } = ctx.operation;
    this.logger[level](`${kind} ${id}: ${message}`);
    await ctx
      .log(this.withoutLocations(message), level)
      .catch(e =>
        this.logger.warn(`${kind} ${id}: log failed: ${messageOf(e)}`),
      );
  }

  private async setStep(
    ctx: OperationContext,
    step: BackupStep,
    location?: string,
  ) {
    await this.store
      .setStep(ctx.operation.id, step, location)
      .catch(e =>
        this.logger.warn(
          `Backup ${
            ctx.operation.id
          }: recording step ${step} failed: ${messageOf(e)}`,
        ),
      );
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

  /**
   * At plugin start: refuses (throws) a drill connection whose role is more than CREATEDB,
   * then sweeps drill databases a crash left. A drill server that cannot be reached is
   * logged, not fatal: each drill checks the role again before it creates its database.
   */
  async start(): Promise<void> {
    const conn = this.config.drillConnection;
    if (!conn) return;
    let problem: string | undefined;
    let password = '';
    let admin: Knex | undefined;
    try {
      password = passwordOf(conn, 'shipshape.backup.drill.connection');
      admin = pgClient(conn, password);
      problem = await drillRoleProblem(admin);
    } catch (e) {
      this.logger.warn(
        `Restore drills: cannot check the role of shipshape.backup.drill.connection (${describeConnection(
          conn,
        )}): ${scrub(messageOf(e), password)}; each drill checks it again`,
      );
      return;
    } finally {
      await admin?.destroy().catch(() => {});
    }
    if (problem) {
      throw new Error(
        `Refusing shipshape.backup.drill.connection (${describeConnection(
          conn,
        )}): ${problem}`,
      );
    }
    await this.sweepDrillDatabases();
  }

  /**
   * Drops the drill databases (shipshape_drill_*) the drill role owns that no running drill
   * holds and nobody is connected to: what a crashed backend left. Returns their names;
   * failures are logged.
   */
  async sweepDrillDatabases(): Promise<string[]> {
    const conn = this.config.drillConnection;
    if (!conn) return [];
    let password = '';
    let admin: Knex | undefined;
    const dropped: string[] = [];
    try {
      password = passwordOf(conn, 'shipshape.backup.drill.connection');
      admin = pgClient(conn, password);
      const { rows } = await admin.raw(
        `SELECT datname FROM pg_database
          WHERE datname LIKE 'shipshape\\_drill\\_%' AND pg_get_userbyid(datdba) = current_user
            AND NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.datname = pg_database.datname)`,
      );
      const running = new Set(await this.store.runningDrillDatabases());
      for (const { datname } of rows as { datname: string }[]) {
        if (running.has(datname)) continue;
        await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
        dropped.push(datname);
        this.logger.info(`Restore drills: swept leftover database ${datname}`);
      }
    } catch (e) {
      this.logger.warn(
        `Restore drills: sweeping leftover drill databases failed: ${scrub(
          messageOf(e),
          password,
        )}`,
      );
    } finally {
      await admin?.destroy().catch(() => {});
    }
    return dropped;
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

  /** The record now, and `done`: the record once this replica's run of it ended. */
  private async started<T>(id: string, read: (id: string) => Promise<T>) {
    return {
      record: await read(id),
      done: this.engine.waitFor(id).then(() => read(id)),
    };
  }

  /**
   * Submits a pg_dump backup (ConflictError if a backup of the target is running on any
   * replica); `done` resolves with the final record (verified or failed), never rejects.
   */
  async startBackup(req: {
    target: BackupTarget;
    entityRef: string;
    requestedBy: string;
    reason?: string;
  }): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const storage = this.storageOf(req.target);
    const op = await this.engine.submit(
      {
        kind: BACKUP_KIND,
        entityRef: req.entityRef,
        target: backupTargetKey(req.target.name),
        requestedBy: req.requestedBy,
        reason: req.reason,
        input: { target: req.target.name, method: 'pg_dump' },
      },
      {
        prepare: created =>
          this.store.start({
            id: created.id,
            target: req.target.name,
            entityRef: req.entityRef,
            storageType: storage.type,
            storageKey: backupKey(req.target.name, created.id),
            requestedBy: req.requestedBy,
            reason: req.reason,
            step: 'dump',
          }),
      },
    );
    return this.started(op.id, id => this.store.get(id));
  }

  /** The engine's handler of `backup`: runs, or resumes, the recorded backup. */
  private async runBackupOperation(
    ctx: OperationContext,
  ): Promise<OperationOutcome> {
    const rec = await this.store.get(ctx.operation.id);
    try {
      if (rec.method === 'in-cluster') await this.runInCluster(ctx, rec);
      else if (ctx.resumed) await this.abandonDump(ctx, rec);
      else await this.runBackup(ctx, rec);
    } catch (e) {
      if (e instanceof EngineStoppedError) throw e;
      // An error outside the steps (a target removed from config): end the record too.
      await this.store.finish(rec.id, {
        status: 'failed',
        failedStep: rec.step,
        error: messageOf(e),
      });
    }
    return backupOutcome(await this.store.get(rec.id));
  }

  /** A dump cannot resume: fail the record and discard the partial object. */
  private async abandonDump(ctx: OperationContext, rec: BackupRecord) {
    let error = `abandoned at step ${rec.step ?? 'start'}: ${interruption(
      ctx.operation,
    )}`;
    await this.storageOf(this.target(rec.target))
      .discard(rec.storageKey)
      .catch(e => {
        error += `; cleaning up the partial object failed: ${messageOf(e)}`;
      });
    await this.store.finish(rec.id, {
      status: 'failed',
      failedStep: rec.step ?? 'abandoned',
      error,
    });
    await this.say(ctx, error, 'warn');
  }

  private async runBackup(ctx: OperationContext, rec: BackupRecord) {
    const { id, storageKey: key } = rec;
    const target = this.target(rec.target);
    const storage = this.storageOf(target);
    const started = Date.now();
    let password = '';
    let step: BackupStep = 'dump';
    const at = async (s: BackupStep) => {
      step = s;
      await this.setStep(ctx, s);
    };
    try {
      password = passwordOf(target.connection, `backup target ${target.name}`);
      await this.say(
        ctx,
        `Dumping ${target.name} (pg_dump -Fc) to ${storage.describe(key)}`,
      );
      const { tables, size, sha256 } = await this.dumpToStorage(
        target,
        password,
        storage,
        key,
        at,
        ctx.signal,
      );
      await at('verify');
      await this.say(
        ctx,
        `Dumped ${tables.length} tables: ${size} bytes, sha256 ${sha256}; verifying what was stored`,
      );
      await this.verify(storage, key, size, sha256, tables);
      await at('commit');
      // Fenced: a runner that lost its claim (frozen past the takeover) commits nothing.
      await holdsClaim(ctx);
      await storage.commit(key);
      await ctx.fenced(tx =>
        this.store.finish(
          id,
          {
            status: 'verified',
            sizeBytes: size,
            sha256,
            tables,
            durationMs: Date.now() - started,
          },
          tx,
        ),
      );
      await this.say(
        ctx,
        `Verified and committed: ${size} bytes, sha256 ${sha256}, ${
          tables.length
        } tables, ${Date.now() - started} ms`,
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
          await this.say(ctx, `Copied to ${copy.location}`);
        } else {
          await this.say(ctx, `Second copy failed: ${copy.error}`, 'warn');
        }
      }
      await holdsClaim(ctx);
      const deleted = await this.applyRetention(target).catch(e => {
        this.say(ctx, `Retention failed: ${messageOf(e)}`, 'warn');
        return [];
      });
      if (deleted.length) {
        await this.say(
          ctx,
          `Retention deleted ${deleted.length} older backup(s): ${deleted.join(
            ', ',
          )}`,
        );
      }
    } catch (e) {
      if (claimLost(e, ctx)) {
        // The runner that took over owns the record and the object now.
        this.logger.warn(`backup ${id}: stopped: ${messageOf(e)}`);
        return;
      }
      const failedStep = (e instanceof StepError ? e.step : step) as BackupStep;
      let error = scrub(messageOf(e), password);
      if (ctx.signal.aborted) error += ' (the backend shut down while it ran)';
      try {
        await storage.discard(key);
      } catch (d) {
        error += `; cleaning up the partial object also failed: ${scrub(
          messageOf(d),
          password,
        )}`;
      }
      await this.store.finish(id, {
        status: 'failed',
        failedStep,
        error,
        durationMs: Date.now() - started,
      });
      await this.say(ctx, `Failed at ${failedStep}: ${error}`, 'error');
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
    at: (s: BackupStep) => Promise<void>,
    signal: AbortSignal,
  ) {
    const db = pgClient(target.connection, password);
    let trx: Knex.Transaction | undefined;
    let unsubscribe = () => {};
    try {
      trx = await db.transaction().catch(e => {
        throw new StepError(
          'dump',
          `cannot connect to ${describeConnection(
            target.connection,
          )}: ${messageOf(e)}`,
        );
      });
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
      unsubscribe = killOnAbort(signal, dump.child);
      const digest = new Digest();
      await at('upload');
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
      unsubscribe();
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

  /** Where an in-cluster backup would run: the environment and its backup CronJob. */
  async planInCluster(req: { kubernetesId: string; environment: string }) {
    if (!this.clusters) {
      throw new InputError(
        'In-cluster backups need the kubernetes cluster config (kubernetes.clusterLocatorMethods and shipshape.environments)',
      );
    }
    const env = this.clusters.placement(req.environment, req);
    const client = this.clusters.operator(env);
    const cron = await findBackupCronJob(client, env, req.kubernetesId);
    return { env, client, cron };
  }

  /**
   * Submits an in-cluster backup: a manual Job from the entity's backup CronJob (as `kubectl
   * create job --from=cronjob/<name>` makes it), one backup per target like any other. The
   * CronJob is looked up first: none is a NotFoundError before anything is recorded.
   */
  async startInCluster(req: {
    target: BackupTarget;
    entityRef: string;
    kubernetesId: string;
    environment: string;
    requestedBy: string;
    reason?: string;
  }): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const { env, cron } = await this.planInCluster(req);
    const cronName = cron.metadata!.name!;
    const input: InClusterInput = {
      kubernetesId: req.kubernetesId,
      environment: env.name,
      jobName: manualJobName(cronName),
    };
    const op = await this.engine.submit(
      {
        kind: BACKUP_KIND,
        entityRef: req.entityRef,
        target: backupTargetKey(req.target.name),
        requestedBy: req.requestedBy,
        reason: req.reason,
        input: { target: req.target.name, method: 'in-cluster', ...input },
      },
      {
        prepare: created =>
          this.store.start({
            id: created.id,
            target: req.target.name,
            entityRef: req.entityRef,
            method: 'in-cluster',
            storageType: 'in-cluster',
            storageKey: `${env.cluster}/${env.namespace}/cronjob/${cronName}`,
            location: `${env.cluster}/${env.namespace}/job/${input.jobName}`,
            step: 'create-job',
            requestedBy: req.requestedBy,
            reason: req.reason,
          }),
      },
    );
    return this.started(op.id, id => this.store.get(id));
  }

  /**
   * Creates the Job (unless an earlier runner did) and follows it to Complete or Failed. On
   * shutdown it stops following and leaves the run to the next runner, which resumes here.
   */
  private async runInCluster(ctx: OperationContext, rec: BackupRecord) {
    const input = ctx.operation.input as InClusterInput;
    const started = Date.now();
    let step: BackupStep = rec.step ?? 'create-job';
    try {
      const { env, client, cron } = await this.planInCluster(input);
      const { jobName } = input;
      if (ctx.resumed) {
        await this.say(
          ctx,
          `Resuming at step ${step}: ${interruption(ctx.operation)}`,
          'warn',
        );
      }
      if (step === 'create-job') {
        const job = jobFromCronJob(cron, jobName, {
          [BACKUP_ID_ANNOTATION]: rec.id,
        });
        await createJob(client, job).catch(e => {
          // a runner that stopped right after creating it: follow that Job
          if (!(ctx.resumed && (e as { code?: number }).code === 409)) throw e;
        });
        await this.say(
          ctx,
          `Created Job ${rec.location} from cronjob/${cron.metadata!.name}`,
        );
        step = 'job';
        await this.setStep(ctx, step);
      } else if (!(await readJob(client, env.namespace, jobName))) {
        throw new Error(
          `Job ${rec.location} no longer exists, so its outcome is unknown`,
        );
      }
      const outcome = await followJob({
        client,
        namespace: env.namespace,
        name: jobName,
        timeoutMs: this.config.inClusterTimeoutMs,
        signal: ctx.signal,
        onProgress: m => void this.say(ctx, m),
      });
      if (outcome.state === 'succeeded') {
        await this.store.finish(rec.id, {
          status: 'succeeded',
          durationMs: Date.now() - Date.parse(rec.startedAt),
        });
        await this.say(ctx, `Job ${jobName} succeeded: ${outcome.message}`);
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
      if (e instanceof EngineStoppedError) throw e;
      const error = messageOf(e);
      await this.store.finish(rec.id, {
        status: 'failed',
        failedStep: step,
        error,
        durationMs: Date.now() - started,
      });
      await this.say(ctx, `Failed at ${step}: ${error}`, 'error');
    }
  }

  /**
   * Deletes the verified backups the target's retention no longer keeps (retentionPlan:
   * time tiers, a minimum age, never the newest verified one).
   */
  async applyRetention(target: BackupTarget): Promise<string[]> {
    const verified = await this.store.verified(target.name);
    const storage = this.storageOf(target);
    const deleted: string[] = [];
    for (const d of retentionPlan(verified, target.retention)) {
      if (d.keep) continue;
      const b = verified.find(v => v.id === d.id)!;
      await storage.discard(b.storageKey);
      const copyTo = this.copyStorageOf(target);
      if (copyTo) await deleteCopies(this.db, b.id, b.storageKey, copyTo);
      await this.store.markDeleted(b.id);
      deleted.push(b.id);
      this.logger.info(
        `Retention: deleted backup ${b.id} of ${target.name} (${d.why})`,
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
   * Submits a drill of a verified backup (the newest one unless `backupId` is given);
   * ConflictError if a drill of the target is running. `done` resolves with the final
   * record, never rejects.
   */
  async startDrill(req: {
    target: BackupTarget;
    entityRef: string;
    requestedBy: string;
    backupId?: string;
  }): Promise<{ record: DrillRecord; done: Promise<DrillRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const backup = await this.drillBackup(req.target, req.backupId);
    const op = await this.engine.submit(
      {
        kind: DRILL_KIND,
        entityRef: req.entityRef,
        target: drillTargetKey(req.target.name),
        requestedBy: req.requestedBy,
        input: { target: req.target.name, backupId: backup.id },
      },
      {
        prepare: created =>
          this.store.startDrill({
            id: created.id,
            backupId: backup.id,
            target: req.target.name,
            entityRef: req.entityRef,
            requestedBy: req.requestedBy,
            databaseName: `shipshape_drill_${randomBytes(6).toString('hex')}`,
            backupAgeSeconds: Math.round(
              (Date.now() - Date.parse(backup.startedAt)) / 1000,
            ),
            step: 'create-database',
          }),
      },
    );
    return this.started(op.id, id => this.store.getDrill(id));
  }

  /**
   * The engine's handler of `restore-drill`. A drill cannot resume: a run handed over from a
   * stopped replica is failed and its temporary database dropped.
   */
  private async runDrillOperation(
    ctx: OperationContext,
  ): Promise<OperationOutcome> {
    const drill = await this.store.getDrill(ctx.operation.id);
    try {
      if (ctx.resumed) {
        const error = `abandoned at step ${
          drill.step ?? 'start'
        }: ${interruption(ctx.operation)}`;
        await this.store.finishDrill(drill.id, {
          status: 'failed',
          failedStep: drill.step ?? 'abandoned',
          error,
        });
        const dropped = await this.dropDrillDatabase(drill.databaseName);
        if (dropped)
          await this.store.appendDrillError(drill.id, `; ${dropped}`);
        await this.say(ctx, `${error}${dropped ? `; ${dropped}` : ''}`, 'warn');
      } else {
        await this.runDrill(
          ctx,
          this.target(drill.target),
          await this.store.get(drill.backupId),
          drill.databaseName!,
        );
      }
    } catch (e) {
      await this.store.finishDrill(drill.id, {
        status: 'failed',
        failedStep: drill.step,
        error: messageOf(e),
      });
    }
    return drillOutcome(await this.store.getDrill(drill.id));
  }

  private async runDrill(
    ctx: OperationContext,
    target: BackupTarget,
    backup: BackupRecord,
    databaseName: string,
  ): Promise<void> {
    const { id } = ctx.operation;
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
      const problem = await drillRoleProblem(admin).catch(e => {
        throw new Error(
          `cannot create ${databaseName} through shipshape.backup.drill.connection (${describeConnection(
            conn,
          )}): ${messageOf(e)}`,
        );
      });
      if (problem) {
        throw new Error(`shipshape.backup.drill.connection: ${problem}`);
      }
      await admin.raw('CREATE DATABASE ??', [databaseName]).catch(e => {
        throw new Error(
          `cannot create ${databaseName} through shipshape.backup.drill.connection (${describeConnection(
            conn,
          )}): ${messageOf(e)}`,
        );
      });
      await this.say(
        ctx,
        `Restoring backup ${backup.id} (${backup.sizeBytes} bytes, taken ${backup.startedAt}) into temporary database ${databaseName}`,
      );
      at('fetch');
      const t0 = Date.now();
      const input = await this.storageOf(target).read(
        backup.storageKey,
        false,
        ctx.signal,
      );
      at('restore');
      const restore = startRestore({
        binDir: this.config.binDir,
        conn,
        password,
        database: databaseName,
      });
      const unsubscribe = killOnAbort(ctx.signal, restore.child);
      const measured = digestOf(input);
      await feedChild(input, restore.child).finally(unsubscribe);
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
      await this.say(ctx, `Restored in ${restoreMs} ms; comparing row counts`);
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
      await ctx.fenced(tx =>
        this.store.finishDrill(
          id,
          { status: 'passed', restoreMs, comparison },
          tx,
        ),
      );
      await this.say(
        ctx,
        `Passed: ${comparison.length} tables match the backup's row counts; restored in ${restoreMs} ms`,
      );
    } catch (e) {
      if (claimLost(e, ctx)) {
        // The runner that took over records the drill; this one only drops its database.
        this.logger.warn(`restore drill ${id}: stopped: ${messageOf(e)}`);
        return;
      }
      let error = scrub(messageOf(e), password);
      if (ctx.signal.aborted) error += ' (the backend shut down while it ran)';
      await this.say(ctx, `Failed at ${step}: ${error}`, 'error');
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
          .then(() => this.say(ctx, `Dropped ${databaseName}`))
          .catch(e =>
            this.say(
              ctx,
              `Could not drop ${databaseName}: ${scrub(
                messageOf(e),
                password,
              )}`,
              'error',
            ),
          );
        await admin.destroy().catch(() => {});
      }
    }
  }
}

/** Throws ClaimLostError unless this runner still holds the operation's claim. */
async function holdsClaim(ctx: OperationContext): Promise<void> {
  await ctx.fenced(async () => undefined);
}

function claimLost(e: unknown, ctx: OperationContext): boolean {
  return (
    e instanceof ClaimLostError || ctx.signal.reason instanceof ClaimLostError
  );
}
