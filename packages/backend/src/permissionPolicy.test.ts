import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { ShipshapeExamplePolicy } from './permissionPolicy';

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

describe('ShipshapeExamplePolicy', () => {
  const policy = new ShipshapeExamplePolicy();

  it.each([
    // Deploy and backup are conditional on owning the entity.
    ['deploy', 'the guest', shipshapeDeployPermission, guest, OWNED_BY_GUEST],
    ['backup', 'the guest', shipshapeBackupPermission, guest, OWNED_BY_GUEST],
    // Platform admins everywhere, nobody without a user, the rest allowed.
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
    expect(await policy.handle({ permission: perm }, who as any)).toEqual(
      decision,
    );
  });
});
