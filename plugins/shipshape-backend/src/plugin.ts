import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { shipshapePermissions } from '@shipshape/plugin-shipshape-common';
import express from 'express';
import { connectDatabase } from './database';
import { createRouter } from './router';
import { createOwnershipRouter } from './ownership/router';
import { createBackupRouter } from './backup/router';
import { createRolloutFeatureRouter } from './rollout/feature';
import { createOperations } from './operations/feature';
import { createSloRouter } from './slo/router';
import { createLocalReposRouter } from './localRepos/router';
import { createPolicyRouter } from './policy/router';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { OperationNotifier } from './notify/service';

/**
 * The Shipshape backend plugin: the REST API behind the entity cards and the one operations
 * engine that both the cards' buttons and the scaffolder actions call.
 *
 * @public
 */
export const shipshapePlugin = createBackendPlugin({
  pluginId: 'shipshape',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        database: coreServices.database,
        permissionsRegistry: coreServices.permissionsRegistry,
        rootConfig: coreServices.rootConfig,
        logger: coreServices.logger,
        auditor: coreServices.auditor,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        catalog: catalogServiceRef,
        urlReader: coreServices.urlReader,
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        scheduler: coreServices.scheduler,
        notifications: notificationService,
      },
      async init({ httpRouter, database, permissionsRegistry, ...deps }) {
        const knex = await connectDatabase(database);
        permissionsRegistry.addPermissions(shipshapePermissions);
        // The one engine: deploy, rollback, backup and restore drill register handlers on it.
        const operations = createOperations({
          knex,
          config: deps.rootConfig,
          ...deps,
        });
        const { engine } = operations;
        // Owners hear of failed operations (and of the recovery): docs/operations.md.
        const notifier = OperationNotifier.fromConfig(deps.rootConfig, {
          ...deps,
          store: engine.store,
        });
        if (notifier) engine.onFinished(op => notifier.operationFinished(op));
        // Each feature's router, built from the services it needs; one line per feature.
        const featureRouters: express.Router[] = [
          operations.router,
          createRolloutFeatureRouter({
            engine,
            config: deps.rootConfig,
            ...deps,
          }),
          createSloRouter({ config: deps.rootConfig, ...deps }),
          createOwnershipRouter({ config: deps.rootConfig, ...deps }),
          await createBackupRouter({
            knex,
            engine,
            config: deps.rootConfig,
            ...deps,
          }),
          createLocalReposRouter({
            config: deps.rootConfig,
            httpRouter,
            ...deps,
          }),
          createPolicyRouter({ config: deps.rootConfig, ...deps }),
        ];
        httpRouter.use(await createRouter(featureRouters));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
