import {
  HttpAuthService,
  LoggerService,
  RootConfigService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { readAnnotation } from '@shipshape/plugin-shipshape-common';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { chooseInstance, readSloConfig, SloConfig } from './config';
import { CachedHttpClient } from './prometheus';
import { SloService } from './service';
import { loadEntitySlos } from './source';

export interface SloRouterDeps {
  config: RootConfigService;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  urlReader: UrlReaderService;
  /** For tests and measurements: a prepared client. */
  http?: CachedHttpClient;
}

/**
 * `GET /entities/:kind/:namespace/:name/slos`: the entity's SLOs with objective, SLI,
 * error budget, burn rates, budget history and alerts, from the configured Prometheus.
 * The caller must be able to read the entity (the catalog checks it with their credentials).
 */
export function createSloRouter(deps: SloRouterDeps): express.Router {
  const cfg: SloConfig = readSloConfig(deps.config);
  const http =
    deps.http ??
    new CachedHttpClient({
      timeoutMs: cfg.timeoutMs,
      cacheTtlMs: cfg.cacheTtlMs,
      staleForMs: cfg.staleForMs,
    });
  const service = new SloService(cfg, http);
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/slos', async (req, res) => {
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { kind, namespace, name } = req.params;
    const entity = await deps.catalog.getEntityByRef(
      { kind, namespace, name },
      { credentials },
    );
    if (!entity)
      throw new NotFoundError(`No entity ${kind}:${namespace}/${name}`);
    const requested = readAnnotation(entity, 'prometheusInstance');
    if (requested && !requested.ok) throw new InputError(requested.error);
    const instance = chooseInstance(cfg, requested?.value);
    const defs = await loadEntitySlos(entity, deps.urlReader);
    const started = Date.now();
    const body = await service.entityStatus(
      entity,
      stringifyEntityRef(entity),
      defs,
      instance,
    );
    deps.logger.debug(
      `slos of ${body.entityRef}: ${body.slos.length} SLOs, state ${
        body.state
      }, ${Date.now() - started} ms`,
    );
    res.json(body);
  });
  return router;
}
