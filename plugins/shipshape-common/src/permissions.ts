import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Operations act on one catalog entity, so their permissions are resource permissions on
 * `catalog-entity`: a policy can grant them to the entity's owners (see the example policy).
 */
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/** @public */
export const shipshapeDeployPermission = createPermission({
  name: 'shipshape.operation.deploy',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Needed in addition to {@link shipshapeDeployPermission} to deploy or roll back in an
 * environment marked `protected: true` (e.g. production), so a policy can be stricter there.
 *
 * @public
 */
export const shipshapeProtectedDeployPermission = createPermission({
  name: 'shipshape.operation.deploy.protected',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** @public */
export const shipshapeBackupPermission = createPermission({
  name: 'shipshape.operation.backup',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** @public */
export const shipshapePermissions = [
  shipshapeDeployPermission,
  shipshapeProtectedDeployPermission,
  shipshapeBackupPermission,
];
