import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  shipshapeDeployPermission,
  shipshapeProtectedDeployPermission,
} from '@shipshape/plugin-shipshape-common';
import permissionPlugin from '@backstage/plugin-permission-backend';
import request from 'supertest';
import { permissionModuleShipshape } from './module';

const GROUPS: Record<string, string[]> = {
  'user:default/guest': ['group:default/payments-team'],
  'user:default/carol': ['group:default/platform-team'],
};

const PAYMENTS_API = 'component:default/payments-api';

/** The real permission backend with this module as its policy. */
async function permissionBackend(
  data: object,
  logger = mockServices.logger.mock(),
) {
  const { server } = await startTestBackend({
    features: [
      permissionPlugin,
      permissionModuleShipshape,
      logger.factory,
      mockServices.rootConfig.factory({ data }),
      mockServices.userInfo.mock({
        getUserInfo: async credentials => {
          const ref = (credentials.principal as any).userEntityRef;
          return {
            userEntityRef: ref,
            ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
          };
        },
      }).factory,
    ],
  });
  return async (user: string, permission: object) => {
    const res = await request(server)
      .post('/api/permission/authorize')
      .set('Authorization', mockCredentials.user.header(user))
      .send({ items: [{ id: '1', permission, resourceRef: PAYMENTS_API }] });
    expect(res.status).toBe(200);
    return res.body.items[0].result;
  };
}

describe('permission module shipshape', () => {
  it('decides through the permission backend with the admin groups from config', async () => {
    const authorize = await permissionBackend({
      permission: {
        enabled: true,
        shipshape: { adminGroups: ['group:default/platform-team'] },
      },
    });
    const prod = shipshapeProtectedDeployPermission;
    expect(await authorize('user:default/carol', prod)).toBe('ALLOW');
    expect(await authorize('user:default/guest', prod)).toBe('DENY');
    expect(
      await authorize('user:default/carol', shipshapeDeployPermission),
    ).toBe('ALLOW');
  });

  it('starts without its config and denies protected deploys to everyone', async () => {
    const authorize = await permissionBackend({
      permission: { enabled: true },
    });
    expect(
      await authorize('user:default/carol', shipshapeProtectedDeployPermission),
    ).toBe('DENY');
  });

  it.each<[string, object]>([
    ['unset', {}],
    ['false', { permission: { enabled: false } }],
  ])(
    'says at start, naming permission.enabled, that the policy is never asked when it is %s',
    async (_name, data) => {
      const logger = mockServices.logger.mock();
      await permissionBackend(data, logger);
      const warnings = logger.warn.mock.calls.map(c => String(c[0]));
      expect(warnings).toContain(
        'Shipshape permission policy installed, but permission.enabled is not true: every request is allowed and this policy is never asked (set permission.enabled: true in app-config)',
      );
    },
  );

  it('says nothing about permission.enabled when it is true', async () => {
    const logger = mockServices.logger.mock();
    await permissionBackend({ permission: { enabled: true } }, logger);
    expect(
      logger.warn.mock.calls.filter(c =>
        String(c[0]).includes('permission.enabled'),
      ),
    ).toHaveLength(0);
  });
});
