import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { ShipshapeExamplePolicy } from './permissionPolicy';

// As shipshape-common's permissions.ts defines them.
const shipshapeDeployPermission = createPermission({
  name: 'shipshape.operation.deploy',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});
const shipshapeBackupPermission = createPermission({
  name: 'shipshape.operation.backup',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});
const protectedDeployPermission = createPermission({
  name: 'shipshape.operation.deploy.protected',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});
const catalogEntityDeletePermission = createPermission({
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
  resourceType: 'catalog-entity',
});

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

describe('ShipshapeExamplePolicy', () => {
  const policy = new ShipshapeExamplePolicy();
  const guest = user(['user:default/guest', 'group:default/payments-team']);

  it('makes deploy and backup conditional on owning the entity', async () => {
    for (const permission of [
      shipshapeDeployPermission,
      shipshapeBackupPermission,
    ]) {
      expect(await policy.handle({ permission }, guest as any)).toEqual({
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
      });
    }
  });

  it('allows platform admins everywhere, denies without a user, allows the rest', async () => {
    const admin = user(['user:default/carol', 'group:default/platform-team']);
    expect(
      await policy.handle(
        { permission: shipshapeDeployPermission },
        admin as any,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await policy.handle({ permission: shipshapeDeployPermission }),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(
      await policy.handle(
        { permission: catalogEntityDeletePermission },
        guest as any,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('keeps protected environments (production) to the admins', async () => {
    const admin = user(['user:default/carol', 'group:default/platform-team']);
    expect(
      await policy.handle(
        { permission: protectedDeployPermission },
        guest as any,
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await policy.handle(
        { permission: protectedDeployPermission },
        admin as any,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });
});
