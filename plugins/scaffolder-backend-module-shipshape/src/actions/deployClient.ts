import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';

/** What the actions need from the backend: where Shipshape is and a token to call it. */
export interface ShipshapeActionDeps {
  discovery: DiscoveryService;
  auth: AuthService;
  /**
   * How long one log request may wait on the backend for news (seconds, 0-30); default 20.
   * The backend answers as soon as there is a new log line or the operation has ended.
   */
  logWaitSeconds?: number;
  /** Pause after a log read that brought nothing (a backend that does not wait); default 1000 ms. */
  pollIntervalMs?: number;
}

interface OperationResponse {
  id: string;
  status: string;
  outcomeReason?: string;
  result?: {
    changes?: Array<{
      name: string;
      fromRevision?: number;
      toRevision?: number;
      fromImage?: string;
      toImage?: string;
    }>;
  };
}

export interface OperationRunResult {
  operationId?: string;
  outcome: string;
  reason?: string;
  fromRevision?: number;
  revision?: number;
  changes: unknown[];
}

/** The backend's own error message (what was wrong, where), not just the HTTP status. */
export async function failure(res: Response): Promise<Error> {
  const e = await ResponseError.fromResponse(res);
  const message = e.body?.error?.message;
  return message
    ? new Error(`Shipshape answered ${res.status}: ${message}`, { cause: e })
    : e;
}

/** Parses `kind:namespace/name` (namespace optional) into the API's path segment. */
export function entityPath(entityRef: string): string {
  const m = /^([^:/]+):(?:([^:/]+)\/)?([^:/]+)$/.exec(entityRef.trim());
  if (!m) {
    throw new Error(
      `entityRef: '${entityRef}' is not an entity reference like component:default/payments-api`,
    );
  }
  const [, kind, namespace = 'default', name] = m;
  return [kind, namespace, name]
    .map(s => encodeURIComponent(s.toLocaleLowerCase('en-US')))
    .join('/');
}

/** The backend's base URL and auth headers for calls made as the user who started the task. */
export async function shipshapeCaller(
  deps: ShipshapeActionDeps,
  ctx: ActionContext<any, any>,
) {
  const baseUrl = await deps.discovery.getBaseUrl('shipshape');
  const headers = async () => {
    const { token } = await deps.auth.getPluginRequestToken({
      onBehalfOf: await ctx.getInitiatorCredentials(),
      targetPluginId: 'shipshape',
    });
    return { Authorization: `Bearer ${token}` };
  };
  return { baseUrl, headers };
}

export type ShipshapeCaller = Awaited<ReturnType<typeof shipshapeCaller>>;

/**
 * Streams an operation's log into the task log until it has ended: each request long-polls
 * `GET /operations/:id/log?after=&wait=`, which answers as soon as there are new lines or the
 * operation ended (bounded by logWaitSeconds). Returns the last line's sequence number.
 */
export async function streamOperationLog(
  deps: ShipshapeActionDeps,
  ctx: ActionContext<any, any>,
  call: ShipshapeCaller,
  id: string,
): Promise<number> {
  const wait = deps.logWaitSeconds ?? 20;
  let after = 0;
  for (;;) {
    const res = await fetch(
      `${call.baseUrl}/operations/${encodeURIComponent(
        id,
      )}/log?after=${after}&wait=${wait}`,
      { headers: await call.headers() },
    );
    if (!res.ok) throw await failure(res);
    const page = (await res.json()) as {
      done: boolean;
      next: number;
      lines: Array<{ level: string; message: string }>;
    };
    for (const line of page.lines) {
      if (line.level === 'error') ctx.logger.error(line.message);
      else if (line.level === 'warn') ctx.logger.warn(line.message);
      else ctx.logger.info(line.message);
    }
    after = page.next;
    if (page.done) return after;
    if (page.lines.length === 0) {
      await new Promise(r => setTimeout(r, deps.pollIntervalMs ?? 1000));
    }
  }
}

/**
 * Runs a Shipshape operation on behalf of the user who started the task: POSTs it (inside a
 * checkpoint, so a retried task does not start it twice), streams its log into the task
 * log, and returns its outcome. Dry runs return what would change.
 */
export async function runShipshapeOperation(
  deps: ShipshapeActionDeps,
  ctx: ActionContext<any, any>,
  options: {
    kind: 'deploy' | 'rollback';
    entityRef: string;
    body: Record<string, unknown>;
    dryRun: boolean;
  },
): Promise<OperationRunResult> {
  const call = await shipshapeCaller(deps, ctx);
  const path = `${call.baseUrl}/entities/${entityPath(options.entityRef)}/${
    options.kind
  }`;

  const post = async () => {
    const res = await fetch(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(await call.headers()),
      },
      body: JSON.stringify({ ...options.body, dryRun: options.dryRun }),
    });
    if (!res.ok) throw await failure(res);
    return res.json();
  };

  if (options.dryRun) {
    const plan = await post();
    for (const c of plan.changes ?? []) {
      ctx.logger.info(
        `[dry run] ${plan.environment} ${plan.namespace}/${c.name}: ${
          c.fromImage
        } -> ${c.toImage}${
          c.targetRevision ? ` (template of revision ${c.targetRevision})` : ''
        }`,
      );
    }
    return {
      outcome: 'dry-run',
      changes: plan.changes ?? [],
      fromRevision: plan.changes?.[0]?.fromRevision,
      revision:
        plan.changes?.[0]?.targetRevision ?? plan.changes?.[0]?.fromRevision,
    };
  }

  const started = await ctx.checkpoint({
    key: `shipshape.${options.kind}.${options.entityRef}.${JSON.stringify(
      options.body,
    )}`,
    fn: async () => {
      const op = (await post()) as OperationResponse;
      return { id: op.id };
    },
  });
  ctx.logger.info(
    `Shipshape operation ${started.id} (${options.kind}) started`,
  );
  const after = await streamOperationLog(deps, ctx, call, started.id);

  const res = await fetch(
    `${call.baseUrl}/operations/${encodeURIComponent(
      started.id,
    )}?after=${after}`,
    { headers: await call.headers() },
  );
  if (!res.ok) throw await failure(res);
  const op = (await res.json()) as OperationResponse;
  const first = op.result?.changes?.[0];
  return {
    operationId: op.id,
    outcome: op.status,
    reason: op.outcomeReason,
    fromRevision: first?.fromRevision,
    revision: first?.toRevision,
    changes: op.result?.changes ?? [],
  };
}

/** Sets the common outputs and fails the step unless the operation succeeded. */
export function reportOutcome(
  ctx: ActionContext<any, any>,
  result: OperationRunResult,
): void {
  if (result.operationId) ctx.output('operationId', result.operationId);
  ctx.output('outcome', result.outcome);
  if (result.revision !== undefined) ctx.output('revision', result.revision);
  if (result.fromRevision !== undefined)
    ctx.output('fromRevision', result.fromRevision);
  if (result.reason) ctx.output('reason', result.reason);
  if (result.outcome !== 'succeeded' && result.outcome !== 'dry-run') {
    throw new Error(
      `Shipshape ${result.outcome}: ${result.reason ?? 'no reason given'}`,
    );
  }
  if (result.reason) ctx.logger.info(result.reason);
}
