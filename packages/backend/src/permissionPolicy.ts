/*
 * The example permission policy of the Shipshape demo portal: Shipshape's operations
 * (deploy, rollback, backup, ...) are allowed on an entity to its owners and to the platform
 * admins; in protected environments (production) only to the admins; everything else is
 * allowed (as the allow-all policy did). Copy and tighten it.
 */
// Installed (every backend plugin depends on it) but not declared here: declaring it would
// change the shared yarn.lock. TODO: add it to packages/backend/package.json.
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/** Shipshape's permissions (shipshape-common's permissions.ts) all start with this. */
const SHIPSHAPE_PERMISSION_PREFIX = 'shipshape.';

/** Needed on top of deploy in `protected: true` environments (shipshape-common permissions.ts). */
const SHIPSHAPE_PROTECTED_DEPLOY = 'shipshape.operation.deploy.protected';

/** Members of these groups may run Shipshape operations on any entity. */
export const SHIPSHAPE_ADMIN_GROUPS = ['group:default/platform-team'];

export class ShipshapeExamplePolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (request.permission.name.startsWith(SHIPSHAPE_PERMISSION_PREFIX)) {
      const claims = user?.info.ownershipEntityRefs ?? [];
      if (claims.some(ref => SHIPSHAPE_ADMIN_GROUPS.includes(ref))) {
        return { result: AuthorizeResult.ALLOW };
      }
      // The stricter rule for protected environments (production): admins only.
      if (request.permission.name === SHIPSHAPE_PROTECTED_DEPLOY) {
        return { result: AuthorizeResult.DENY };
      }
      if (
        !user ||
        !isResourcePermission(request.permission, 'catalog-entity')
      ) {
        return { result: AuthorizeResult.DENY };
      }
      // The catalog evaluates the condition against the entity's spec.owner / ownedBy relation.
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** Installs the policy into the permission backend (replaces the allow-all module). */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'shipshape-example-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new ShipshapeExamplePolicy());
      },
    });
  },
});
