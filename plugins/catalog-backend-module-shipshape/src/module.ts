import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { ShipshapeContractProcessor } from './ShipshapeContractProcessor';

/**
 * Adds Shipshape's checks to catalog processing.
 *
 * @public
 */
export const catalogModuleShipshape = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'shipshape',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addProcessor(new ShipshapeContractProcessor());
      },
    });
  },
});
