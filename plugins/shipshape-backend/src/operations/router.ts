import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import { entityOfRequest } from '../http/entityOfRequest';
import { longPoll, waitSeconds } from '../http/longPoll';
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
 * they may read its entity in the catalog.
 */
export function createOperationsRouter(
  deps: OperationsRouterDeps,
): express.Router {
  const { store, httpAuth, catalog } = deps;
  const router = Router();

  async function visible(req: express.Request, id: string) {
    const op = await store.getOrThrow(id);
    const credentials = await httpAuth.credentials(req);
    const entity = await catalog.getEntityByRef(op.entityRef, { credentials });
    if (!entity) throw new NotFoundError(`No operation with id '${id}'`);
    return op;
  }

  function afterParam(req: express.Request): number {
    const raw = req.query.after;
    if (raw === undefined) return 0;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new InputError(
        `after: '${raw}' is not a non-negative integer sequence number`,
      );
    }
    return n;
  }

  function intParam(
    req: express.Request,
    name: string,
    fallback: number,
    min: number,
    max: number,
  ): number {
    const raw = req.query[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InputError(
        `${name}: '${raw}' is not an integer from ${min} to ${max}`,
      );
    }
    return n;
  }

  router.get('/operations/:id', async (req, res) => {
    const op = await visible(req, req.params.id);
    const log = await store.getLog(op.id, afterParam(req));
    res.json({ ...op, log });
  });

  const recheckMs = deps.recheckMs ?? 1000;
  const isDone = (op: Operation) => !ACTIVE_STATUSES.includes(op.status);

  router.get('/operations/:id/log', async (req, res) => {
    const after = afterParam(req);
    const waitMs = waitSeconds(req) * 1000;
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
      const limit = intParam(req, 'limit', 20, 1, 100);
      const offset = intParam(req, 'offset', 0, 0, 1_000_000);
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
