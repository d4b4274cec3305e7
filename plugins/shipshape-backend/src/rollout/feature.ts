import {
  HttpAuthService,
  LifecycleService,
  LoggerService,
  PermissionsService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { Knex } from 'knex';
import { KubernetesClusters } from '../kubernetes/clusters';
import { OperationEngine } from '../operations/engine';
import { createOperationsRouter } from '../operations/router';
import { OperationStore } from '../operations/store';
import { DeployHandler, RollbackHandler, RolloutTimings } from './operations';
import { createRolloutRouter } from './router';

export interface RolloutFeatureDeps {
  knex: Knex;
  config: RootConfigService;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  lifecycle: LifecycleService;
}

/** Reads `shipshape.rollout.*` timings (seconds in config). */
export function rolloutTimings(config: RootConfigService): RolloutTimings & {
  statusTimeoutMs: number;
} {
  const c = config.getOptionalConfig('shipshape.rollout');
  return {
    stallAfterMs: (c?.getOptionalNumber('stallAfterSeconds') ?? 120) * 1000,
    timeoutMs: (c?.getOptionalNumber('timeoutSeconds') ?? 900) * 1000,
    statusTimeoutMs: (c?.getOptionalNumber('statusTimeoutSeconds') ?? 5) * 1000,
  };
}

/**
 * The operations engine with its deploy and rollback handlers, started (resuming what a
 * previous backend left running) and stopped with the backend; returns the routers of the
 * operations API and the rollout API.
 */
export async function createRolloutRouters(
  deps: RolloutFeatureDeps,
): Promise<express.Router[]> {
  const clusters = KubernetesClusters.fromConfig(deps.config);
  const timings = rolloutTimings(deps.config);
  const store = OperationStore.create(deps.knex);
  const engine = OperationEngine.create({ store, logger: deps.logger });
  engine.register('deploy', new DeployHandler(clusters, timings));
  engine.register('rollback', new RollbackHandler(clusters, timings));
  deps.lifecycle.addStartupHook(() => engine.start());
  deps.lifecycle.addShutdownHook(() => engine.stop());
  return [
    createOperationsRouter({
      store,
      httpAuth: deps.httpAuth,
      catalog: deps.catalog,
    }),
    createRolloutRouter({
      engine,
      clusters,
      httpAuth: deps.httpAuth,
      permissions: deps.permissions,
      catalog: deps.catalog,
      statusTimeoutMs: timings.statusTimeoutMs,
    }),
  ];
}
