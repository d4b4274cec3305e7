import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { isAllowed } from '../http/authorize';
import { longPoll } from '../http/longPoll';
import { createFeatureRouter } from '../schema/router';
import { ACTIVE_STATUSES, Operation, OperationStore } from './store';

export interface OperationsRouterDeps {
  store: OperationStore;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  permissions: PermissionsService;
  /**
   * Kinds whose outcome text, input and log only callers holding a permission on the entity see
   * in full (backups and drills: hosts, users, checksums, paths); others get `redact(op)` and
   * no log lines, with `withheld: true` on the log answer (`logWithheld: true` on the
   * operation's).
   */
  restricted?: Record<
    string,
    {
      permission: ResourcePermission<'catalog-entity'>;
      redact: (op: Operation) => Operation;
    }
  >;
  /**
   * While a long poll waits, how often the database is re-read for news from another backend
   * replica (this replica's own news answers at once). Default 1000 ms.
   */
  recheckMs?: number;
}

/**
 * Reading operations: `GET /operations/:id` (with its log), `GET /operations/:id/log?after=&wait=`
 * (new lines since a sequence number; with `wait` a long poll that answers as soon as there
 * are new lines or the operation has ended, or after `wait` seconds) and
 * `GET /entities/:kind/:namespace/:name/operations?limit=&offset=`. A caller sees an operation only if
 * they may read its entity in the catalog; of a restricted kind (`restricted`: backups, drills)
 * without its permission, they see its status and step, not its outcome text, input or log.
 * The parameters are checked by openapi.yaml.
 */
export function createOperationsRouter(
  deps: OperationsRouterDeps,
): express.Router {
  const { store, httpAuth, catalog, permissions } = deps;
  const restricted = deps.restricted ?? {};
  const router = createFeatureRouter();

  /** Whether the caller sees `op` in full; false: through its kind's `redact`, no log. */
  async function full(credentials: BackstageCredentials, op: Operation) {
    const rule = restricted[op.kind];
    return (
      !rule ||
      isAllowed(permissions, credentials, op.entityRef, rule.permission)
    );
  }

  /** The operation if the caller may read its entity, and whether they see it in full. */
  async function visible(
    req: Parameters<HttpAuthService['credentials']>[0],
    id: string,
  ) {
    const op = await store.getOrThrow(id);
    const credentials = await httpAuth.credentials(req);
    const entity = await catalog.getEntityByRef(op.entityRef, { credentials });
    if (!entity) throw new NotFoundError(`No operation with id '${id}'`);
    return { op, full: await full(credentials, op) };
  }

  router.get('/operations/:id', async (req, res) => {
    const { op, full: whole } = await visible(req, req.params.id);
    if (!whole) {
      res.json({
        ...restricted[op.kind].redact(op),
        log: [],
        logWithheld: true,
      });
      return;
    }
    const log = await store.getLog(op.id, req.query.after ?? 0);
    res.json({ ...op, log });
  });

  const recheckMs = deps.recheckMs ?? 1000;
  const isDone = (op: Operation) => !ACTIVE_STATUSES.includes(op.status);

  router.get('/operations/:id/log', async (req, res) => {
    const after = req.query.after ?? 0;
    const waitMs = (req.query.wait ?? 0) * 1000;
    const {
      op: { id },
      full: whole,
    } = await visible(req, req.params.id);
    const news = await longPoll({
      notifier: store.changes,
      id,
      waitMs,
      recheckMs,
      res,
      read: async () => ({
        op: await store.getOrThrow(id),
        lines: whole ? await store.getLog(id, after) : [],
      }),
      ready: ({ op, lines }) => lines.length > 0 || isDone(op),
    });
    if (!news) return; // the caller went away
    const { op, lines } = news;
    res.json({
      status: op.status,
      done: isDone(op),
      lines,
      next: lines.length ? lines[lines.length - 1].seq : after,
      ...(whole ? {} : { withheld: true }),
    });
  });

  // Every kind (deploy, rollback, pause, promote, backup, restore-drill), newest first, paged.
  router.get(
    '/entities/:kind/:namespace/:name/operations',
    async (req, res) => {
      const limit = req.query.limit ?? 20;
      const offset = req.query.offset ?? 0;
      const credentials = await httpAuth.credentials(req);
      const { entityRef } = await entityOfRequest(catalog, req, credentials);
      const [items, total] = await Promise.all([
        store.listByEntity(entityRef, { limit, offset }),
        store.countByEntity(entityRef),
      ]);
      const decided = new Map<string, Promise<boolean>>(); // one check per kind
      const shown = await Promise.all(
        items.map(async op => {
          if (!decided.has(op.kind))
            decided.set(op.kind, full(credentials, op));
          return (await decided.get(op.kind))
            ? op
            : restricted[op.kind].redact(op);
        }),
      );
      res.json({ items: shown, total, limit, offset });
    },
  );

  return router;
}
