import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { ShipshapePermissionPolicy } from './index';

// As shipshape-common's permissions.ts defines them (name, action) on catalog entities.
const permission = (name: string, action: 'create' | 'update' | 'delete') =>
  createPermission({
    name,
    attributes: { action },
    resourceType: 'catalog-entity',
  });
const shipshapeDeployPermission = permission(
  'shipshape.operation.deploy',
  'update',
);
const shipshapeBackupPermission = permission(
  'shipshape.operation.backup',
  'create',
);
const protectedDeployPermission = permission(
  'shipshape.operation.deploy.protected',
  'update',
);
const catalogEntityDeletePermission = permission(
  'catalog.entity.delete',
  'delete',
);

const user = (ownershipEntityRefs: string[]) => ({
  identity: {
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0],
    ownershipEntityRefs,
  },
  info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
  token: 't',
  credentials: {} as any,
});

const guest = user(['user:default/guest', 'group:default/payments-team']);
const admin = user(['user:default/carol', 'group:default/platform-team']);
const ALLOW = { result: AuthorizeResult.ALLOW };
const DENY = { result: AuthorizeResult.DENY };
/** Conditional on the guest (or one of its groups) owning the entity. */
const OWNED_BY_GUEST = {
  result: AuthorizeResult.CONDITIONAL,
  pluginId: 'catalog',
  resourceType: 'catalog-entity',
  conditions: {
    rule: 'IS_ENTITY_OWNER',
    resourceType: 'catalog-entity',
    params: {
      claims: ['user:default/guest', 'group:default/payments-team'],
    },
  },
};

const CONFIG = {
  permission: { shipshape: { adminGroups: ['group:default/platform-team'] } },
  shipshape: {
    environments: [
      { name: 'staging', cluster: 'local', namespace: 'staging' },
      {
        name: 'production',
        cluster: 'local',
        namespace: 'production',
        protected: true,
      },
    ],
  },
};

function policyWith(data: object) {
  const logger = mockServices.logger.mock();
  const policy = ShipshapePermissionPolicy.fromConfig(
    new ConfigReader(data),
    logger,
  );
  return { policy, logger };
}

