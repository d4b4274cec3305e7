import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import {
  ACTIVE_STATUSES,
  Operation,
  OperationLogLine,
  OperationStore,
} from './store';

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

/** The longest `wait` a log request may ask for, in seconds. */
export const MAX_LOG_WAIT_SECONDS = 30;

/**
 * Reading operations: `GET /operations/:id` (with its log), `GET /operations/:id/log?after=&wait=`
 * (new lines since a sequence number; with `wait` a long poll that answers as soon as there
 * are new lines or the operation has ended, or after `wait` seconds) and
 * `GET /entities/:kind/:namespace/:name/operations`. A caller sees an operation only if
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

  router.get('/operations/:id', async (req, res) => {
    const op = await visible(req, req.params.id);
    const log = await store.getLog(op.id, afterParam(req));
    res.json({ ...op, log });
  });

  function waitParam(req: express.Request): number {
    const raw = req.query.wait;
    if (raw === undefined) return 0;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > MAX_LOG_WAIT_SECONDS) {
      throw new InputError(
        `wait: '${raw}' is not a number of seconds from 0 to ${MAX_LOG_WAIT_SECONDS}`,
      );
    }
    return n;
  }

  const recheckMs = deps.recheckMs ?? 1000;
  const isDone = (op: Operation) => !ACTIVE_STATUSES.includes(op.status);

  router.get('/operations/:id/log', async (req, res) => {
    const after = afterParam(req);
    const deadline = Date.now() + waitParam(req) * 1000;
    let op = await visible(req, req.params.id);
    // The caller went away: stop waiting for them.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    let lines: OperationLogLine[];
    for (;;) {
      // Listen before reading, so news recorded while reading is not missed.
      const wake = new AbortController();
      const news = store.nextChange(
        op.id,
        Math.min(recheckMs, deadline - Date.now()),
        AbortSignal.any([gone.signal, wake.signal]),
      );
      lines = await store.getLog(op.id, after);
      if (lines.length || isDone(op) || Date.now() >= deadline) {
        wake.abort();
        break;
      }
      await news;
      if (gone.signal.aborted) return;
      op = await store.getOrThrow(op.id);
    }
    res.json({
      status: op.status,
      done: isDone(op),
      lines,
      next: lines.length ? lines[lines.length - 1].seq : after,
    });
  });

  router.get(
    '/entities/:kind/:namespace/:name/operations',
    async (req, res) => {
      const { kind, namespace, name } = req.params;
      const credentials = await httpAuth.credentials(req);
      const entity = await catalog.getEntityByRef(
        { kind, namespace, name },
        { credentials },
      );
      if (!entity) {
        throw new NotFoundError(`No entity ${kind}:${namespace}/${name}`);
      }
      const ref = `${kind}:${namespace}/${name}`.toLocaleLowerCase('en-US');
      res.json({ items: await store.listByEntity(ref) });
    },
  );

  return router;
}
