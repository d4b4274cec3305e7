import { InputError, NotFoundError } from '@backstage/errors';
import { randomBytes } from 'crypto';
import { Knex } from 'knex';
import {
  BackupTarget,
  PgConnection,
  assertEntityMayUse,
  passwordOf,
} from '../config';
import {
  TableCount,
  countTables,
  describeConnection,
  drillRoleProblem,
  feedChild,
  pgClient,
  scrub,
  startRestore,
} from '../pg';
import {
  BackupRecord,
  BackupStore,
  DrillRecord,
  DrillStep,
  TableComparison,
  isVerified,
} from '../store';
import { OperationContext, OperationOutcome } from '../../operations/engine';
import {
  DRILL_KIND,
  RunContext,
  drillTargetKey,
  interruption,
  killOnAbort,
  messageOf,
  tableName,
} from './context';
import { digestOf } from './digest';

const DRILL_CONNECTION = 'shipshape.backup.drill.connection';

/** Drops a drill's temporary database: IF EXISTS, WITH FORCE (a pg_restore may still hold it). */
async function dropDatabase(admin: Knex, name: string): Promise<void> {
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
}

/**
 * Runs `use` with a client of the drill connection (its maintenance database), destroyed
 * after; what it throws comes scrubbed of the password.
 */
async function withDrillAdmin<T>(
  conn: PgConnection,
  use: (admin: Knex) => Promise<T>,
): Promise<T> {
  let password = '';
  let admin: Knex | undefined;
  try {
    password = passwordOf(conn, DRILL_CONNECTION);
    admin = pgClient(conn, password);
    return await use(admin);
  } catch (e) {
    throw new Error(scrub(messageOf(e), password));
  } finally {
    await admin?.destroy().catch(() => {});
  }
}

function drillOutcome(d: DrillRecord): OperationOutcome {
  const passed = BackupStore.passed(d);
  return {
    status: passed ? 'succeeded' : 'failed',
    reason: passed
      ? `restored in ${d.restoreMs} ms; row counts match in ${
          d.comparison?.length ?? 0
        } tables`
      : `failed at ${d.failedStep ?? 'start'}: ${
          d.error ?? 'no error recorded'
        }`,
    result: {
      drillId: d.id,
      backupId: d.backupId,
      failedStep: d.failedStep,
    },
  };
}

/**
 * Restore drills: a verified pg_dump backup restored into a temporary database (created
 * through the drill connection, a CREATEDB role), row counts compared with the backup's
 * record, the database dropped. A drill cannot resume.
 */
export class RestoreDrills {
  constructor(private readonly run: RunContext) {}

  /**
   * Refuses (throws) a drill connection whose role is more than CREATEDB, then sweeps drill
   * databases a crash left. A drill server that cannot be reached is logged, not fatal: each
   * drill checks the role again before it creates its database.
   */
  async checkConnection(): Promise<void> {
    const conn = this.run.config.drillConnection;
    if (!conn) return;
    let problem: string | undefined;
    try {
      problem = await withDrillAdmin(conn, drillRoleProblem);
    } catch (e) {
      this.run.logger.warn(
        `Restore drills: cannot check the role of ${DRILL_CONNECTION} (${describeConnection(
          conn,
        )}): ${messageOf(e)}; each drill checks it again`,
      );
      return;
    }
    if (problem) {
      throw new Error(
        `Refusing ${DRILL_CONNECTION} (${describeConnection(
          conn,
        )}): ${problem}`,
      );
    }
    await this.sweep();
  }

  /**
   * Drops the drill databases (shipshape_drill_*) the drill role owns that no running drill
   * holds and nobody is connected to: what a crashed backend left. Returns their names;
   * failures are logged.
   */
  async sweep(): Promise<string[]> {
    const conn = this.run.config.drillConnection;
    if (!conn) return [];
    const dropped: string[] = [];
    try {
      await withDrillAdmin(conn, async admin => {
        const { rows } = await admin.raw(
          `SELECT datname FROM pg_database
            WHERE datname LIKE 'shipshape\\_drill\\_%' AND pg_get_userbyid(datdba) = current_user
              AND NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.datname = pg_database.datname)`,
        );
        const running = new Set(await this.run.store.runningDrillDatabases());
        for (const { datname } of rows as { datname: string }[]) {
          if (running.has(datname)) continue;
          await dropDatabase(admin, datname);
          dropped.push(datname);
          this.run.logger.info(
            `Restore drills: swept leftover database ${datname}`,
          );
        }
      });
    } catch (e) {
      this.run.logger.warn(
        `Restore drills: sweeping leftover drill databases failed: ${messageOf(
          e,
        )}`,
      );
    }
    return dropped;
  }

