import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';

/** A request of a route typed by openapi.yaml whose path has `{kind}/{namespace}/{name}`. */
type EntityRequest = {
  params: { kind: string; namespace: string; name: string };
};

/**
 * The entity a route's `:kind/:namespace/:name` names, read with the caller's credentials (so
 * an entity they may not see is a 404, as one that does not exist), and its lower-case ref:
 * the form operations, backups and grades are stored under.
 */
export async function entityOfRequest(
  catalog: CatalogService,
  req: { params: express.Request['params'] } | EntityRequest,
  credentials: BackstageCredentials,
): Promise<{ entity: Entity; entityRef: string }> {
  const { kind, namespace, name } = req.params;
  const entity = await catalog.getEntityByRef(
    { kind, namespace, name },
    { credentials },
  );
  if (!entity)
    throw new NotFoundError(`No entity ${kind}:${namespace}/${name}`);
  return {
    entity,
    entityRef: stringifyEntityRef(entity).toLocaleLowerCase('en-US'),
  };
}
