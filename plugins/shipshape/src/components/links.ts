import { Entity } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';

/** The catalog's entity route where it is mounted, in either frontend system; else undefined. */
function useEntityRoute() {
  try {
    // core-plugin-api's useRouteRef resolves through the new system's route-resolution API when
    // the app has one and through the old system's routing context otherwise (frontend-plugin-api's
    // needs the former and throws in an old-system app). It calls all its hooks before it throws
    // on an unmounted route, so catching keeps the hook order.
    return useRouteRef(entityRouteRef);
  } catch {
    return undefined;
  }
}

/**
 * The URL of one of the entity page's tabs (`kubernetes`: the stock Kubernetes plugin's pods,
 * events and logs), through the catalog's entity route; `/catalog/...` where it is not mounted.
 */
export function useEntityTabLink(entity: Entity, tab: string): string {
  const params = entityRouteParams(entity);
  const base =
    useEntityRoute()?.(params) ??
    `/catalog/${params.namespace}/${params.kind}/${params.name}`;
  return `${base.replace(/\/$/, '')}/${tab}`;
}
