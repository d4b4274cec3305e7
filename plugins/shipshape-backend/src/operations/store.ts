import { ConflictError, NotFoundError } from '@backstage/errors';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { isoOf, jsonOf } from '../rows';
import { ChangeNotifier } from './changes';

/** Where an operation is in its life; the last three are outcomes. */
export type OperationStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rolled-back';

export const ACTIVE_STATUSES: OperationStatus[] = ['queued', 'running'];

/**
 * How long a fenced write's transaction may wait between its statements (it runs none but
 * database statements, in milliseconds) before PostgreSQL ends the session and its row lock.
 */
const FENCED_IDLE_LIMIT_MS = 5_000;

/** A stored operation. `kind` is free (deploy, rollback, backup, restore-drill, ...). */
export interface Operation<I = unknown, R = unknown> {
  id: string;
  kind: string;
  entityRef: string;
  target: string;
  status: OperationStatus;
  requestedBy: string;
  reason?: string;
  input: I;
  result?: R;
  outcomeReason?: string;
  claimedBy?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  heartbeatAt?: string;
  /** The fencing token: incremented by every claim; a runner writes only while it still holds it. */
  claimGeneration: number;
  /** Set by claimOrphans: the runner that stopped (claimedBy before the takeover). */
  previousRunner?: string;
}

export interface OperationLogLine {
  seq: number;
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface NewOperation {
  kind: string;
  entityRef: string;
  target: string;
  requestedBy: string;
  reason?: string;
  input: unknown;
}

const OPS = 'shipshape_operations';
const LOG = 'shipshape_operation_log';

function toOperation(row: any): Operation {
  return {
    id: row.id,
    kind: row.kind,
    entityRef: row.entity_ref,
    target: row.target,
    status: row.status,
    requestedBy: row.requested_by,
    reason: row.reason ?? undefined,
    input: jsonOf(row.input),
    result: jsonOf(row.result),
    outcomeReason: row.outcome_reason ?? undefined,
    claimedBy: row.claimed_by ?? undefined,
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
    finishedAt: isoOf(row.finished_at),
    heartbeatAt: isoOf(row.heartbeat_at),
    claimGeneration: Number(row.claim_generation ?? 0),
  };
}

/**
 * A write of a runner that no longer holds its claim (another replica took the operation
 * over, or a restart of the same replica name did): refused, nothing was written.
 */
export class ClaimLostError extends Error {
  name = 'ClaimLostError';
  constructor(readonly operationId: string, readonly generation: number) {
    super(
      `Operation ${operationId}: claim ${generation} was lost (taken over by another runner); write refused`,
    );
  }
}

function isUniqueViolation(e: any): boolean {
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/i.test(String(e?.message))
  );
}

/**
 * Operations and their log in the plugin's database.
 *
 * Concurrency: the unique partial index `shipshape_operations_active_target_uq` makes the
 * database refuse a second queued/running operation on the same target, on PostgreSQL
 * across any number of backend instances. Claiming orphaned work uses
 * `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so two instances never pick up the same
 * operation. SQLite has no row locks: it is the single-writer case (one backend process,
 * the default embedded database), where the transaction alone is enough.
 */
export class OperationStore {
  /** News about an operation written by this process (log line, state), for long polls. */
  readonly changes = new ChangeNotifier();

  private constructor(private readonly db: Knex) {}

  static create(db: Knex): OperationStore {
    return new OperationStore(db);
  }

  private get isPostgres(): boolean {
    return String(this.db.client.config.client).includes('pg');
  }

