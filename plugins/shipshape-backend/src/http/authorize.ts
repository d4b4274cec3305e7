import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';

/** The first of `needed` the caller does not hold on the entity, or undefined. */
async function firstRefused(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRef: string,
  needed: ResourcePermission<'catalog-entity'>[],
) {
  const decisions = await permissions.authorize(
    needed.map(permission => ({ permission, resourceRef: entityRef })),
    { credentials },
  );
  return needed.find((_, i) => decisions[i].result !== AuthorizeResult.ALLOW);
}

/** Whether the caller holds every one of `needed` on the entity. */
export async function isAllowed(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRef: string,
  ...needed: ResourcePermission<'catalog-entity'>[]
): Promise<boolean> {
  return !(await firstRefused(permissions, credentials, entityRef, needed));
}

/**
 * Throws NotAllowedError "You may not `what` `entityRef` [`where`] (permission <name>)" naming the first
 * of `needed` the caller does not hold on the entity. Every operation route goes through it.
 */
export async function requirePermissions(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRef: string,
  what: string,
  needed: ResourcePermission<'catalog-entity'>[],
  where?: string,
): Promise<void> {
  const refused = await firstRefused(
    permissions,
    credentials,
    entityRef,
    needed,
  );
  if (refused) {
    throw new NotAllowedError(
      `You may not ${what} ${entityRef}${
        where ? ` ${where}` : ''
      } (permission ${refused.name})`,
    );
  }
}

/** Who asked, as operations record it: a user's entity ref, else `<type>:<subject>`. */
export function requesterOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.type === 'user'
    ? p.userEntityRef!
    : `${p.type}:${p.subject ?? 'unknown'}`;
}