  /** The backup a drill would restore (given or the newest verified); checks drills are configured. */
  async backupOf(
    target: BackupTarget,
    backupId?: string,
  ): Promise<BackupRecord> {
    if (!this.run.config.drillConnection) {
      throw new InputError(
        `Restore drills need ${DRILL_CONNECTION} (a user that may CREATE DATABASE) in app-config`,
      );
    }
    if (!backupId) {
      const latest = (await this.run.store.verified(target.name))[0];
      if (!latest) {
        throw new NotFoundError(
          `${target.name} has no verified backup to drill; take a backup first`,
        );
      }
      return latest;
    }
    const backup = await this.run.store.get(backupId);
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
    if (!isVerified(backup)) {
      const state = backup.deletedAt ? 'deleted' : backup.status;
      throw new InputError(
        `Backup ${backupId} is ${state}${
          backup.failedStep ? ` (at ${backup.failedStep})` : ''
        }; only verified backups can be drilled`,
      );
    }
    return backup;
  }

  /**
   * Submits a drill of a verified backup (the newest one unless `backupId` is given);
   * ConflictError if a drill of the target is running. `done` resolves with the final
   * record, never rejects.
   */
  async start(req: {
    target: BackupTarget;
    entityRef: string;
    requestedBy: string;
    backupId?: string;
  }): Promise<{ record: DrillRecord; done: Promise<DrillRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const backup = await this.backupOf(req.target, req.backupId);
    return this.run.submit(
      {
        kind: DRILL_KIND,
        entityRef: req.entityRef,
        target: drillTargetKey(req.target.name),
        requestedBy: req.requestedBy,
        input: { target: req.target.name, backupId: backup.id },
      },
      id =>
        this.run.store.startDrill({
          id,
          backupId: backup.id,
          target: req.target.name,
          databaseName: `shipshape_drill_${randomBytes(6).toString('hex')}`,
          backupAgeSeconds: Math.round(
            (Date.now() - Date.parse(backup.startedAt)) / 1000,
          ),
          step: 'create-database',
        }),
      id => this.run.store.getDrill(id),
    );
  }

  /**
   * The engine's handler of `restore-drill`. A run handed over from a stopped replica is
   * failed and its temporary database dropped.
   */
  async handle(ctx: OperationContext): Promise<OperationOutcome> {
    const drill = await this.run.store.getDrill(ctx.operation.id);
    try {
      if (ctx.resumed) {
        await this.abandon(ctx, drill);
      } else {
        await this.execute(
          ctx,
          this.run.target(drill.target),
          await this.run.store.get(drill.backupId),
          drill.databaseName!,
        );
      }
    } catch (e) {
      const error = messageOf(e);
      await this.run.fail(
        ctx,
        { of: 'drill', failedStep: drill.step, error },
        false,
      );
    }
    return drillOutcome(await this.run.store.getDrill(drill.id));
  }

  /** Fails an interrupted drill, then drops its database and adds what happened to it. */
  private async abandon(ctx: OperationContext, drill: DrillRecord) {
    const error = `abandoned at step ${drill.step ?? 'start'}: ${interruption(
      ctx.operation,
    )}`;
    await this.run.fail(
      ctx,
      { of: 'drill', failedStep: drill.step ?? 'abandoned', error },
      false,
    );
    const dropped = await this.dropLeftover(drill.databaseName);
    if (dropped)
      await this.run.store.appendDrillError(drill.id, `; ${dropped}`);
    await this.run.say(ctx, `${error}${dropped ? `; ${dropped}` : ''}`, 'warn');
  }

  /** Drops the database an interrupted drill left; says what happened, for the record. Never throws. */
  private async dropLeftover(name?: string): Promise<string | undefined> {
    if (!name) return undefined;
    const conn = this.run.config.drillConnection;
    if (!conn) {
      return `its temporary database ${name} was not dropped (no ${DRILL_CONNECTION}); drop it by hand`;
    }
    try {
      await withDrillAdmin(conn, admin => dropDatabase(admin, name));
      return `its temporary database ${name} was dropped`;
    } catch (e) {
      return `its temporary database ${name} could not be dropped (${messageOf(
        e,
      )}); drop it by hand`;
    }
  }