  /** Stores a queued operation, or throws ConflictError if its target is busy. */
  async create(op: NewOperation): Promise<Operation> {
    const now = new Date();
    const id = randomUUID();
    try {
      await this.db(OPS).insert({
        id,
        kind: op.kind,
        entity_ref: op.entityRef,
        target: op.target,
        status: 'queued',
        requested_by: op.requestedBy,
        reason: op.reason ?? null,
        input: JSON.stringify(op.input ?? {}),
        created_at: now,
        updated_at: now,
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const busy = await this.db(OPS)
        .where({ target: op.target })
        .whereIn('status', ACTIVE_STATUSES)
        .first();
      throw new ConflictError(
        `${op.target} is busy: operation ${busy?.id ?? '(unknown)'} (${
          busy?.kind ?? 'unknown'
        }, requested by ${busy?.requested_by ?? 'unknown'}) is ${
          busy?.status ?? 'active'
        }; wait for it to finish`,
      );
    }
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Operation | undefined> {
    const row = await this.db(OPS).where({ id }).first();
    return row ? toOperation(row) : undefined;
  }

  async getOrThrow(id: string): Promise<Operation> {
    const op = await this.get(id);
    if (!op) throw new NotFoundError(`No operation with id '${id}'`);
    return op;
  }

  /** Moves a queued operation to running for this instance; false if someone else did. */
  async claim(id: string, instanceId: string): Promise<boolean> {
    const now = new Date();
    const n = await this.db(OPS)
      .where({ id, status: 'queued' })
      .update({
        status: 'running',
        claimed_by: instanceId,
        claim_generation: this.db.raw('claim_generation + 1'),
        heartbeat_at: now,
        updated_at: now,
      });
    if (n === 1) this.changes.notify(id);
    return n === 1;
  }

  /**
   * Claims running operations whose runner stopped beating (a backend that died or
   * restarted) so this instance can resume them. Row locks on PostgreSQL (skip locked), so
   * each orphan goes to exactly one instance.
   */
  async claimOrphans(
    instanceId: string,
    staleAfterMs: number,
    options: { includeOwn?: boolean; limit?: number } = {},
  ): Promise<Operation[]> {
    const staleBefore = new Date(Date.now() - staleAfterMs);
    const claimed = await this.db.transaction(async tx => {
      let query = tx(OPS)
        .whereIn('status', ACTIVE_STATUSES)
        .andWhere(q => {
          // includeOwn: this instance name restarted; what it was running is orphaned now.
          if (options.includeOwn) q.where({ claimed_by: instanceId });
          q.orWhere('heartbeat_at', '<', staleBefore).orWhere(q2 =>
            q2
              .whereNull('heartbeat_at')
              .andWhere('created_at', '<', staleBefore),
          );
        })
        .orderBy('created_at')
        .limit(options.limit ?? 10)
        .select('id', 'claimed_by');
      if (this.isPostgres) query = query.forUpdate().skipLocked();
      const found = (await query) as Array<{ id: string; claimed_by: string }>;
      const ids = found.map(r => r.id);
      if (ids.length === 0) return [];
      const previous = new Map(found.map(r => [r.id, r.claimed_by]));
      const now = new Date();
      await tx(OPS)
        .whereIn('id', ids)
        .update({
          status: 'running',
          claimed_by: instanceId,
          claim_generation: tx.raw('claim_generation + 1'),
          heartbeat_at: now,
          updated_at: now,
        });
      const rows = await tx(OPS).whereIn('id', ids);
      return rows.map(r => ({
        ...toOperation(r),
        previousRunner: previous.get(r.id) ?? undefined,
      }));
    });
    for (const op of claimed) this.changes.notify(op.id);
    return claimed;
  }

  /**
   * Marks this instance as alive on the operations it holds (id and claim generation).
   * Returns the ids whose claim is lost: taken over, or no longer running.
   */
  async heartbeat(
    instanceId: string,
    claims: Array<{ id: string; generation: number }>,
  ): Promise<string[]> {
    const lost: string[] = [];
    for (const { id, generation } of claims) {
      const n = await this.db(OPS)
        .where({
          id,
          claimed_by: instanceId,
          claim_generation: generation,
          status: 'running',
        })
        .update({ heartbeat_at: new Date() });
      if (n === 0) lost.push(id);
    }
    return lost;
  }

  /**
   * Runs `write` in a transaction that first checks, with a conditional UPDATE, that claim
   * `generation` still holds the running operation (ClaimLostError if not). On PostgreSQL
   * that UPDATE holds the row lock until commit, so no takeover commits in between: the
   * write happens under the claim or not at all. The check also renews the heartbeat: after
   * it, no other runner takes the operation over for at least the takeover threshold.
   */
  async fenced<T>(
    id: string,
    generation: number,
    write: (tx: Knex.Transaction) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async tx => {
      // A runner frozen inside this transaction (a stopped process, a lost network) would hold
      // the row lock for good, and takeovers skip locked rows: the server ends such a session.
      if (this.isPostgres) {
        await tx.raw(
          `SET LOCAL idle_in_transaction_session_timeout = ${FENCED_IDLE_LIMIT_MS}`,
        );
      }
      const now = new Date();
      const n = await tx(OPS)
        .where({ id, claim_generation: generation, status: 'running' })
        .update({ updated_at: now, heartbeat_at: now });
      if (n !== 1) throw new ClaimLostError(id, generation);
      return write(tx);
    });
  }

  /** Saves intermediate state (what was changed so far), for resuming after a restart. */
  async saveProgress(
    id: string,
    result: unknown,
    generation?: number,
  ): Promise<void> {
    let query = this.db(OPS).where({ id });
    if (generation !== undefined) {
      query = query.andWhere({
        claim_generation: generation,
        status: 'running',
      });
    }
    const n = await query.update({
      result: JSON.stringify(result),
      updated_at: new Date(),
    });
    if (generation !== undefined && n !== 1) {
      throw new ClaimLostError(id, generation);
    }
  }

  /** Appends a log line; with `generation`, only while that claim holds (ClaimLostError). */
  async appendLog(
    id: string,
    level: OperationLogLine['level'],
    message: string,
    generation?: number,
  ): Promise<void> {
    const line = { operation_id: id, at: new Date(), level, message };
    if (generation === undefined) await this.db(LOG).insert(line);
    else await this.fenced(id, generation, tx => tx(LOG).insert(line));
    this.changes.notify(id);
  }

  /** Records the outcome; with `generation`, only while that claim holds (ClaimLostError). */
  async finish(
    id: string,
    status: Exclude<OperationStatus, 'queued' | 'running'>,
    result: unknown,
    reason: string,
    generation?: number,
  ): Promise<void> {
    const now = new Date();
    let query = this.db(OPS).where({ id });
    if (generation !== undefined) {
      query = query.andWhere({
        claim_generation: generation,
        status: 'running',
      });
    }
    const n = await query.update({
      status,
      result: JSON.stringify(result ?? {}),
      outcome_reason: reason,
      finished_at: now,
      updated_at: now,
    });
    if (generation !== undefined && n !== 1) {
      throw new ClaimLostError(id, generation);
    }
    this.changes.notify(id);
  }

  async getLog(
    id: string,
    afterSeq = 0,
    limit = 1000,
  ): Promise<OperationLogLine[]> {
    const rows = await this.db(LOG)
      .where({ operation_id: id })
      .andWhere('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit);
    return rows.map((r: any) => ({
      seq: Number(r.seq),
      at: isoOf(r.at)!,
      level: r.level,
      message: r.message,
    }));
  }

  async listByEntity(
    entityRef: string,
    options: { kind?: string[]; limit?: number; offset?: number } = {},
  ): Promise<Operation[]> {
    let query = this.db(OPS)
      .where({ entity_ref: entityRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' }, // a stable order for paging
      ])
      .limit(options.limit ?? 20)
      .offset(options.offset ?? 0);
    if (options.kind) query = query.whereIn('kind', options.kind);
    return (await query).map(toOperation);
  }

  /** How many operations of every kind the entity has. */
  async countByEntity(entityRef: string): Promise<number> {
    const [row] = await this.db(OPS)
      .where({ entity_ref: entityRef })
      .count({ n: '*' });
    return Number(row?.n ?? 0);
  }
}
