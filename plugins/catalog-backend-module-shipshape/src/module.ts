import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import {
  PolicyMode,
  ShipshapeContractProcessor,
} from './ShipshapeContractProcessor';

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
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ catalog, config }) {
        const mode = (config.getOptionalString('shipshape.policy.mode') ??
          'warn') as PolicyMode;
        if (mode !== 'warn' && mode !== 'enforce') {
          throw new Error(
            `shipshape.policy.mode is "${mode}"; expected warn or enforce`,
          );
        }
        catalog.addProcessor(new ShipshapeContractProcessor(mode));
      },
    });
  },
});
