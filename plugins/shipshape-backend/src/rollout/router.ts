import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  shipshapeDeployPermission,
  shipshapeProtectedDeployPermission,
} from '@shipshape/plugin-shipshape-common';
import express from 'express';
import { requesterOf, requirePermissions } from '../http/authorize';
import { entityOfRequest } from '../http/entityOfRequest';
import { createFeatureRouter } from '../schema/router';
import * as ShipshapeApi from '../schema/openapi/generated/models';
import { RolloutResult, RolloutService } from './service';

export interface RolloutRouterDeps {
  rollouts: RolloutService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** Where a refused operation is logged (http/authorize.ts) and whose ownership it names. */
  logger: LoggerService;
  userInfo: UserInfoService;
}

/**
 * Deploy, rollback, pause/promote and rollout status for one entity:
 * `POST /entities/:kind/:namespace/:name/deploy`, `.../rollback`, `.../pause`, `.../promote`,
 * `GET .../rollout`, `GET .../deploy-history`. Each parses, checks the caller's permission, calls RolloutService, answers.
 */
export function createRolloutRouter(deps: RolloutRouterDeps): express.Router {
  const { rollouts, httpAuth, permissions, catalog, logger, userInfo } = deps;
  const router = createFeatureRouter();

  /**
   * A user's request to `what` the entity of the path in `body.environment`: the parsed body,
   * the caller and the entity, once the caller may (deploy permission, stricter when protected).
   */
  async function authorizedRequest<B extends { environment: string }>(
    req: express.Request<
      { kind: string; namespace: string; name: string },
      any,
      B,
      any
    >,
    what: string,
  ) {
    // Validated against openapi.yaml (the one contract) before it gets here.
    const { body } = req;
    const credentials: BackstageCredentials = await httpAuth.credentials(req, {
      allow: ['user'],
    });
    const { entity, entityRef } = await entityOfRequest(
      catalog,
      req,
      credentials,
    );
    const env = rollouts.environment(body.environment);
    await requirePermissions(
      { permissions, logger, userInfo },
      credentials,
      entity,
      what,
      env.protected
        ? [shipshapeDeployPermission, shipshapeProtectedDeployPermission]
        : [shipshapeDeployPermission],
      {
        where: env.protected
          ? `in protected environment ${env.name}`
          : undefined,
        environment: env.name,
      },
    );
    return { body, entity, entityRef, who: requesterOf(credentials) };
  }

  /** A dry run answers its plan (200), a started operation 202. */
  const answer = (
    res: express.Response<ShipshapeApi.RolloutPlan | ShipshapeApi.Operation>,
    result: RolloutResult,
  ) =>
    result.dryRun
      ? res.json({ dryRun: true, ...result.plan })
      : res.status(202).json(result.operation);

  router.post('/entities/:kind/:namespace/:name/deploy', async (req, res) => {
    const { body, entity, entityRef, who } = await authorizedRequest(
      req,
      'deploy',
    );
    answer(res, await rollouts.deploy(entity, entityRef, who, body));
  });

  router.post('/entities/:kind/:namespace/:name/rollback', async (req, res) => {
    const { body, entity, entityRef, who } = await authorizedRequest(
      req,
      'roll back',
    );
    answer(res, await rollouts.rollback(entity, entityRef, who, body));
  });

  // `kubectl argo rollouts pause` / `promote` / `abort` / `retry` on the entity's Rollouts in one environment:
  // the same permission and ownership checks as deploy; answered once applied.
  for (const action of ['pause', 'promote', 'abort', 'retry'] as const) {
    router.post(
      `/entities/:kind/:namespace/:name/${action}`,
      async (req, res) => {
        const { body, entity, entityRef, who } = await authorizedRequest(
          req,
          action,
        );
        res.json(
          await rollouts.pauseOrPromote(entity, entityRef, who, action, body),
        );
      },
    );
  }

  router.get('/entities/:kind/:namespace/:name/rollout', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { entity, entityRef } = await entityOfRequest(
      catalog,
      req,
      credentials,
    );
    res.json(await rollouts.status(entity, entityRef));
  });

  // Every Helm release per environment (portal, workflow or anyone with helm), read-only.
  router.get(
    '/entities/:kind/:namespace/:name/deploy-history',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const { entity, entityRef } = await entityOfRequest(
        catalog,
        req,
        credentials,
      );
      res.json(await rollouts.history(entity, entityRef));
    },
  );

  return router;
}
