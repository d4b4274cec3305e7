import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  shipshapeDeployPermission,
  shipshapeProtectedDeployPermission,
} from '@shipshape/plugin-shipshape-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { requesterOf, requirePermissions } from '../http/authorize';
import { parseBody } from '../http/body';
import { entityOfRequest } from '../http/entityOfRequest';
import { EnvironmentConfig, KubernetesClusters } from '../kubernetes/clusters';
import { WorkloadOwnership, workloadRefOf } from '../kubernetes/placement';
import { OperationEngine } from '../operations/engine';
import {
  kindOf,
  listEntityWorkloads,
  patchImage,
  pauseOrPromote,
} from '../kubernetes/workloads';
import {
  DeploymentChange,
  RolloutOperationInput,
  planDeploy,
  planPauseOrPromote,
  planRollback,
} from './operations';
import { readRolloutStatus } from './status';

export interface RolloutRouterDeps {
  engine: OperationEngine;
  clusters: KubernetesClusters;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** Whether the entity may act on what an operation would touch. */
  ownership: WorkloadOwnership;
  /** Per-cluster timeout of the status endpoint. */
  statusTimeoutMs: number;
}

const deployBody = z
  .object({
    environment: z.string().min(1),
    image: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
    container: z.string().min(1).optional(),
    reason: z.string().max(500).optional(),
    autoRollback: z.boolean().default(true),
    dryRun: z.boolean().default(false),
  })
  .strict();

