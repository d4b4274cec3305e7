import {
  AuditorService,
  HttpAuthService,
  LifecycleService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Knex } from 'knex';
import os from 'os';
import { OperationEngine } from './engine';
import { createOperationsRouter } from './router';
import { OperationStore } from './store';

/** `shipshape.operations`: this replica's name and the heartbeat that proves it alive. */
export function operationsSettings(config: RootConfigService) {
  const c = config.getOptionalConfig('shipshape.operations');
  const seconds = (key: string, fallback: number) => {
    const v = c?.getOptionalNumber(key) ?? fallback;
    if (!(v > 0)) {
      throw new InputError(
        `shipshape.operations.${key} is ${v}; expected a positive number of seconds`,
      );
    }
    return v * 1000;
  };
  return {
    // Stable across restarts (a pod's name), so a restarted replica takes back its runs at once.
    instanceId: c?.getOptionalString('instanceName') ?? os.hostname(),
    heartbeatMs: seconds('heartbeatSeconds', 5),
    staleAfterMs: seconds('staleAfterSeconds', 60),
  };
}

/**
 * The one operations engine of the plugin (deploy, rollback, backup, restore drill register
 * their handlers on it), started after every feature registered and stopped with the
 * backend, and the router that reads operations and their logs.
 */
export function createOperations(deps: {
  knex: Knex;
  config: RootConfigService;
  logger: LoggerService;
  auditor: AuditorService;
  lifecycle: LifecycleService;
  httpAuth: HttpAuthService;
  catalog: CatalogService;
}) {
  const store = OperationStore.create(deps.knex);
  const engine = OperationEngine.create({
    store,
    logger: deps.logger,
    auditor: deps.auditor,
    ...operationsSettings(deps.config),
  });
  deps.lifecycle.addStartupHook(() => engine.start());
  deps.lifecycle.addShutdownHook(() => engine.stop());
  const router = createOperationsRouter({
    store,
    httpAuth: deps.httpAuth,
    catalog: deps.catalog,
  });
  return { engine, router };
}
