import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';
import { createDeployAction } from './actions/deploy';
import { createRollbackAction } from './actions/rollback';
import { createRolloutActions } from './actions/rolloutAction';
import { createBackupAction, createRestoreDrillAction } from './actions/backup';
import { createPublishLocalAction } from './actions/publishLocal';
import { createServiceCheckAction } from './actions/serviceCheck';
import { createSloRulesAction } from './actions/sloRules';

/**
 * Shipshape's scaffolder actions.
 *
 * @public
 */
export const scaffolderModuleShipshape = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'shipshape',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, discovery, auth, config, catalog }) {
        // the same app-config shipshape.policy the catalog module applies
        const policy = parseShipshapePolicy(
          config.getOptional('shipshape.policy'),
        );
        scaffolder.addActions(createServiceCheckAction({ catalog, policy }));
        scaffolder.addActions(createCatalogAnnotationsAction());
        scaffolder.addActions(createSloRulesAction());
        scaffolder.addActions(
          createDeployAction({ discovery, auth }),
          createRollbackAction({ discovery, auth }),
          ...createRolloutActions({ discovery, auth }),
          createBackupAction({ discovery, auth }),
          createRestoreDrillAction({ discovery, auth }),
        );
        scaffolder.addActions(createPublishLocalAction({ config, discovery }));
      },
    });
  },
});
