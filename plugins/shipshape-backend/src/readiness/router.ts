import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { KubernetesClusters } from '../kubernetes/clusters';
import { createFeatureRouter } from '../schema/router';
import { DrOverviewService, overviewQueryWithDefaults } from './overview';
import { GRADED_ENVIRONMENT, ReadinessService } from './service';

/**
 * `GET /entities/:kind/:namespace/:name/dr-readiness?environment=`: the entity's DR readiness
 * (rules in shipshape-common readiness.ts) in one environment (default production), with where
 * it stands against the recorded grades. Reads only; grades are recorded by ReadinessService.
 */
export function createReadinessRouter(deps: {
  readiness: ReadinessService;
  overview: DrOverviewService;
  clusters: KubernetesClusters;
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
      const environment = String(req.query.environment ?? GRADED_ENVIRONMENT);
      // A named environment must be a configured one: it is graded and recorded by name.
      const known = deps.clusters.environmentNames();
      if (req.query.environment !== undefined && !known.includes(environment)) {
        const shown = environment.slice(0, 63);
        const configured = known.join(', ') || 'none configured';
        throw new InputError(
          `environment: '${shown}' is not one of shipshape.environments (${configured})`,
        );
      }
      res.json(await deps.readiness.report(entity, entityRef, environment));
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
