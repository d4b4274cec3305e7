import { HttpAuthService } from '@backstage/backend-plugin-api';
import { ShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import express from 'express';
import { createFeatureRouter } from '../schema/router';

/**
 * The effective ownership and cost-tag policy (app-config `shipshape.policy`, parsed exactly as
 * the catalog module parses it), so that the scaffolder wizard checks a cost center against the
 * same rules the catalog will apply to the entity it registers.
 */
export function createPolicyRouter(deps: {
  policy: ShipshapePolicy;
  httpAuth: HttpAuthService;
}): express.Router {
  const { policy } = deps;
  const router = createFeatureRouter();
  router.get('/policy', async (req, res) => {
    await deps.httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(policy);
  });
  return router;
}
