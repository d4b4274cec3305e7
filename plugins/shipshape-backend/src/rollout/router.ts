import {
  AuditorService,
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
import {
  auditDryRun,
  requesterOf,
  requirePermissions,
} from '../http/authorize';
import { withAuditRequest } from '../http/auditRequest';
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
  /** Refusals and dry runs are audit events; so is every operation (the engine's). */
  auditor: AuditorService;
}

/**
 * Deploy, rollback, pause/promote and rollout status for one entity:
 * `POST /entities/:kind/:namespace/:name/deploy`, `.../rollback`, `.../pause`, `.../promote`,
 * `GET .../rollout`, `GET .../deploy-history`. Each parses, checks the caller's permission, calls RolloutService, answers.
 */
export function createRolloutRouter(deps: RolloutRouterDeps): express.Router {
  const {
    rollouts,
    httpAuth,
    permissions,
    catalog,
    logger,
    userInfo,
    auditor,
  } = deps;
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
      { permissions, logger, userInfo, auditor },
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
        request: req,
      },
    );
    return { body, entity, entityRef, who: requesterOf(credentials) };
  }

  /** A dry run answers its plan (200, audited), a started operation 202. */
  const answer = async (
    req: express.Request<any, any, { environment: string }, any>,
    res: express.Response<ShipshapeApi.RolloutPlan | ShipshapeApi.Operation>,
    kind: string,
    entityRef: string,
    result: RolloutResult,
  ) => {
    if (!result.dryRun) {
      res.status(202).json(result.operation);
      return;
    }
    await auditDryRun({ auditor, logger }, req, {
      kind,
      entityRef,
      environment: req.body.environment,
    });
    res.json({ dryRun: true, ...result.plan });
  };

  router.post('/entities/:kind/:namespace/:name/deploy', async (req, res) => {
    const { body, entity, entityRef, who } = await authorizedRequest(
      req,
      'deploy',
    );
    const result = await withAuditRequest(req, () =>
      rollouts.deploy(entity, entityRef, who, body),
    );
    await answer(req, res, 'deploy', entityRef, result);
  });

  router.post('/entities/:kind/:namespace/:name/rollback', async (req, res) => {
    const { body, entity, entityRef, who } = await authorizedRequest(
      req,
      'roll back',
    );
    const result = await withAuditRequest(req, () =>
      rollouts.rollback(entity, entityRef, who, body),
    );
    await answer(req, res, 'rollback', entityRef, result);
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
        const result = await withAuditRequest(req, () =>
          rollouts.pauseOrPromote(entity, entityRef, who, action, body),
        );
        if (result.dryRun) {
          await auditDryRun({ auditor, logger }, req, {
            kind: action,
            entityRef,
            environment: result.environment,
          });
        }
        res.json(result);
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
