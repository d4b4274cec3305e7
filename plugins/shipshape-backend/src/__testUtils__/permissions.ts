import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

/** The permission service of a test backend that allows `user` everything, anyone else nothing. */
export function onlyUserAllowed(user: string) {
  return mockServices.permissions.mock({
    authorize: async (requests, { credentials }) =>
      requests.map(() => ({
        result:
          (credentials.principal as { userEntityRef?: string })
            .userEntityRef === user
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
  });
}
