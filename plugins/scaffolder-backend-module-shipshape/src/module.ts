import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';
import { createDeployAction } from './actions/deploy';
import { createRollbackAction } from './actions/rollback';

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
      },
      async init({ scaffolder, discovery, auth }) {
        scaffolder.addActions(createCatalogAnnotationsAction());
        scaffolder.addActions(
          createDeployAction({ discovery, auth }),
          createRollbackAction({ discovery, auth }),
        );
      },
    });
  },
});
