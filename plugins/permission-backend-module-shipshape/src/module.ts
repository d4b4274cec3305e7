import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { ShipshapePermissionPolicy } from './policy';

/**
 * Installs Shipshape's permission policy into the permission backend, in place of the
 * allow-all policy (install one policy module, not both).
 *
 * @public
 */
export const permissionModuleShipshape = createBackendModule({
  pluginId: 'permission',
  moduleId: 'shipshape-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ policy, config, logger }) {
        policy.setPolicy(ShipshapePermissionPolicy.fromConfig(config, logger));
      },
    });
  },
});
