import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { createFeatureRouter } from '../schema/router';
import { DrOverviewService, overviewQueryWithDefaults } from './overview';
import { ReadinessService } from './service';

/**
 * `GET /entities/:kind/:namespace/:name/dr-readiness?environment=`: the entity's DR readiness
 * (rules in shipshape-common readiness.ts) in one environment (default production), with where
 * it stands against the recorded grades. Reads only; grades are recorded by ReadinessService.
 */
export function createReadinessRouter(deps: {
  readiness: ReadinessService;
  overview: DrOverviewService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
}): express.Router {
  const router = createFeatureRouter();
  router.get(
    '/entities/:kind/:namespace/:name/dr-readiness',
    async (req, res) => {
      const credentials = await deps.httpAuth.credentials(req);
      const { entity, entityRef } = await entityOfRequest(
        deps.catalog,
        req,
        credentials,
      );
      res.json(
        await deps.readiness.report(entity, entityRef, req.query.environment),
      );
    },
  );
  // `GET /dr/overview`: every service the caller may read, its recorded grade, backup age
  // against its RPO and last drill against its RTO (readiness/overview.ts). Reads only.
  router.get('/dr/overview', async (req, res) => {
    const query = overviewQueryWithDefaults(req.query);
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(await deps.overview.overview(query, credentials));
  });
  return router;
}
