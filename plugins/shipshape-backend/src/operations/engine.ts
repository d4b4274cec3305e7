import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuditorServiceEvent,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { AuditRequest, auditRequest } from '../http/auditRequest';
import {
  ClaimLostError,
  NewOperation,
  Operation,
  OperationLogLine,
  OperationStatus,
  OperationStore,
} from './store';

/** How an operation ended. */
export interface OperationOutcome {
  status: Exclude<OperationStatus, 'queued' | 'running'>;
  reason: string;
  result: unknown;
}

/** What a handler gets while it runs one operation. */
export interface OperationContext {
  operation: Operation;
  /** True when this instance took the operation over from a runner that stopped. */
  resumed: boolean;
  log(message: string, level?: OperationLogLine['level']): Promise<void>;
  /** Persist what has been changed so far, so a restarted backend can resume. */
  saveProgress(progress: unknown): Promise<void>;
  /**
   * Runs a database write of the handler under this run's claim, in one transaction with the
   * claim check: it commits only if no other runner took the operation over.
   */
  fenced<T>(write: (tx: Knex.Transaction) => Promise<T>): Promise<T>;
  /**
   * Aborted when the backend shuts down (stop watching, leave the operation running), and when
   * this run lost its claim (reason: a ClaimLostError): stop at once, another runner has it.
   * log, saveProgress and fenced throw ClaimLostError once the claim is lost.
   */
  signal: AbortSignal;
}

/** One kind of operation (deploy, rollback, backup, restore-drill, ...). */
export interface OperationHandler {
  run(ctx: OperationContext): Promise<OperationOutcome>;
}

export interface OperationEngineOptions {
  store: OperationStore;
  logger: LoggerService;
  /** Every submission and every run's outcome is also an audit event (docs/operations.md). */
  auditor: AuditorService;
  /** Identifies this backend instance in `claimed_by`. */
  instanceId?: string;
  /** How often running operations are marked alive (and orphans looked for). */
  heartbeatMs?: number;
  /**
   * A running operation whose heartbeat is older than this is taken over (default 60 s: a
   * database failover of tens of seconds stops every heartbeat; see docs/operations.md).
   */
  staleAfterMs?: number;
}

export { ClaimLostError };

/** Thrown into a handler when the backend shuts down mid-operation. */
export class EngineStoppedError extends Error {
  name = 'EngineStoppedError';
}

/**
 * Runs operations: stores them (refusing a busy target), runs each handler in the
 * background, records its log and outcome, keeps a heartbeat, and takes over operations
 * whose runner died (on start and on every beat), handing them to their handler with
 * `resumed: true`.
 */
export class OperationEngine {
  readonly store: OperationStore;
  readonly instanceId: string;
  private readonly logger: LoggerService;
  private readonly auditor: AuditorService;
  private readonly handlers = new Map<string, OperationHandler>();
  private readonly running = new Map<
    string,
    { promise: Promise<void>; abort: AbortController; generation: number }
  >();
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly finishedListeners: Array<(op: Operation) => unknown> = [];

  private constructor(options: OperationEngineOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.auditor = options.auditor;
    this.instanceId = options.instanceId ?? `shipshape-${randomUUID()}`;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
  }

  static create(options: OperationEngineOptions): OperationEngine {
    return new OperationEngine(options);
  }

