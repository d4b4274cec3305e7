import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { createFeatureRouter } from '../schema/router';
import { SloService } from './service';

export interface SloRouterDeps {
  service: SloService;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
}

/**
 * `GET /entities/:kind/:namespace/:name/slos`: the entity's SLOs with objective, SLI,
 * error budget, burn rates, budget history and alerts, from the configured Prometheus.
 * The caller must be able to read the entity (the catalog checks it with their credentials).
 */
export function createSloRouter(deps: SloRouterDeps): express.Router {
  const { service } = deps;
  const router = createFeatureRouter();

  router.get('/entities/:kind/:namespace/:name/slos', async (req, res) => {
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entity } = await entityOfRequest(deps.catalog, req, credentials);
    const started = Date.now();
    const body = await service.entityStatus(entity);
    deps.logger.debug(
      `slos of ${body.entityRef}: ${body.slos.length} SLOs, state ${
        body.state
      }, ${Date.now() - started} ms`,
    );
    res.json(body);
  });
  // The SLO tab's charts: budget left over the window, burn rate per alert window (slo/charts.ts).
  router.get(
    '/entities/:kind/:namespace/:name/slos/charts',
    async (req, res) => {
      // 10-500, checked by openapi.yaml
      const { points } = req.query;
      const credentials = await deps.httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const { entity } = await entityOfRequest(deps.catalog, req, credentials);
      res.json(
        await service.entityCharts(
          entity,
          points === undefined ? undefined : Number(points),
        ),
      );
    },
  );
  /**
   * `GET /slos/burning?limit=N`: the SLOs of the entities the caller may read (the catalog
   * filters with their credentials), fastest 1h burn first. One instant query per SLO,
   * cached like the card's; at most `limit` entities (default 100, max 500), 4 at a time.
   */
  router.get('/slos/burning', async (req, res) => {
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body = await service.burning({
      catalog: deps.catalog,
      credentials,
      limit: req.query.limit ?? 100, // 1-500, checked by openapi.yaml
    });
    res.json(body);
  });
  return router;
}
