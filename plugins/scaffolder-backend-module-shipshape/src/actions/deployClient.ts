import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';

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

/** The body of a successful answer, else the backend's error (failure). */
export async function answer<T>(
  call: Promise<ShipshapeOpenApi.TypedResponse<T>>,
): Promise<T> {
  const res = await call;
  if (!res.ok) throw await failure(res as Response);
  return await res.json();
}

/** Parses `kind:namespace/name` (namespace optional) into the API's path parameters. */
export function entityPath(entityRef: string): {
  kind: string;
  namespace: string;
  name: string;
} {
  const m = /^([^:/]+):(?:([^:/]+)\/)?([^:/]+)$/.exec(entityRef.trim());
  if (!m) {
    throw new Error(
      `entityRef: '${entityRef}' is not an entity reference like component:default/payments-api`,
    );
  }
  const [, kind, namespace = 'default', name] = m;
  const lower = (s: string) => s.toLocaleLowerCase('en-US');
  return { kind: lower(kind), namespace: lower(namespace), name: lower(name) };
}

/**
 * The backend's client (generated from its openapi.yaml) and the request options for calls
 * made as the user who started the task.
 */
export async function shipshapeCaller(
  deps: ShipshapeActionDeps,
  ctx: ActionContext<any, any>,
) {
  const api = new ShipshapeOpenApi.DefaultApiClient({
    discoveryApi: deps.discovery,
    fetchApi: { fetch },
  });
  const options = async () => {
    const { token } = await deps.auth.getPluginRequestToken({
      onBehalfOf: await ctx.getInitiatorCredentials(),
      targetPluginId: 'shipshape',
    });
    return { token };
  };
  return { api, options };
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
    const page = await answer(
      call.api.getOperationLog(
        { path: { id }, query: { after, wait } },
        await call.options(),
      ),
    );
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
  options: { entityRef: string; dryRun: boolean } & (
    | { kind: 'deploy'; body: Omit<ShipshapeOpenApi.DeployRequest, 'dryRun'> }
    | {
        kind: 'rollback';
        body: Omit<ShipshapeOpenApi.RollbackRequest, 'dryRun'>;
      }
  ),
): Promise<OperationRunResult> {
  const call = await shipshapeCaller(deps, ctx);
  const path = entityPath(options.entityRef);

  // A dry run answers the plan (RolloutPlan), a real one the started Operation.
  const post = async () => {
    const body = { ...options.body, dryRun: options.dryRun };
    return answer(
      options.kind === 'deploy'
        ? call.api.deployEntity({ path, body }, await call.options())
        : call.api.rollbackEntity({ path, body }, await call.options()),
    );
  };

  if (options.dryRun) {
    const plan = (await post()) as ShipshapeOpenApi.RolloutPlan;
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
      const op = (await post()) as ShipshapeOpenApi.Operation;
      return { id: op.id };
    },
  });
  ctx.logger.info(
    `Shipshape operation ${started.id} (${options.kind}) started`,
  );
  const after = await streamOperationLog(deps, ctx, call, started.id);

  const op = await answer(
    call.api.getOperation(
      { path: { id: started.id }, query: { after } },
      await call.options(),
    ),
  );
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
