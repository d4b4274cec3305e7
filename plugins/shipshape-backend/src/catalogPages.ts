import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { StreamEntitiesRequest } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** How many entities one catalog request of a fleet view reads. */
export const CATALOG_PAGE = 1000;

/**
 * The entities matching `request` that the caller may read, one page at a time (the catalog's
 * cursor paging, `streamEntities`), so a fleet view (the DR overview, the ownership summary)
 * holds one page of the catalog, not all of it.
 */
export function catalogPages(
  catalog: CatalogService,
  request: Omit<StreamEntitiesRequest, 'pageSize'>,
  credentials: BackstageCredentials,
  pageSize: number = CATALOG_PAGE,
): AsyncIterable<Entity[]> {
  return catalog.streamEntities({ ...request, pageSize }, { credentials });
}
