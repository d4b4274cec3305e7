import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { ChildProcess } from 'child_process';
import { Knex } from 'knex';
import { BackupConfig, BackupTarget } from '../config';
import { copyBackup } from '../copies';
import { TableCount, scrub } from '../pg';
import { locationRedactor } from '../redact';
import { BackupStorage, createStorage } from '../storage';
import {
  BackupRecord,
  BackupStep,
  BackupStore,
  DrillRecord,
  DrillStep,
} from '../store';
import { KubernetesClusters } from '../../kubernetes/clusters';
import { WorkloadOwnership } from '../../kubernetes/placement';
import { OperationContext, OperationEngine } from '../../operations/engine';
import {
  ClaimLostError,
  NewOperation,
  Operation,
} from '../../operations/store';

/** Operation kinds of the engine, and the engine targets they hold (one run per target). */
export const BACKUP_KIND = 'backup';
export const DRILL_KIND = 'restore-drill';
const backupTargetKey = (name: string) => `backup:${name}`;
export const drillTargetKey = (name: string) => `restore-drill:${name}`;

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An error that names the step it happened at (when that is not the step recorded). */
export class StepError extends Error {
  constructor(readonly step: BackupStep, message: string) {
    super(message);
  }
}

export function tableName(t: TableCount) {
  return `${t.schema}.${t.table}`;
}

/** Why a run was handed to this replica, for the record of a run that cannot resume. */
export function interruption(op: Operation): string {
  return op.previousRunner === op.claimedBy
    ? `backend instance ${op.claimedBy} restarted while it ran`
    : `its backend instance ${
        op.previousRunner ?? '(unknown)'
      } stopped (taken over by ${op.claimedBy})`;
}

/**
 * Kills a child process when `signal` aborts (the backend shuts down, the run lost its claim),
 * at once if it already has; returns the unsubscribe.
 */
export function killOnAbort(signal: AbortSignal, child: ChildProcess) {
  const kill = () => child.kill('SIGTERM');
  if (signal.aborted) kill();
  signal.addEventListener('abort', kill, { once: true });
  return () => signal.removeEventListener('abort', kill);
}

/** Throws ClaimLostError unless this runner still holds the operation's claim. */
export async function holdsClaim(ctx: OperationContext): Promise<void> {
  await ctx.fenced(async () => undefined);
}

/** How a run ended failed, for its record (a backup's or a drill's). */
export type Failure =
  | ({ of: 'backup' } & Pick<
      BackupRecord,
      'failedStep' | 'error' | 'durationMs'
    >)
  | ({ of: 'drill' } & Pick<
      DrillRecord,
      'failedStep' | 'error' | 'restoreMs' | 'comparison'
    >);

/** Who asks for a backup of which target, and why. */
export interface BackupRequest {
  target: BackupTarget;
  entityRef: string;
  requestedBy: string;
  reason?: string;
}

/** A line for the operation's log, and its level. */
export type Said = { message: string; level: 'warn' | 'error' };

/**
 * What the runs of every kind share: the records, the storages, the target lookup, the
 * operation log (without locations), step recording, submitting a run, and ending one failed.
 * A run's record has its operation's id.
 */
export class RunContext {
  readonly store: BackupStore;
  /** Operation log lines go without hosts, buckets or paths (readers of the entity see them). */
  private readonly withoutLocations: (message: string) => string;
  private readonly storages = new Map<string, BackupStorage>();

  constructor(
    readonly config: BackupConfig,
    readonly db: Knex,
    readonly logger: LoggerService,
    readonly engine: OperationEngine,
    readonly clusters?: KubernetesClusters,
    /** Who may act on a workload (deploy's check), for in-cluster backups' CronJobs. */
    readonly ownership?: WorkloadOwnership,
  ) {
    this.store = new BackupStore(db, engine.store.changes);
    this.withoutLocations = locationRedactor(config);
  }

