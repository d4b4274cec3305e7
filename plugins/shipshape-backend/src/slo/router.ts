import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  SHIPSHAPE_ANNOTATIONS,
  readAnnotation,
} from '@shipshape/plugin-shipshape-common';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { InputError } from '@backstage/errors';
import express from 'express';
import { entityOfRequest } from '../http/entityOfRequest';
import { SloBurnRow, SloBurning } from '../schema/openapi/generated/models';
import { createFeatureRouter } from '../schema/router';
import { DEFAULT_CHART_POINTS } from './charts';
import { chooseInstance } from './config';
import { SloService } from './service';
import { SloFileReader, loadEntitySlos } from './source';

export interface SloRouterDeps {
  service: SloService;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  /** Reads the entities' slo-ref files (cached by URL). */
  files: SloFileReader;
}

/**
 * `GET /entities/:kind/:namespace/:name/slos`: the entity's SLOs with objective, SLI,
 * error budget, burn rates, budget history and alerts, from the configured Prometheus.
 * The caller must be able to read the entity (the catalog checks it with their credentials).
 */
export function createSloRouter(deps: SloRouterDeps): express.Router {
  const { service } = deps;
  const cfg = service.cfg;
  const router = createFeatureRouter();

  router.get('/entities/:kind/:namespace/:name/slos', async (req, res) => {
    const credentials = await deps.httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entity } = await entityOfRequest(deps.catalog, req, credentials);
    const requested = readAnnotation(entity, 'prometheusInstance');
    if (requested && !requested.ok) throw new InputError(requested.error);
    const instance = chooseInstance(cfg, requested?.value);
    const defs = await loadEntitySlos(entity, deps.files);
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
  // The SLO tab's charts: budget left over the window, burn rate per alert window (slo/charts.ts).
  router.get(
    '/entities/:kind/:namespace/:name/slos/charts',
    async (req, res) => {
      // 10-500, checked by openapi.yaml
      const points = Number(req.query.points ?? DEFAULT_CHART_POINTS);
      const credentials = await deps.httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const { entity } = await entityOfRequest(deps.catalog, req, credentials);
      const requested = readAnnotation(entity, 'prometheusInstance');
      if (requested && !requested.ok) throw new InputError(requested.error);
      const instance = chooseInstance(cfg, requested?.value);
      const defs = await loadEntitySlos(entity, deps.files);
      res.json(
        await service.entityCharts(
          stringifyEntityRef(entity),
          defs,
          instance,
          points,
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
    const limit = req.query.limit ?? 100; // 1-500, checked by openapi.yaml
    const annotation = (name: string) => `metadata.annotations.${name}`;
    const { items, totalItems } = await deps.catalog.queryEntities(
      {
        filter: [
          {
            [annotation(SHIPSHAPE_ANNOTATIONS.slo.name)]: CATALOG_FILTER_EXISTS,
          },
          {
            [annotation(SHIPSHAPE_ANNOTATIONS.sloRef.name)]:
              CATALOG_FILTER_EXISTS,
          },
        ],
        limit,
      },
      { credentials },
    );
    const rows: SloBurnRow[] = [];
    const errors: SloBurning['errors'] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const entity = items[next++];
        const entityRef = stringifyEntityRef(entity);
        try {
          const requested = readAnnotation(entity, 'prometheusInstance');
          if (requested && !requested.ok) throw new InputError(requested.error);
          const instance = chooseInstance(cfg, requested?.value);
          const defs = await loadEntitySlos(entity, deps.files);
          for (const e of defs.errors) errors.push({ entityRef, error: e });
          const burns = await Promise.all(
            defs.slos.map(s => service.sloBurn(s, instance)),
          );
          defs.slos.forEach((s, i) =>
            rows.push({
              entityRef,
              slo: s.name,
              displayName: s.displayName,
              objective: s.objective,
              window: s.window,
              ...burns[i],
            }),
          );
        } catch (e) {
          errors.push({ entityRef, error: (e as Error).message });
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const key = (r: SloBurnRow) => r.burnRates['1h'] ?? -1;
    rows.sort(
      (a, b) => key(b) - key(a) || a.entityRef.localeCompare(b.entityRef),
    );
    const body: SloBurning = {
      rows,
      entities: items.length,
      truncated: totalItems > items.length,
      errors,
      evaluatedAt: new Date().toISOString(),
    };
    res.json(body);
  });
  return router;
}
