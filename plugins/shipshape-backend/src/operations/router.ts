import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { longPoll } from '../http/longPoll';
import { createFeatureRouter } from '../schema/router';
import { ACTIVE_STATUSES, Operation, OperationStore } from './store';

export interface OperationsRouterDeps {
  store: OperationStore;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
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
 * they may read its entity in the catalog. The parameters are checked by openapi.yaml.
 */
export function createOperationsRouter(
  deps: OperationsRouterDeps,
): express.Router {
  const { store, httpAuth, catalog } = deps;
  const router = createFeatureRouter();

  async function visible(
    req: Parameters<HttpAuthService['credentials']>[0],
    id: string,
  ) {
    const op = await store.getOrThrow(id);
    const credentials = await httpAuth.credentials(req);
    const entity = await catalog.getEntityByRef(op.entityRef, { credentials });
    if (!entity) throw new NotFoundError(`No operation with id '${id}'`);
    return op;
  }

  router.get('/operations/:id', async (req, res) => {
    const op = await visible(req, req.params.id);
    const log = await store.getLog(op.id, req.query.after ?? 0);
    res.json({ ...op, log });
  });

  const recheckMs = deps.recheckMs ?? 1000;
  const isDone = (op: Operation) => !ACTIVE_STATUSES.includes(op.status);

  router.get('/operations/:id/log', async (req, res) => {
    const after = req.query.after ?? 0;
    const waitMs = (req.query.wait ?? 0) * 1000;
    const { id } = await visible(req, req.params.id);
    const news = await longPoll({
      notifier: store.changes,
      id,
      waitMs,
      recheckMs,
      res,
      read: async () => ({
        op: await store.getOrThrow(id),
        lines: await store.getLog(id, after),
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
      res.json({ items, total, limit, offset });
    },
  );

  return router;
}