  register(kind: string, handler: OperationHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Stores the operation (ConflictError if the target is busy) and starts it. `prepare` runs
   * between the two, while the target is held: a kind that keeps its own record (a backup)
   * writes it there, so the record exists before the handler runs; if it throws, the
   * operation is failed with its message and the error rethrown.
   */
  async submit(
    op: NewOperation,
    options: { prepare?: (created: Operation) => Promise<void> } = {},
  ): Promise<Operation> {
    if (!this.handlers.has(op.kind)) {
      throw new Error(`No handler for operation kind '${op.kind}'`);
    }
    // Over HTTP the auditor's actor is the caller; from a schedule, the plugin's service.
    const request = auditRequest();
    const audit = await this.auditor.createEvent({
      eventId: 'operation-submit',
      severityLevel: 'medium',
      request,
      meta: auditMeta(op),
    });
    let created: Operation;
    try {
      created = await this.store.create(op);
    } catch (e) {
      await audit.fail({ error: asError(e) }); // e.g. the target is busy
      throw e;
    }
    try {
      await options.prepare?.(created);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.store.finish(created.id, 'failed', {}, message);
      await audit.fail({
        error: asError(e),
        meta: { operationId: created.id },
      });
      throw e;
    }
    await audit.success({ meta: { operationId: created.id } });
    if (await this.store.claim(created.id, this.instanceId)) {
      const claimed = (await this.store.get(created.id))!;
      this.launch(claimed, false, request);
      return claimed;
    }
    return created;
  }

  /**
   * Starts the heartbeat and resumes orphaned operations now and on every beat. At start
   * that includes, at once, the operations this instance name was running when it stopped (a
   * restarted backend with a stable `instanceId`); other runners' only once stale.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resumeOrphans(true);
    this.timer = setInterval(() => {
      this.beat().catch(e =>
        this.logger.warn(`operations heartbeat failed: ${e}`),
      );
    }, this.heartbeatMs);
    this.timer.unref?.();
  }

  /** Stops watching; operations stay `running` in the database for the next instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const { abort } of this.running.values()) abort.abort();
    await Promise.allSettled([...this.running.values()].map(r => r.promise));
  }

  /** Resolves when this instance's run of the operation has ended (tests, benchmarks). */
  async waitFor(id: string): Promise<Operation> {
    await this.running.get(id)?.promise;
    return this.store.getOrThrow(id);
  }

  /**
   * Calls `listener` with the stored operation each time a run of this instance has recorded
   * its outcome (not when a run lost its claim or stopped with the backend). Never blocks or
   * fails the run: a listener's error is logged.
   */
  onFinished(listener: (op: Operation) => unknown): void {
    this.finishedListeners.push(listener);
  }

  private async announce(id: string): Promise<void> {
    for (const listener of this.finishedListeners) {
      try {
        await listener(await this.store.getOrThrow(id));
      } catch (e) {
        this.logger.warn(`listener of operation ${id}'s outcome failed: ${e}`);
      }
    }
  }

  isRunningHere(id: string): boolean {
    return this.running.has(id);
  }

  private async beat(): Promise<void> {
    const claims = [...this.running].map(([id, r]) => ({
      id,
      generation: r.generation,
    }));
    const lost = await this.store.heartbeat(this.instanceId, claims);
    for (const id of lost) {
      const run = this.running.get(id);
      if (run && !run.abort.signal.aborted) {
        this.logger.warn(
          `Operation ${id}: this replica lost its claim (taken over); stopping its run`,
        );
        run.abort.abort(new ClaimLostError(id, run.generation));
      }
    }
    await this.resumeOrphans();
  }

  private async resumeOrphans(includeOwn = false): Promise<void> {
    if (this.stopped) return;
    const orphans = await this.store.claimOrphans(
      this.instanceId,
      this.staleAfterMs,
      { includeOwn },
    );
    for (const op of orphans) {
      if (this.running.has(op.id)) continue;
      this.logger.info(
        `Resuming operation ${op.id} (${op.kind} ${op.target}) left by another runner`,
      );
      await this.store.appendLog(
        op.id,
        'warn',
        op.previousRunner === this.instanceId
          ? `Backend instance ${this.instanceId} restarted while it ran; resumed`
          : `Runner ${op.previousRunner ?? '(unknown)'} stopped; resumed by ${
              this.instanceId
            }`,
        op.claimGeneration,
      );
      this.launch(op, true);
    }
  }

  /** `request`: the submitting route's, for the run's audit event (none when resumed). */
  private launch(
    operation: Operation,
    resumed: boolean,
    request?: AuditRequest,
  ): void {
    const abort = new AbortController();
    const handler = this.handlers.get(operation.kind);
    const generation = operation.claimGeneration;
    // Every write of the run is fenced by its claim; a refused one stops the run.
    const fence = async <T>(write: () => Promise<T>): Promise<T> => {
      try {
        return await write();
      } catch (e) {
        if (e instanceof ClaimLostError && !abort.signal.aborted) {
          abort.abort(e);
        }
        throw e;
      }
    };
    const ctx: OperationContext = {
      operation,
      resumed,
      signal: abort.signal,
      log: (message, level = 'info') =>
        fence(() =>
          this.store.appendLog(operation.id, level, message, generation),
        ),
      saveProgress: progress =>
        fence(() =>
          this.store.saveProgress(operation.id, progress, generation),
        ),
      fenced: write =>
        fence(() => this.store.fenced(operation.id, generation, write)),
    };
    const claimLost = () => abort.signal.reason instanceof ClaimLostError;
    const promise = (async () => {
      // One audit event per run: a run resumed after a restart is a new event (resumed: true).
      const audit = await this.auditor
        .createEvent({
          eventId: 'operation-run',
          severityLevel: 'medium',
          request,
          meta: {
            ...auditMeta(operation),
            operationId: operation.id,
            runner: this.instanceId,
            resumed,
          },
        })
        .catch(e => {
          this.logger.warn(`audit of operation ${operation.id} failed: ${e}`);
          return undefined;
        });
      if (!handler) {
        const reason = `This backend has no handler for '${operation.kind}'`;
        await this.store.finish(
          operation.id,
          'failed',
          operation.result,
          reason,
          generation,
        );
        await this.audited(audit, 'failed', reason);
        return;
      }
      try {
        const outcome = await handler.run(ctx);
        if (claimLost()) throw abort.signal.reason;
        await ctx.log(`Finished: ${outcome.status}: ${outcome.reason}`);
        await fence(() =>
          this.store.finish(
            operation.id,
            outcome.status,
            outcome.result,
            outcome.reason,
            generation,
          ),
        );
        await this.audited(audit, outcome.status, outcome.reason);
        await this.announce(operation.id);
      } catch (e) {
        if (claimLost() || e instanceof ClaimLostError) {
          // Another runner holds the operation: its outcome is the one recorded, not ours.
          await this.lostClaim(audit, claimLost() ? abort.signal.reason : e);
          return;
        }
        if (abort.signal.aborted || e instanceof EngineStoppedError) {
          // Shutting down: leave it running; the next instance resumes it (and audits that run).
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        this.logger.error(`Operation ${operation.id} failed: ${message}`);
        await ctx.log(`Failed: ${message}`, 'error').catch(() => {});
        const current = await this.store.get(operation.id);
        try {
          await this.store.finish(
            operation.id,
            'failed',
            current?.result,
            message,
            generation,
          );
        } catch (lost) {
          if (!(lost instanceof ClaimLostError)) throw lost;
          await this.lostClaim(audit, lost);
          return;
        }
        await this.audited(audit, 'failed', message);
        await this.announce(operation.id);
      }
    })().finally(() => this.running.delete(operation.id));
    this.running.set(operation.id, { promise, abort, generation });
  }

  /** A run that lost its claim: stopped, its audit event failed, no outcome recorded. */
  private async lostClaim(
    audit: AuditorServiceEvent | undefined,
    lost: ClaimLostError,
  ): Promise<void> {
    this.logger.warn(`${lost.message}; this run stopped`);
    try {
      await audit?.fail({ error: lost, meta: { outcome: 'claim-lost' } });
    } catch (e) {
      this.logger.warn(`audit of an operation outcome failed: ${e}`);
    }
  }

  /** Ends a run's audit event: success only when the operation succeeded. */
  private async audited(
    audit: AuditorServiceEvent | undefined,
    outcome: OperationOutcome['status'],
    reason: string,
  ): Promise<void> {
    const meta = { outcome, reason };
    try {
      if (outcome === 'succeeded') await audit?.success({ meta });
      else
        await audit?.fail({ error: new Error(`${outcome}: ${reason}`), meta });
    } catch (e) {
      this.logger.warn(`audit of an operation outcome failed: ${e}`);
    }
  }
}

/** Who asked for what, on which entity and environment: the audit event's metadata. */
function auditMeta(
  op: NewOperation,
): NonNullable<AuditorServiceCreateEventOptions['meta']> {
  const input = op.input as { environment?: unknown } | undefined;
  const meta: ReturnType<typeof auditMeta> = {
    kind: op.kind,
    entityRef: op.entityRef,
    target: op.target,
    requestedBy: op.requestedBy,
  };
  if (typeof input?.environment === 'string') {
    meta.environment = input.environment;
  }
  if (op.reason) meta.reason = op.reason;
  return meta;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