  /** A line for the operation's log (task log, card) and the backend's log; never throws. */
  async say(
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

  /** Records the step a running backup has reached; never throws. */
  async setStep(ctx: OperationContext, step: BackupStep) {
    await this.store
      .setStep(ctx.operation.id, step)
      .catch(e =>
        this.logger.warn(
          `Backup ${
            ctx.operation.id
          }: recording step ${step} failed: ${messageOf(e)}`,
        ),
      );
  }

  /** Records the step a running drill has reached; never throws. */
  async setDrillStep(ctx: OperationContext, step: DrillStep) {
    await this.store
      .setDrillStep(ctx.operation.id, step)
      .catch(e =>
        this.logger.warn(
          `Restore drill ${
            ctx.operation.id
          }: recording step ${step} failed: ${messageOf(e)}`,
        ),
      );
  }

  target(name: string): BackupTarget {
    const t = this.config.targets.get(name);
    if (!t) throw new NotFoundError(`No backup target '${name}' in app-config`);
    return t;
  }

  storageOf(target: BackupTarget): BackupStorage {
    return this.storage(target.name, target.storage);
  }

  /** The target's second storage (copyTo), if configured. */
  copyStorageOf(target: BackupTarget): BackupStorage | undefined {
    return target.copyTo
      ? this.storage(`${target.name}#copy`, target.copyTo)
      : undefined;
  }

  private storage(name: string, cfg: BackupTarget['storage']): BackupStorage {
    let s = this.storages.get(name);
    if (!s) {
      s = createStorage(cfg);
      this.storages.set(name, s);
    }
    return s;
  }

  /**
   * Copies a verified backup to the target's second storage (copyTo), if any, or, when
   * `existing` (the chart's CronJob wrote the copy), re-reads and checks the copy there; either
   * is recorded in shipshape_backup_copies. A failure is recorded and said; the backup stays
   * verified.
   */
  async copyBackup(
    ctx: OperationContext,
    target: BackupTarget,
    from: BackupStorage,
    b: { id: string; key: string; size: number; sha256: string },
    existing = false,
  ) {
    const copyTo = this.copyStorageOf(target);
    if (!copyTo) return false;
    const copy = await copyBackup(this.db, {
      backupId: b.id,
      target: target.name,
      key: b.key,
      sizeBytes: b.size,
      sha256: b.sha256,
      from,
      to: copyTo,
      existing,
    }).catch(e => ({
      status: 'failed',
      location: copyTo.describe(b.key),
      error: `recording the copy failed: ${messageOf(e)}`,
    }));
    if (copy.status === 'verified') {
      await this.say(
        ctx,
        `${existing ? 'Second copy checked in' : 'Copied to'} ${copy.location}`,
      );
      return true;
    }
    await this.say(ctx, `Second copy failed: ${copy.error}`, 'warn');
    return false;
  }

  /**
   * Submits a run (ConflictError if one of its engine target runs on any replica); `prepare`
   * writes its record while the target is held. Returns the record now, and `done`: the
   * record once this replica's run of it ended (never rejects).
   */
  async submit<T>(
    op: NewOperation,
    prepare: (id: string) => Promise<void>,
    read: (id: string) => Promise<T>,
  ): Promise<{ record: T; done: Promise<T> }> {
    const { id } = await this.engine.submit(op, {
      prepare: created => prepare(created.id),
    });
    return {
      record: await read(id),
      done: this.engine.waitFor(id).then(() => read(id)),
    };
  }

  /**
   * Submits a backup of `req.target` (ConflictError if one runs on any replica), its
   * operation input `{ target, ...input }` and its record `record(id)`, as `submit` does.
   */
  async submitBackup(
    req: BackupRequest,
    input: Record<string, unknown>,
    record: (
      id: string,
    ) => Pick<BackupRecord, 'storageType' | 'storageKey'> &
      Partial<Pick<BackupRecord, 'method' | 'location' | 'step' | 'startedAt'>>,
    /** Runs while the target is held, before the record is written; throwing refuses the run. */
    guard?: () => Promise<void>,
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    const { target, entityRef, requestedBy, reason } = req;
    return this.submit(
      {
        kind: BACKUP_KIND,
        entityRef,
        target: backupTargetKey(target.name),
        requestedBy,
        reason,
        input: { target: target.name, ...input },
      },
      async id => {
        await guard?.();
        await this.store.start({ id, target: target.name, ...record(id) });
      },
      id => this.store.get(id),
    );
  }

  /**
   * The error a run that threw records: scrubbed of the password, noting a shutdown. None
   * when this runner lost its claim: the runner that took over owns the record (logged here).
   */
  errorOf(
    ctx: OperationContext,
    e: unknown,
    password = '',
  ): string | undefined {
    if (
      e instanceof ClaimLostError ||
      ctx.signal.reason instanceof ClaimLostError
    ) {
      const { kind, id } = ctx.operation;
      this.logger.warn(`${kind} ${id}: stopped: ${messageOf(e)}`);
      return undefined;
    }
    let error = scrub(messageOf(e), password);
    if (ctx.signal.aborted) error += ' (the backend shut down while it ran)';
    return error;
  }

  /**
   * Ends a run failed: records it (a record no longer running is left as it is) and says
   * why in the operation's log: `Failed at <step>: <error>` unless `said` tells otherwise
   * (false: nothing).
   */
  async fail(
    ctx: OperationContext,
    failure: Failure,
    said: Said | false = {
      message: `Failed at ${failure.failedStep}: ${failure.error}`,
      level: 'error',
    },
  ): Promise<void> {
    const { id } = ctx.operation;
    if (failure.of === 'backup') {
      const { of: _, ...fields } = failure;
      await this.store.finish(id, { end: 'failed', ...fields });
    } else {
      const { of: _, ...fields } = failure;
      await this.store.finishDrill(id, { end: 'failed', ...fields });
    }
    if (said) await this.say(ctx, said.message, said.level);
  }
}
