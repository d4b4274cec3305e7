import { Knex } from 'knex';
import { BackupTarget, assertEntityMayUse, passwordOf } from '../config';
import { deleteCopies } from '../copies';
import {
  TableCount,
  countTables,
  describeConnection,
  pgClient,
  scrub,
  startDump,
} from '../pg';
import { retentionPlan } from '../retention';
import { BackupStorage } from '../storage';
import { BackupRecord, BackupStep } from '../store';
import { OperationContext } from '../../operations/engine';
import {
  BackupRequest,
  RunContext,
  StepError,
  holdsClaim,
  interruption,
  killOnAbort,
  messageOf,
} from './context';
import { Digest } from './digest';
import { verifyStoredDump } from './verifyDump';

/** Storage key of a backup: `<target>/<UTC timestamp>-<id>.dump` (pg_dump custom format). */
export function backupKey(target: string, id: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${target}/${stamp}-${id}.dump`;
}

/**
 * pg_dump backups: pg_dump -Fc streamed through SHA-256 to `<key>.partial`, re-read and
 * verified (size, checksum, pg_restore --list), then committed; then the second copy and
 * retention.
 */
export class PgDumpBackups {
  constructor(private readonly run: RunContext) {}

  /**
   * Submits a pg_dump backup (ConflictError if a backup of the target is running on any
   * replica); `done` resolves with the final record (verified or failed), never rejects.
   */
  async start(
    req: BackupRequest,
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const storage = this.run.storageOf(req.target);
    return this.run.submitBackup(req, { method: 'pg_dump' }, id => ({
      storageType: storage.type,
      storageKey: backupKey(req.target.name, id),
      step: 'dump',
    }));
  }

  /** A dump cannot resume: fail the record and discard the partial object. */
  async abandon(ctx: OperationContext, rec: BackupRecord) {
    let error = `abandoned at step ${rec.step ?? 'start'}: ${interruption(
      ctx.operation,
    )}`;
    await this.run
      .storageOf(this.run.target(rec.target))
      .discard(rec.storageKey)
      .catch(e => {
        error += `; cleaning up the partial object failed: ${messageOf(e)}`;
      });
    await this.run.fail(
      ctx,
      { of: 'backup', failedStep: rec.step ?? 'abandoned', error },
      { message: error, level: 'warn' },
    );
  }

  async execute(ctx: OperationContext, rec: BackupRecord) {
    const { id, storageKey: key } = rec;
    const target = this.run.target(rec.target);
    const storage = this.run.storageOf(target);
    const started = Date.now();
    let password = '';
    let step: BackupStep = 'dump';
    let committed = false;
    const at = async (s: BackupStep) => {
      step = s;
      await this.run.setStep(ctx, s);
    };
    try {
      password = passwordOf(target.connection, `backup target ${target.name}`);
      await this.run.say(
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
      await this.run.say(
        ctx,
        `Dumped ${tables.length} tables: ${size} bytes, sha256 ${sha256}; verifying what was stored`,
      );
      await this.verify(storage, key, size, sha256, tables);
      await at('commit');
      // Fenced: a runner that lost its claim (frozen past the takeover) commits nothing.
      await holdsClaim(ctx);
      await storage.commit(key);
      committed = true;
      await ctx.fenced(tx =>
        this.run.store.finish(
          id,
          {
            end: 'verified',
            sizeBytes: size,
            sha256,
            tables,
            durationMs: Date.now() - started,
          },
          tx,
        ),
      );
      await this.run.say(
        ctx,
        `Verified and committed: ${size} bytes, sha256 ${sha256}, ${
          tables.length
        } tables, ${Date.now() - started} ms`,
      );
      await this.run.copyBackup(ctx, target, storage, {
        id,
        key,
        size,
        sha256,
      });
      await holdsClaim(ctx);
      const deleted = await this.applyRetention(target).catch(e => {
        this.run.say(ctx, `Retention failed: ${messageOf(e)}`, 'warn');
        return [];
      });
      if (deleted.length) {
        await this.run.say(
          ctx,
          `Retention deleted ${deleted.length} older backup(s): ${deleted.join(
            ', ',
          )}`,
        );
      }
    } catch (e) {
      // None if the claim was lost: the runner that took over owns the record. It discarded
      // the partial object when it took over; one this runner wrote since is discarded here.
      let error = this.run.errorOf(ctx, e, password);
      if (error === undefined) {
        if (!committed) await storage.discard(key).catch(() => {});
        return;
      }
      const failedStep = e instanceof StepError ? e.step : step;
      try {
        await storage.discard(key);
      } catch (d) {
        error += `; cleaning up the partial object also failed: ${scrub(
          messageOf(d),
          password,
        )}`;
      }
      await this.run.fail(ctx, {
        of: 'backup',
        failedStep,
        error,
        durationMs: Date.now() - started,
      });
    }
  }

  /**
   * Deletes the verified backups the target's retention no longer keeps (retentionPlan:
   * time tiers, a minimum age, never the newest verified one).
   */
  async applyRetention(target: BackupTarget): Promise<string[]> {
    // the chart's CronJob keeps its own backups (its retention runs in the Job)
    const verified = (await this.run.store.verified(target.name)).filter(
      b => b.method !== 'cronjob',
    );
    const storage = this.run.storageOf(target);
    const deleted: string[] = [];
    for (const d of retentionPlan(verified, target.retention)) {
      if (d.keep) continue;
      const b = verified.find(v => v.id === d.id)!;
      await storage.discard(b.storageKey);
      const copyTo = this.run.copyStorageOf(target);
      if (copyTo) await deleteCopies(this.run.db, b.id, b.storageKey, copyTo);
      await this.run.store.markDeleted(b.id);
      deleted.push(b.id);
      this.run.logger.info(
        `Retention: deleted backup ${b.id} of ${target.name} (${d.why})`,
      );
    }
    return deleted;
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
    const { timeouts } = this.run.config;
    const db = pgClient(
      target.connection,
      password,
      undefined,
      timeouts.statementMs,
    );
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
        binDir: this.run.config.binDir,
        conn: target.connection,
        password,
        snapshot,
        lockWaitMs: timeouts.lockWaitMs,
      });
      // stopped by the engine (shutdown, lost claim) or past the whole dump's deadline
      const deadline = AbortSignal.timeout(timeouts.dumpMs);
      unsubscribe = killOnAbort(
        AbortSignal.any([signal, deadline]),
        dump.child,
      );
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
      if (deadline.aborted) {
        throw new StepError(
          'dump',
          `pg_dump did not finish within ${
            timeouts.dumpMs / 60_000
          } min (shipshape.backup.timeouts.dumpMinutes) and was stopped`,
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
    await verifyStoredDump({
      storage,
      key,
      partial: true,
      binDir: this.run.config.binDir,
      expected: { size, sha256, tables },
    }).catch(e => {
      // here the object was just written: not reading it back fails the verification
      throw e instanceof StepError ? new StepError('verify', e.message) : e;
    });
  }
}
