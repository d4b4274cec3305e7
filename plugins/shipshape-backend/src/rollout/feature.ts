import {
  AuthService,
  HttpAuthService,
  PermissionsService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import { KubernetesClusters } from '../kubernetes/clusters';
import { WorkloadOwnership } from '../kubernetes/placement';
import { OperationEngine } from '../operations/engine';
import { DeployHandler, RollbackHandler, RolloutTimings } from './operations';
import { createRolloutRouter } from './router';

export interface RolloutFeatureDeps {
  engine: OperationEngine;
  config: RootConfigService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  auth: AuthService;
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

/** Registers the deploy and rollback handlers on the engine; returns the rollout API. */
export function createRolloutFeatureRouter(
  deps: RolloutFeatureDeps,
): express.Router {
  const { engine } = deps;
  const clusters = KubernetesClusters.fromConfig(deps.config);
  const timings = rolloutTimings(deps.config);
  engine.register('deploy', new DeployHandler(clusters, timings));
  engine.register('rollback', new RollbackHandler(clusters, timings));
  return createRolloutRouter({
    engine,
    clusters,
    httpAuth: deps.httpAuth,
    permissions: deps.permissions,
    catalog: deps.catalog,
    ownership: WorkloadOwnership.create(deps),
    statusTimeoutMs: timings.statusTimeoutMs,
  });
}
