import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';

/** Whether the caller holds every one of `needed` on the entity. */
export async function isAllowed(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRef: string,
  ...needed: ResourcePermission<'catalog-entity'>[]
): Promise<boolean> {
  const decisions = await permissions.authorize(
    needed.map(permission => ({ permission, resourceRef: entityRef })),
    { credentials },
  );
  return decisions.every(d => d.result === AuthorizeResult.ALLOW);
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
  const decisions = await permissions.authorize(
    needed.map(permission => ({ permission, resourceRef: entityRef })),
    { credentials },
  );
  const refused = decisions.findIndex(d => d.result !== AuthorizeResult.ALLOW);
  if (refused >= 0) {
    throw new NotAllowedError(
      `You may not ${what} ${entityRef}${
        where ? ` ${where}` : ''
      } (permission ${needed[refused].name})`,
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
