import { Entity } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';

/**
 * The URL of one of the entity page's tabs (`kubernetes`: the stock Kubernetes plugin's pods,
 * events and logs), through the catalog's entity route; `/catalog/...` where it is not mounted.
 */
export function useEntityTabLink(entity: Entity, tab: string): string {
  const params = entityRouteParams(entity);
  const entityRoute = useRouteRef(entityRouteRef as any) as
    | ((p: typeof params) => string)
    | undefined;
  const base =
    entityRoute?.(params) ??
    `/catalog/${params.namespace}/${params.kind}/${params.name}`;
  return `${base.replace(/\/$/, '')}/${tab}`;
}
