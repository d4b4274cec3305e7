import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  EntitySlosResponse,
  SloBurningResponse,
  OwnershipSummary,
  OwnershipView,
} from '@shipshape/plugin-shipshape-common';

/**
 * The Shipshape backend's API as the cards and pages use it. Each feature adds its methods here.
 *
 * @public
 */
export interface ShipshapeApi {
  /** One entity's owner, tags with their source, policy violations and monthly cost. */
  getEntityOwnership(entity: CompoundEntityRef): Promise<OwnershipView>;
  /** The catalog, as far as the signed-in user may read it, by cost center and by owner. */
  getOwnershipSummary(page?: {
    limit?: number;
    offset?: number;
  }): Promise<OwnershipSummary>;
  /** One entity's SLOs: budget, burn rates, budget history and alerts, from Prometheus. */
  getEntitySlos(entity: CompoundEntityRef): Promise<EntitySlosResponse>;
  /** SLOs of the entities the user may read, fastest 1h burn first. */
  getSloBurning(limit?: number): Promise<SloBurningResponse>;
}

/** @public */
export const shipshapeApiRef = createApiRef<ShipshapeApi>({
  id: 'plugin.shipshape.api',
});

/**
 * Calls the shipshape backend plugin with the signed-in user's token (fetchApi), so the backend
 * checks every operation against the user's permissions.
 *
 * @public
 */
export class ShipshapeClient implements ShipshapeApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async get<T>(path: string): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('shipshape');
    const res = await this.deps.fetchApi.fetch(`${base}${path}`);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  /** GET /entities/:kind/:namespace/:name/`what` (the kind in lower case). */
  private getOfEntity<T>(entity: CompoundEntityRef, what: string): Promise<T> {
    const e = encodeURIComponent;
    return this.get(
      `/entities/${e(entity.kind.toLocaleLowerCase('en-US'))}/${e(
        entity.namespace,
      )}/${e(entity.name)}/${what}`,
    );
  }

  getEntityOwnership(entity: CompoundEntityRef): Promise<OwnershipView> {
    return this.getOfEntity(entity, 'ownership');
  }

  getOwnershipSummary(
    page: { limit?: number; offset?: number } = {},
  ): Promise<OwnershipSummary> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.offset !== undefined) query.set('offset', String(page.offset));
    const qs = query.toString();
    return this.get(`/ownership/summary${qs ? `?${qs}` : ''}`);
  }

  getEntitySlos(entity: CompoundEntityRef): Promise<EntitySlosResponse> {
    return this.getOfEntity(entity, 'slos');
  }

  getSloBurning(limit?: number): Promise<SloBurningResponse> {
    return this.get(
      `/slos/burning${
        limit !== undefined ? `?limit=${encodeURIComponent(limit)}` : ''
      }`,
    );
  }
}
