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
        if (config.getOptionalBoolean('permission.enabled') !== true) {
          // The permission framework then allows every request without asking any policy.
          logger.warn(
            'Shipshape permission policy installed, but permission.enabled is not true: every request is allowed and this policy is never asked (set permission.enabled: true in app-config)',
          );
        }
        policy.setPolicy(ShipshapePermissionPolicy.fromConfig(config, logger));
      },
    });
  },
});
