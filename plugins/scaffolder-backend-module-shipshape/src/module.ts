import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';
import { createDeployAction } from './actions/deploy';
import { createRollbackAction } from './actions/rollback';
import {
  createBackupAction,
  createRestoreDrillAction,
} from './actions/backup';
import { createPublishLocalAction } from './actions/publishLocal';
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
      },
      async init({ scaffolder, discovery, auth, config }) {
        scaffolder.addActions(createCatalogAnnotationsAction());
        scaffolder.addActions(createSloRulesAction());
        scaffolder.addActions(
          createDeployAction({ discovery, auth }),
          createRollbackAction({ discovery, auth }),
          createBackupAction({ discovery, auth }),
          createRestoreDrillAction({ discovery, auth }),
        );
        scaffolder.addActions(createPublishLocalAction({ config, discovery }));
      },
    });
  },
});
