import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
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
import { shipshapeProtectedDeployPermission } from '@shipshape/plugin-shipshape-common';

export const ADMIN_GROUPS_KEY = 'permission.shipshape.adminGroups';

/** Shipshape's permissions (shipshape-common's permissions.ts) all start with this. */
const SHIPSHAPE_PERMISSION_PREFIX = 'shipshape.';

/**
 * Shipshape's permission policy: its operations (deploy, rollback, backup, restore drill) are
 * allowed on an entity to the entity's owners and to the members of the admin groups; in
 * protected environments (`shipshape.environments[].protected`, e.g. production) to the admin
 * groups only. Every other permission is allowed, as the allow-all policy does. Each denial is
 * logged with its reason.
 *
 * A portal with a policy of its own keeps it and delegates Shipshape's permissions to
 * {@link ShipshapePermissionPolicy.decide}, which answers `undefined` for every other one.
 *
 * @public
 */
export class ShipshapePermissionPolicy implements PermissionPolicy {
  /** Reads `permission.shipshape.adminGroups` and the protected `shipshape.environments`. */
  static fromConfig(
    config: Config,
    logger: LoggerService,
  ): ShipshapePermissionPolicy {
    const raw = config.getOptionalStringArray(ADMIN_GROUPS_KEY) ?? [];
    const adminGroups = raw.map((ref, i) => {
      try {
        return stringifyEntityRef(
          parseEntityRef(ref, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          }),
        );
      } catch (e) {
        throw new InputError(
          `${ADMIN_GROUPS_KEY}[${i}] is '${ref}'; expected an entity ref such as group:default/platform-team (${e})`,
        );
      }
    });
    const protectedEnvironments = (
      config.getOptionalConfigArray('shipshape.environments') ?? []
    )
      .filter(e => e.getOptionalBoolean('protected'))
      .map(e => e.getString('name'));
    const policy = new ShipshapePermissionPolicy(
      adminGroups,
      protectedEnvironments,
      logger,
    );
    if (adminGroups.length) {
      logger.info(
        `Shipshape operations: each entity's owners and ${adminGroups.join(
          ', ',
        )}; protected environments (${policy.protectedNames()}): ${adminGroups.join(
          ', ',
        )} only`,
      );
    } else {
      logger.warn(
        `${ADMIN_GROUPS_KEY} is not set: Shipshape operations are allowed to each entity's owners only, and nobody may deploy to protected environments (${policy.protectedNames()})`,
      );
    }
    return policy;
  }

  private constructor(
    private readonly adminGroups: string[],
    private readonly protectedEnvironments: string[],
    private readonly logger: LoggerService,
  ) {}

  /** Shipshape's decision for its permissions; every other permission is allowed. */
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    return this.decide(request, user) ?? { result: AuthorizeResult.ALLOW };
  }

  /**
   * Shipshape's decision for its own permissions (every one named `shipshape.*`), or
   * `undefined` for any other permission, which the calling policy then decides itself.
   */
  decide(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): PolicyDecision | undefined {
    const { permission } = request;
    if (!permission.name.startsWith(SHIPSHAPE_PERMISSION_PREFIX)) {
      return undefined;
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (claims.some(ref => this.adminGroups.includes(ref.toLowerCase()))) {
      return { result: AuthorizeResult.ALLOW };
    }
    // The stricter rule for protected environments (production): admins only.
    if (permission.name === shipshapeProtectedDeployPermission.name) {
      return this.deny(
        permission.name,
        user,
        this.adminGroups.length
          ? `deploys and rollbacks in protected environments (${this.protectedNames()}) are for members of ${this.adminGroups.join(
              ', ',
            )} only`
          : `deploys and rollbacks in protected environments (${this.protectedNames()}) need ${ADMIN_GROUPS_KEY}, which is not set`,
      );
    }
    if (!user) {
      return this.deny(permission.name, user, 'there is no signed-in user');
    }
    if (!isResourcePermission(permission, 'catalog-entity')) {
      return this.deny(
        permission.name,
        user,
        'it is not checked against a catalog entity',
      );
    }
    // The catalog evaluates the condition against the entity's spec.owner / ownedBy relation.
    return createCatalogConditionalDecision(
      permission,
      catalogConditions.isEntityOwner({ claims }),
    );
  }

  private protectedNames() {
    return this.protectedEnvironments.join(', ') || 'none configured';
  }

  private deny(
    name: string,
    user: PolicyQueryUser | undefined,
    why: string,
  ): PolicyDecision {
    this.logger.info(
      `denied ${name} to ${
        user?.info.userEntityRef ?? 'a caller without a user'
      }: ${why}`,
    );
    return { result: AuthorizeResult.DENY };
  }
}
