import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { createFeatureRouter } from '../schema/router';
import { OwnershipService } from './service';

/**
 * Ownership and cost: one entity's view and the catalog-wide summary. Both read the catalog with
 * the caller's credentials, so each entity is filtered by the caller's read permission. The
 * parameters are checked by openapi.yaml.
 */
export function createOwnershipRouter(deps: {
  ownership: OwnershipService;
  httpAuth: HttpAuthService;
}): express.Router {
  const { httpAuth, ownership } = deps;
  const router = createFeatureRouter();

  router.get('/entities/:kind/:namespace/:name/ownership', async (req, res) => {
    const ref = req.params;
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(
      await ownership.entityOwnership(
        {
          kind: ref.kind.toLocaleLowerCase('en-US'),
          namespace: ref.namespace,
          name: ref.name,
        },
        credentials,
      ),
    );
  });

  router.get('/ownership/summary', async (req, res) => {
    const query = {
      limit: req.query.limit ?? 100,
      offset: req.query.offset ?? 0,
    };
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(await ownership.summary(credentials, query));
  });

  return router;
}
