import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_OWNED_BY,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { AuditRequest } from './auditRequest';

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

/** What an operation route checks permissions with, and where it logs and audits a refusal. */
export interface OperationPermissions {
  permissions: PermissionsService;
  logger: LoggerService;
  userInfo: UserInfoService;
  auditor: AuditorService;
}

/** The entity's owners as the catalog's isEntityOwner rule reads them (ownedBy relations). */
function ownersOf(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length) return related;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return [];
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}

/**
 * Why the caller was refused: not one of the entity's owners (the rule Shipshape's policy leaves
 * to the catalog, so the policy itself cannot log it), else the policy's own decision, which the
 * permission backend logs with its reason.
 */
async function refusalReason(
  userInfo: UserInfoService,
  credentials: BackstageCredentials,
  entity: Entity,
  entityRef: string,
): Promise<string> {
  const owners = ownersOf(entity).map(r => r.toLocaleLowerCase('en-US'));
  let claims: string[];
  try {
    claims = (await userInfo.getUserInfo(credentials)).ownershipEntityRefs;
  } catch (e) {
    return `refused by the permission policy (the caller's ownership could not be read: ${
      (e as Error).message
    })`;
  }
  if (!claims.some(c => owners.includes(c.toLocaleLowerCase('en-US')))) {
    return `not an owner of ${entityRef} (owners: ${
      owners.join(', ') || 'none'
    })`;
  }
  return `denied by the permission policy although the caller owns ${entityRef} (the policy's log line gives its reason)`;
}

/**
 * Throws NotAllowedError "You may not `what` `entityRef` [`where`] (permission <name>)" naming the first
 * of `needed` the caller does not hold on the entity, and logs the refusal once (info): who,
 * which permission, which entity, the environment if any, and why; and reports it to the
 * auditor once (`operation-refused`, failed, the caller of `request` as its actor). Every
 * operation route goes through it.
 */
export async function requirePermissions(
  deps: OperationPermissions,
  credentials: BackstageCredentials,
  entity: Entity,
  what: string,
  needed: ResourcePermission<'catalog-entity'>[],
  options: {
    where?: string;
    environment?: string;
    request?: AuditRequest;
  } = {},
): Promise<void> {
  const entityRef = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
  const refused = await firstRefused(
    deps.permissions,
    credentials,
    entityRef,
    needed,
  );
  if (!refused) return;
  const user = requesterOf(credentials);
  const reason = await refusalReason(
    deps.userInfo,
    credentials,
    entity,
    entityRef,
  );
  const { environment, where, request } = options;
  const error = new NotAllowedError(
    `You may not ${what} ${entityRef}${where ? ` ${where}` : ''} (permission ${
      refused.name
    })`,
  );
  deps.logger.info(
    `Refused ${refused.name} on ${entityRef}${
      environment ? ` in environment ${environment}` : ''
    } to ${user}: ${reason}`,
    {
      user,
      permission: refused.name,
      entity: entityRef,
      ...(environment ? { environment } : {}),
      reason,
    },
  );
  try {
    const audit = await deps.auditor.createEvent({
      eventId: 'operation-refused',
      severityLevel: 'medium',
      request,
      meta: {
        action: what,
        permission: refused.name,
        entityRef,
        ...(environment ? { environment } : {}),
        requestedBy: user,
      },
    });
    await audit.fail({ error, meta: { reason } });
  } catch (e) {
    deps.logger.warn(`audit of a refused ${refused.name} failed: ${e}`);
  }
  throw error;
}

/**
 * Reports a dry run to the auditor (`operation-dry-run`, low: nothing changed), with the caller
 * of `request` as its actor and `outcome: 'dry-run'`. Never fails the request.
 */
export async function auditDryRun(
  deps: Pick<OperationPermissions, 'auditor' | 'logger'>,
  request: AuditRequest,
  meta: { kind: string; entityRef: string; environment?: string },
): Promise<void> {
  try {
    const audit = await deps.auditor.createEvent({
      eventId: 'operation-dry-run',
      severityLevel: 'low',
      request,
      meta: {
        kind: meta.kind,
        entityRef: meta.entityRef,
        ...(meta.environment ? { environment: meta.environment } : {}),
      },
    });
    await audit.success({ meta: { outcome: 'dry-run' } });
  } catch (e) {
    deps.logger.warn(`audit of a ${meta.kind} dry run failed: ${e}`);
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
