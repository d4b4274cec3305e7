import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';

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
      deps: { scaffolder: scaffolderActionsExtensionPoint },
      async init({ scaffolder }) {
        scaffolder.addActions(createCatalogAnnotationsAction());
      },
    });
  },
});