describe('ShipshapePermissionPolicy', () => {
  it.each([
    // Deploy and backup are conditional on owning the entity.
    ['deploy', 'the guest', shipshapeDeployPermission, guest, OWNED_BY_GUEST],
    ['backup', 'the guest', shipshapeBackupPermission, guest, OWNED_BY_GUEST],
    // Admin groups everywhere, nobody without a user, the rest allowed.
    ['deploy', 'an admin', shipshapeDeployPermission, admin, ALLOW],
    ['deploy', 'no user', shipshapeDeployPermission, undefined, DENY],
    [
      'catalog delete',
      'the guest',
      catalogEntityDeletePermission,
      guest,
      ALLOW,
    ],
    // Protected environments (production) are kept to the admins.
    ['protected deploy', 'the guest', protectedDeployPermission, guest, DENY],
    ['protected deploy', 'an admin', protectedDeployPermission, admin, ALLOW],
  ])('decides %s for %s', async (_what, _who, perm, who, decision) => {
    const { policy } = policyWith(CONFIG);
    expect(await policy.handle({ permission: perm }, who as any)).toEqual(
      decision,
    );
  });

  it('logs its admin groups and protected environments at start, and each denial with its reason', async () => {
    const { policy, logger } = policyWith(CONFIG);
    expect(logger.info).toHaveBeenCalledWith(
      "Shipshape operations: each entity's owners and group:default/platform-team; protected environments (production): group:default/platform-team only",
    );
    await policy.handle({ permission: protectedDeployPermission }, guest);
    expect(logger.info).toHaveBeenLastCalledWith(
      'denied shipshape.operation.deploy.protected to user:default/guest: deploys and rollbacks in protected environments (production) are for members of group:default/platform-team only',
    );
  });

  it('installed without its config: starts, warns, keeps operations to owners and logs what it denies and why', async () => {
    const { policy, logger } = policyWith({});
    expect(logger.warn).toHaveBeenCalledWith(
      "permission.shipshape.adminGroups is not set: Shipshape operations are allowed to each entity's owners only, and nobody may deploy to protected environments (none configured)",
    );
    // Without admin groups the former admin is just a user: owner-conditional, not allowed.
    expect(
      await policy.handle({ permission: shipshapeDeployPermission }, admin),
    ).toMatchObject({ result: AuthorizeResult.CONDITIONAL });
    expect(
      await policy.handle({ permission: protectedDeployPermission }, admin),
    ).toEqual(DENY);
    expect(logger.info).toHaveBeenLastCalledWith(
      'denied shipshape.operation.deploy.protected to user:default/carol: deploys and rollbacks in protected environments (none configured) need permission.shipshape.adminGroups, which is not set',
    );
    expect(
      await policy.handle({ permission: shipshapeBackupPermission }, undefined),
    ).toEqual(DENY);
    expect(logger.info).toHaveBeenLastCalledWith(
      'denied shipshape.operation.backup to a caller without a user: there is no signed-in user',
    );
  });

  it('reads a bare group name as a group in the default namespace, case-insensitively', async () => {
    const { policy } = policyWith({
      permission: { shipshape: { adminGroups: ['Platform-Team'] } },
    });
    expect(
      await policy.handle({ permission: protectedDeployPermission }, admin),
    ).toEqual(ALLOW);
  });

  it('refuses an admin group that is not an entity ref, naming the key', () => {
    expect(() =>
      policyWith({
        permission: { shipshape: { adminGroups: ['group:default/'] } },
      }),
    ).toThrow(
      /^permission\.shipshape\.adminGroups\[0\] is 'group:default\/'; expected an entity ref such as group:default\/platform-team/,
    );
    expect(() =>
      policyWith({
        permission: { shipshape: { adminGroups: 'platform-team' } },
      }),
    ).toThrow(/permission\.shipshape\.adminGroups/);
  });

  it("lets a portal's own policy delegate Shipshape's permissions and decide the others itself", async () => {
    const { policy: shipshape, logger } = policyWith(CONFIG);
    // A portal's policy: only its admins may delete catalog entities; Shipshape decides its own.
    class PortalPolicy implements PermissionPolicy {
      async handle(request: PolicyQuery, caller?: PolicyQueryUser) {
        const decision = shipshape.decide(request, caller);
        if (decision) {
          return decision;
        }
        const isAdmin = caller?.info.userEntityRef === 'user:default/carol';
        return request.permission.name === 'catalog.entity.delete' && !isAdmin
          ? DENY
          : ALLOW;
      }
    }
    const portal = new PortalPolicy();
    const decide = (perm: typeof shipshapeDeployPermission, who?: any) =>
      portal.handle({ permission: perm }, who);

    // Shipshape's rules, unchanged inside the portal's policy.
    expect(await decide(shipshapeDeployPermission, guest)).toEqual(
      OWNED_BY_GUEST,
    );
    expect(await decide(protectedDeployPermission, guest)).toEqual(DENY);
    expect(logger.info).toHaveBeenLastCalledWith(
      'denied shipshape.operation.deploy.protected to user:default/guest: deploys and rollbacks in protected environments (production) are for members of group:default/platform-team only',
    );
    expect(await decide(protectedDeployPermission, admin)).toEqual(ALLOW);
    // Everything else is the portal's: Shipshape has no opinion on it.
    expect(
      shipshape.decide({ permission: catalogEntityDeletePermission }, guest),
    ).toBeUndefined();
    expect(await decide(catalogEntityDeletePermission, guest)).toEqual(DENY);
    expect(await decide(catalogEntityDeletePermission, admin)).toEqual(ALLOW);
    // Used alone (as the module installs it), the other permissions are allowed.
    expect(
      await shipshape.handle(
        { permission: catalogEntityDeletePermission },
        guest,
      ),
    ).toEqual(ALLOW);
  });
});