  private async execute(
    ctx: OperationContext,
    target: BackupTarget,
    backup: BackupRecord,
    databaseName: string,
  ): Promise<void> {
    const { id } = ctx.operation;
    const conn = this.run.config.drillConnection!;
    let password = '';
    let step: DrillStep = 'create-database';
    let admin: Knex | undefined;
    let restored: Knex | undefined;
    let restoreMs: number | undefined;
    let comparison: TableComparison[] | undefined;
    const at = async (s: DrillStep) => {
      step = s;
      await this.run.setDrillStep(ctx, s);
    };
    const cannotCreate = (e: unknown) => {
      throw new Error(
        `cannot create ${databaseName} through ${DRILL_CONNECTION} (${describeConnection(
          conn,
        )}): ${messageOf(e)}`,
      );
    };
    try {
      password = passwordOf(conn, DRILL_CONNECTION);
      admin = pgClient(
        conn,
        password,
        undefined,
        this.run.config.timeouts.statementMs,
      );
      const problem = await drillRoleProblem(admin).catch(cannotCreate);
      if (problem) {
        throw new Error(`${DRILL_CONNECTION}: ${problem}`);
      }
      await admin.raw('CREATE DATABASE ??', [databaseName]).catch(cannotCreate);
      await this.run.say(
        ctx,
        `Restoring backup ${backup.id} (${backup.sizeBytes} bytes, taken ${backup.startedAt}) into temporary database ${databaseName}`,
      );
      await at('fetch');
      const t0 = Date.now();
      const input = await this.run
        .storageOf(target)
        .read(backup.storageKey, false, ctx.signal);
      await at('restore');
      const restore = startRestore({
        binDir: this.run.config.binDir,
        conn,
        password,
        database: databaseName,
      });
      const { timeouts } = this.run.config;
      const deadline = AbortSignal.timeout(timeouts.restoreMs);
      const unsubscribe = killOnAbort(
        AbortSignal.any([ctx.signal, deadline]),
        restore.child,
      );
      const measured = digestOf(input);
      await feedChild(input, restore.child).finally(unsubscribe);
      const exit = await restore.exit;
      restoreMs = Date.now() - t0;
      const got = measured();
      if (got.size !== backup.sizeBytes || got.sha256 !== backup.sha256) {
        await at('checksum');
        throw new Error(
          `stored backup is corrupted: ${got.size} bytes sha256 ${got.sha256}, recorded ${backup.sizeBytes} bytes sha256 ${backup.sha256}`,
        );
      }
      if (deadline.aborted) {
        throw new Error(
          `pg_restore did not finish within ${
            timeouts.restoreMs / 60_000
          } min (shipshape.backup.timeouts.restoreMinutes) and was stopped`,
        );
      }
      if (exit.code !== 0) {
        throw new Error(
          `pg_restore exited with ${
            exit.code ?? exit.signal
          }: ${exit.stderr.trim()}`,
        );
      }
      await at('compare');
      await this.run.say(
        ctx,
        `Restored in ${restoreMs} ms; comparing row counts`,
      );
      restored = pgClient(
        conn,
        password,
        databaseName,
        this.run.config.timeouts.statementMs,
      );
      comparison = compareTables(backup, await countTables(restored));
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
      const passed = { end: 'passed' as const, restoreMs, comparison };
      await ctx.fenced(tx => this.run.store.finishDrill(id, passed, tx));
      await this.run.say(
        ctx,
        `Passed: ${comparison.length} tables match the backup's row counts; restored in ${restoreMs} ms`,
      );
    } catch (e) {
      // None if the claim was lost: the runner that took over records the drill; this one
      // only drops its database.
      const error = this.run.errorOf(ctx, e, password);
      if (error !== undefined) {
        await this.run.fail(ctx, {
          of: 'drill',
          failedStep: step,
          error,
          restoreMs,
          comparison,
        });
      }
    } finally {
      await restored?.destroy().catch(() => {});
      if (admin) {
        await dropDatabase(admin, databaseName)
          .then(() => this.run.say(ctx, `Dropped ${databaseName}`))
          .catch(e =>
            this.run.say(
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

/** The backup's recorded row counts against the restored ones; a table in only one is not ok. */
function compareTables(
  backup: BackupRecord,
  counts: TableCount[],
): TableComparison[] {
  const byName = new Map(counts.map(c => [tableName(c), c.rows]));
  const expected = backup.tables ?? [];
  const comparison: TableComparison[] = expected.map(t => ({
    table: tableName(t),
    expectedRows: t.rows,
    restoredRows: byName.get(tableName(t)),
    ok: byName.get(tableName(t)) === t.rows,
  }));
  const known = new Set(expected.map(tableName));
  for (const c of counts) {
    if (!known.has(tableName(c))) {
      comparison.push({ table: tableName(c), restoredRows: c.rows, ok: false });
    }
  }
  return comparison;
}