const rollbackBody = z
  .object({
    environment: z.string().min(1),
    revision: z.number().int().positive().optional(),
    reason: z.string().max(500).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();

/**
 * Deploy, rollback and rollout status for one entity:
 * `POST /entities/:kind/:namespace/:name/deploy`, `.../rollback`, `GET .../rollout`.
 */
export function createRolloutRouter(deps: RolloutRouterDeps): express.Router {
  const { engine, clusters, httpAuth, permissions, catalog, ownership } = deps;
  const router = Router();

  async function authorizeDeploy(
    credentials: BackstageCredentials,
    entityRef: string,
    what: string,
    environment: string,
  ) {
    const env = clusters.environment(environment);
    await requirePermissions(
      permissions,
      credentials,
      entityRef,
      what,
      env.protected
        ? [shipshapeDeployPermission, shipshapeProtectedDeployPermission]
        : [shipshapeDeployPermission],
      env.protected ? `in protected environment ${env.name}` : undefined,
    );
  }

  /**
   * A user's request to `what` the entity of the path in `body.environment`: the parsed body,
   * the caller and the entity, once the caller may (deploy permission, stricter when protected).
   */
  async function authorizedRequest<B extends { environment: string }>(
    req: express.Request,
    schema: z.ZodType<B, any, any>,
    what: string,
  ) {
    const body = parseBody(schema, req.body);
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { entity, entityRef } = await entityOfRequest(
      catalog,
      req,
      credentials,
    );
    await authorizeDeploy(credentials, entityRef, what, body.environment);
    return { body, credentials, entity, entityRef };
  }

  /**
   * `POST /entities/:kind/:namespace/:name/<kind>`: parses the body, checks the caller may
   * `what` the entity in the environment, plans, then answers a dry run with the plan or
   * submits the operation (202).
   */
  function operationRoute<
    B extends { environment: string; reason?: string; dryRun: boolean },
  >(
    kind: 'deploy' | 'rollback',
    what: string,
    schema: z.ZodType<B, any, any>,
    plan: (
      body: B,
      entity: Entity,
      who: string,
    ) => Promise<{
      env: EnvironmentConfig;
      changes: DeploymentChange[];
      changeCause: string;
      autoRollback: boolean;
    }>,
  ) {
    router.post(
      `/entities/:kind/:namespace/:name/${kind}`,
      async (req, res) => {
        const { body, credentials, entity, entityRef } =
          await authorizedRequest(req, schema, what);
        const who = requesterOf(credentials);
        const { env, autoRollback, ...planned } = await plan(body, entity, who);
        const shown = {
          environment: env.name,
          cluster: env.cluster,
          namespace: env.namespace,
          ...planned,
        };
        if (body.dryRun) {
          res.json({ dryRun: true, ...shown });
          return;
        }
        const input: RolloutOperationInput = {
          ...shown,
          release: env.release,
          autoRollback,
        };
        const op = await engine.submit({
          kind,
          entityRef,
          target: targetOf(env.cluster, env.namespace, planned.changes),
          requestedBy: who,
          reason: body.reason,
          input,
        });
        res.status(202).json(op);
      },
    );
  }

  operationRoute('deploy', 'deploy', deployBody, async (body, entity, who) => {
    const workload = workloadRefOf(entity);
    const { env, changes } = await planDeploy(
      clusters,
      {
        workload,
        environment: body.environment,
        image: body.image,
        tag: body.tag,
        container: body.container,
      },
      ownership.of(entity),
    );
    const changeCause = `shipshape deploy by ${who}${
      body.reason ? `: ${body.reason}` : ''
    }`.slice(0, 1000);
    if (body.dryRun) {
      // Server-side dry run: the API server validates (admission included) without persisting.
      const client = clusters.operator(env);
      const current = await listEntityWorkloads(
        client,
        env.namespace,
        workload.kubernetesId,
      );
      for (const change of changes) {
        const d = current.find(
          x =>
            x.metadata?.name === change.name &&
            kindOf(x) === (change.kind ?? 'Deployment'),
        )!;
        await patchImage(
          client,
          d,
          change.containerIndex,
          change.toImage,
          changeCause,
          true,
        );
      }
    }
    return { env, changes, changeCause, autoRollback: body.autoRollback };
  });

  operationRoute(
    'rollback',
    'roll back',
    rollbackBody,
    async (body, entity, who) => {
      const { env, changes } = await planRollback(
        clusters,
        {
          workload: workloadRefOf(entity),
          environment: body.environment,
          revision: body.revision,
        },
        ownership.of(entity),
      );
      const changeCause = `shipshape rollback by ${who} to revision ${changes
        .map(c => c.targetRevision)
        .join(',')}${body.reason ? `: ${body.reason}` : ''}`.slice(0, 1000);
      return { env, changes, changeCause, autoRollback: false };
    },
  );

  const argoBody = z
    .object({
      environment: z.string().min(1),
      dryRun: z.boolean().default(false),
    })
    .strict();

  // `kubectl argo rollouts pause` / `promote` on the entity's Rollouts in one environment:
  // the same permission and ownership checks as deploy; applied at once (no operation to follow).
  for (const action of ['pause', 'promote'] as const) {
    router.post(
      `/entities/:kind/:namespace/:name/${action}`,
      async (req, res) => {
        const { body, entity } = await authorizedRequest(req, argoBody, action);
        const { env, client, rollouts } = await planPauseOrPromote(
          clusters,
          { workload: workloadRefOf(entity), environment: body.environment },
          ownership.of(entity),
        );
        if (!body.dryRun) {
          for (const r of rollouts) await pauseOrPromote(client, r, action);
        }
        res.json({
          action,
          dryRun: body.dryRun,
          environment: env.name,
          cluster: env.cluster,
          namespace: env.namespace,
          rollouts: rollouts.map(r => r.metadata!.name!),
        });
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
    const workload = workloadRefOf(entity);
    if (clusters.environments().length === 0) {
      throw new InputError(
        'No environments are configured: set shipshape.environments in app-config (each a name, a cluster from kubernetes.clusterLocatorMethods and a namespace)',
      );
    }
    const operations = await engine.store.listByEntity(entityRef, {
      kind: ['deploy', 'rollback'],
      limit: 50,
    });
    res.json(
      await readRolloutStatus({
        clusters,
        workload,
        entityRef,
        timeoutMs: deps.statusTimeoutMs,
        operations,
      }),
    );
  });

  return router;
}

/** The conflict key: two active operations on the same Deployments (or Rollouts) are refused. */
function targetOf(
  cluster: string,
  namespace: string,
  changes: DeploymentChange[],
) {
  return `${cluster}/${namespace}/${changes
    .map(c => (c.kind === 'Rollout' ? `Rollout:${c.name}` : c.name))
    .sort()
    .join(',')}`.slice(0, 255);
}
