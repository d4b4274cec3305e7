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
  ShipshapeOpenApi,
  ShipshapePolicy,
} from '@shipshape/plugin-shipshape-common';
import {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrOverview,
  DrOverviewQuery,
  DrReadinessReport,
  DeployHistory,
  OperationLogPage,
  OperationsPage,
  SloChartsResponse,
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
  /**
   * The SLO tab's charts: per SLO the error budget left over its window and the burn rate of
   * each alert window with its threshold, at most `points` (10-500) points each.
   */
  getEntitySloCharts(
    entity: CompoundEntityRef,
    points?: number,
  ): Promise<SloChartsResponse>;
  /**
   * The DR tab's chart: the newest verified backup's age over the last `days` (1-30) days
   * against the RPO, at most `points` (10-500) points; null values are gaps (no backup known).
   */
  getEntityBackupAge(
    entity: CompoundEntityRef,
    query?: { days?: number; points?: number },
  ): Promise<ShipshapeOpenApi.BackupAge>;
  /**
   * The DR overview of the services the user may read: grade, backup age against the RPO, last
   * drill against the RTO; filtered, sorted and paged by the backend.
   */
  getDrOverview(query?: DrOverviewQuery): Promise<DrOverview>;
  /** Per environment: the entity's workloads, their pods and the last deploy or rollback. */
  getEntityRollout(entity: CompoundEntityRef): Promise<RolloutStatusResponse>;
  /**
   * Promotes, aborts or retries the entity's Argo Rollouts in one environment (an operation of
   * the backend's engine); a 409 says why the Rollout's state does not allow it.
   */
  rolloutAction(
    entity: CompoundEntityRef,
    action: 'promote' | 'abort' | 'retry',
    environment: string,
  ): Promise<ShipshapeOpenApi.ArgoActionResult>;
  /** Per environment: every Helm revision of the entity's release, with the portal's operations. */
  getDeployHistory(entity: CompoundEntityRef): Promise<DeployHistory>;
  /** An operation's log lines (deploy, rollback, ...), from the first. */
  getOperationLog(id: string): Promise<OperationLogPage>;
  /** The entity's operations of every kind, newest first: `limit` (1-100) from `offset`. */
  getEntityOperations(
    entity: CompoundEntityRef,
    page?: { limit?: number; offset?: number },
  ): Promise<OperationsPage>;
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
 * checks every operation against the user's permissions. The requests are made by the client
 * generated from the backend's openapi.yaml (ShipshapeOpenApi.DefaultApiClient).
 *
 * @public
 */
export class ShipshapeClient implements ShipshapeApi {
  private readonly api: ShipshapeOpenApi.DefaultApiClient;

  constructor(deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.api = new ShipshapeOpenApi.DefaultApiClient(deps);
  }

  /** The body of a successful answer, else a ResponseError with the backend's message. */
  private async body<T>(
    answer: Promise<ShipshapeOpenApi.TypedResponse<T>>,
  ): Promise<T> {
    const res = await answer;
    if (!res.ok) throw await ResponseError.fromResponse(res as Response);
    return await res.json();
  }

  /**
   * As body, for the answers the cards read more precisely than the document's model says:
   * OwnershipView's cost is a union by status (the document has one object with optional
   * fields); the backup list and a backup read by id always carry its drills; a POST without
   * dryRun answers the record, never the dry-run answer.
   */
  private async narrowed<T>(
    answer: Promise<ShipshapeOpenApi.TypedResponse<unknown>>,
  ): Promise<T> {
    return (await this.body(answer)) as T;
  }

  getEntityOwnership(entity: CompoundEntityRef): Promise<OwnershipView> {
    return this.narrowed(
      this.api.getEntityOwnership({ path: entityPath(entity) }),
    );
  }

  getOwnershipSummary(
    page: { limit?: number; offset?: number } = {},
  ): Promise<OwnershipSummary> {
    return this.body(this.api.getOwnershipSummary({ query: page }));
  }

  getEntitySlos(entity: CompoundEntityRef): Promise<EntitySlosResponse> {
    return this.body(this.api.getEntitySlos({ path: entityPath(entity) }));
  }

  getSloBurning(limit?: number): Promise<SloBurningResponse> {
    return this.body(this.api.getSlosBurning({ query: { limit } }));
  }

  getEntitySloCharts(
    entity: CompoundEntityRef,
    points?: number,
  ): Promise<SloChartsResponse> {
    return this.body(
      this.api.getEntitySloCharts({
        path: entityPath(entity),
        query: { points },
      }),
    );
  }

  getEntityBackupAge(
    entity: CompoundEntityRef,
    query: { days?: number; points?: number } = {},
  ): Promise<ShipshapeOpenApi.BackupAge> {
    return this.body(
      this.api.getEntityBackupAge({ path: entityPath(entity), query }),
    );
  }

  getDrOverview(query: DrOverviewQuery = {}): Promise<DrOverview> {
    return this.body(this.api.getDrOverview({ query }));
  }

  getEntityRollout(entity: CompoundEntityRef): Promise<RolloutStatusResponse> {
    return this.body(this.api.getEntityRollout({ path: entityPath(entity) }));
  }

  rolloutAction(
    entity: CompoundEntityRef,
    action: 'promote' | 'abort' | 'retry',
    environment: string,
  ): Promise<ShipshapeOpenApi.ArgoActionResult> {
    const request = { path: entityPath(entity), body: { environment } };
    const call = {
      promote: () => this.api.promoteEntityRollouts(request),
      abort: () => this.api.abortEntityRollouts(request),
      retry: () => this.api.retryEntityRollouts(request),
    }[action];
    return this.body(call());
  }

  getDeployHistory(entity: CompoundEntityRef): Promise<DeployHistory> {
    return this.body(
      this.api.getEntityDeployHistory({ path: entityPath(entity) }),
    );
  }

  getOperationLog(id: string): Promise<OperationLogPage> {
    return this.body(this.api.getOperationLog({ path: { id }, query: {} }));
  }

  getEntityOperations(
    entity: CompoundEntityRef,
    page: { limit?: number; offset?: number } = {},
  ): Promise<OperationsPage> {
    return this.body(
      this.api.listEntityOperations({ path: entityPath(entity), query: page }),
    );
  }

  getDrReadiness(entity: CompoundEntityRef): Promise<DrReadinessReport> {
    return this.body(
      this.api.getEntityDrReadiness({ path: entityPath(entity), query: {} }),
    );
  }

  getBackupHistory(entity: CompoundEntityRef): Promise<BackupHistory> {
    return this.narrowed(
      this.api.listEntityBackups({ path: entityPath(entity) }),
    );
  }

  startBackup(entity: CompoundEntityRef, reason: string): Promise<BackupItem> {
    return this.narrowed(
      this.api.createEntityBackup({
        path: entityPath(entity),
        body: { reason },
      }),
    );
  }

  startRestoreDrill(entity: CompoundEntityRef): Promise<DrillItem> {
    return this.narrowed(
      this.api.createEntityRestoreDrill({ path: entityPath(entity), body: {} }),
    );
  }

  getBackup(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<BackupItem> {
    return this.narrowed(
      this.api.getEntityBackup({
        path: { ...entityPath(entity), id },
        query: { wait: waitSeconds },
      }),
    );
  }

  getRestoreDrill(
    entity: CompoundEntityRef,
    id: string,
    waitSeconds?: number,
  ): Promise<DrillItem> {
    return this.body(
      this.api.getEntityRestoreDrill({
        path: { ...entityPath(entity), id },
        query: { wait: waitSeconds },
      }),
    );
  }

  getPolicy(): Promise<ShipshapePolicy> {
    return this.body(this.api.getPolicy({}));
  }
}

/** The path parameters of an entity's routes (the kind in lower case, as the routes expect). */
function entityPath(entity: CompoundEntityRef) {
  return {
    kind: entity.kind.toLocaleLowerCase('en-US'),
    namespace: entity.namespace,
    name: entity.name,
  };
}
