import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { ShipshapePolicyProcessor } from './ShipshapePolicyProcessor';
import {
  missingTemplateLocations,
  noTemplateLocationWarning,
} from './templateLocations';

/**
 * Adds Shipshape's ownership and cost-tag policy (app-config `shipshape.policy`) to catalog
 * processing.
 *
 * @public
 */
export const catalogModuleShipshape = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'shipshape',
  register(reg) {
    reg.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        logger: coreServices.logger,
      },
      async init({ processing, config, catalog, auth, logger }) {
        // A bad policy is a startup error naming the key; entities can never make this throw.
        const policy = parseShipshapePolicy(
          config.getOptional('shipshape.policy'),
        );
        processing.addProcessor(
          ShipshapePolicyProcessor.create({ policy, catalog, auth, logger }),
        );
        // A templates location that points nowhere: one line naming the key, at start.
        for (const problem of missingTemplateLocations(config)) {
          logger.error(problem);
        }
        // No templates location at all: the Deploy link would open a missing template.
        const noLocation = noTemplateLocationWarning(config);
        if (noLocation) logger.warn(noLocation);
      },
    });
  },
});
