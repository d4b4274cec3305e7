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
  RolloutStatusResponse,
  ShipshapePolicy,
} from '@shipshape/plugin-shipshape-common';
import {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrReadinessReport,
} from './types';

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
  /** Per environment: the entity's workloads, their pods and the last deploy or rollback. */
  getEntityRollout(entity: CompoundEntityRef): Promise<RolloutStatusResponse>;
  /** The entity's DR grade from its backups, drills and the cluster. */
  getDrReadiness(entity: CompoundEntityRef): Promise<DrReadinessReport>;
  /** The entity's backup target and its backups with their restore drills. */
  getBackupHistory(entity: CompoundEntityRef): Promise<BackupHistory>;
  /** Starts a pg_dump backup of the entity's target; answers the running record. */
  startBackup(entity: CompoundEntityRef, reason: string): Promise<BackupItem>;
  /** Starts a restore drill of the newest verified backup; answers the running record. */
  startRestoreDrill(entity: CompoundEntityRef): Promise<DrillItem>;
  /**
   * One backup; with `waitSeconds` (at most 30) the backend answers when a running backup's
   * step or status changes, or after that long (a long poll).
   */
  getBackup(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<BackupItem>;
  /** One restore drill; `waitSeconds` as for getBackup. */
  getRestoreDrill(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<DrillItem>;
  /** The tag policy the catalog module enforces (shipshape.policy). */
  getPolicy(): Promise<ShipshapePolicy>;
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

  /** POSTs `body` as JSON. */
  private async post<T>(path: string, body: object): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('shipshape');
    const res = await this.deps.fetchApi.fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  /** /entities/:kind/:namespace/:name/`what` (the kind in lower case). */
  private ofEntity(entity: CompoundEntityRef, what: string): string {
    const e = encodeURIComponent;
    return `/entities/${e(entity.kind.toLocaleLowerCase('en-US'))}/${e(
      entity.namespace,
    )}/${e(entity.name)}/${what}`;
  }

  private getOfEntity<T>(entity: CompoundEntityRef, what: string): Promise<T> {
    return this.get(this.ofEntity(entity, what));
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

  getEntityRollout(entity: CompoundEntityRef): Promise<RolloutStatusResponse> {
    return this.getOfEntity(entity, 'rollout');
  }

  getDrReadiness(entity: CompoundEntityRef): Promise<DrReadinessReport> {
    return this.getOfEntity(entity, 'dr-readiness');
  }

  getBackupHistory(entity: CompoundEntityRef): Promise<BackupHistory> {
    return this.getOfEntity(entity, 'backups');
  }

  startBackup(entity: CompoundEntityRef, reason: string): Promise<BackupItem> {
    return this.post(this.ofEntity(entity, 'backups'), { reason });
  }

  startRestoreDrill(entity: CompoundEntityRef): Promise<DrillItem> {
    return this.post(this.ofEntity(entity, 'restore-drills'), {});
  }

  getBackup(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<BackupItem> {
    return this.getRecord(entity, 'backups', id, waitSeconds);
  }

  getRestoreDrill(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<DrillItem> {
    return this.getRecord(entity, 'restore-drills', id, waitSeconds);
  }

  private getRecord<T>(
    entity: CompoundEntityRef,
    what: 'backups' | 'restore-drills',
    id: string,
    waitSeconds?: number,
  ): Promise<T> {
    const wait = waitSeconds === undefined ? '' : `?wait=${waitSeconds}`;
    return this.getOfEntity(entity, `${what}/${encodeURIComponent(id)}${wait}`);
  }

  getPolicy(): Promise<ShipshapePolicy> {
    return this.get('/policy');
  }
}
