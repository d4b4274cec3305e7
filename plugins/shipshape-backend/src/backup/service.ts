import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  SHIPSHAPE_ANNOTATIONS,
  evaluateDrReadiness,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import {
  BackupPlan,
  CreateEntityBackupRequest,
  CreateEntityRestoreDrill200Response,
  CreateEntityRestoreDrillRequest,
} from '../schema/openapi/generated/models';
import {
  AGE_HISTORY_LIMIT,
  DEFAULT_AGE_DAYS,
  DEFAULT_AGE_POINTS,
  backupAgeChart,
} from './age';
import { assertSoleClaim } from './claims';
import { BackupConfig, BackupTarget } from './config';
import { redactBackup, redactDrill } from './redact';
import { BackupRecord, BackupStore, DrillRecord } from './store';
import { KubernetesClusters } from '../kubernetes/clusters';
import { WorkloadOwnership } from '../kubernetes/placement';
import {
  EngineStoppedError,
  OperationContext,
  OperationEngine,
  OperationOutcome,
} from '../operations/engine';
import { BACKUP_KIND, DRILL_KIND, RunContext, messageOf } from './runs/context';
import { CronJobBackups } from './runs/cronJob';
import { InClusterJobBackups } from './runs/inClusterJob';
import { PgDumpBackups } from './runs/pgDump';
import { RestoreDrills } from './runs/restoreDrill';

export { BACKUP_KIND, DRILL_KIND } from './runs/context';

function backupOutcome(b: BackupRecord): OperationOutcome {
  const ok = BackupStore.succeeded(b);
  let reason = `failed at ${b.failedStep ?? 'start'}: ${
    b.error ?? 'no error recorded'
  }`;
  if (ok) {
    reason =
      b.method === 'in-cluster'
        ? `Job ${b.location} completed`
        : `verified: ${b.sizeBytes} bytes, sha256 ${b.sha256}`;
  }
  return {
    status: ok ? 'succeeded' : 'failed',
    reason,
    result: {
      backupId: b.id,
      verifiedAt: b.verifiedAt,
      failedStep: b.failedStep,
    },
  };
}

/** What BackupService.create takes; plugin.ts passes all of it. */
export interface BackupServiceDeps {
  config: BackupConfig;
  knex: Knex;
  logger: LoggerService;
  engine: OperationEngine;
  /** The clusters of the environments; in-cluster backups refuse to run without them. */
  clusters?: KubernetesClusters;
  /** The ownership check of deploys; in-cluster backups refuse to run without it. */
  ownership?: WorkloadOwnership;
  /** With `auth` (the plugin's own credentials): who else claims a target is read from it. */
  catalog?: CatalogService;
  auth?: AuthService;
}

/**
 * Backups (pg_dump, runs/pgDump.ts), in-cluster backups (a Job from the service's backup
 * CronJob, runs/inClusterJob.ts) and restore drills (runs/restoreDrill.ts), over one shared
 * run context (runs/context.ts).
 *
 * Each run is an operation of the one engine that also deploys (kinds `backup` and
 * `restore-drill`): the engine holds the target (one backup and one drill per target, across
 * replicas), heartbeats the run, keeps its log (which the scaffolder actions stream) and hands
 * a run whose replica stopped to a live one. This service keeps what outlives a run: the
 * backup inventory and the drill results, as records with the operation's id.
 */
export class BackupService {
  readonly config: BackupConfig;
  readonly store: BackupStore;
  /** Who else claims a target or workload is read from it (requestBackup, requestDrill). */
  private readonly claims?: { catalog: CatalogService; auth: AuthService };
  private readonly run: RunContext;
  private readonly pgDump: PgDumpBackups;
  private readonly inCluster: InClusterJobBackups;
  private readonly cronJob: CronJobBackups;
  private readonly drills: RestoreDrills;

  private constructor(deps: BackupServiceDeps) {
    this.config = deps.config;
    if (deps.catalog && deps.auth) {
      this.claims = { catalog: deps.catalog, auth: deps.auth };
    }
    this.run = new RunContext(
      deps.config,
      deps.knex,
      deps.logger,
      deps.engine,
      deps.clusters,
      deps.ownership,
    );
    this.store = this.run.store;
    this.pgDump = new PgDumpBackups(this.run);
    this.inCluster = new InClusterJobBackups(this.run);
    this.cronJob = new CronJobBackups(this.run);
    this.drills = new RestoreDrills(this.run);
  }

  /**
   * The service plugin.ts builds once; it registers the engine's handlers explicitly after
   * (registerOperations). Tests build it here too (backup/__testUtils__/service.ts).
   */
  static create(deps: BackupServiceDeps): BackupService {
    return new BackupService(deps);
  }

  /**
   * `POST .../backups` of an authorized caller: refuses a target (and, in-cluster, a
   * workload) another entity claims (ConflictError), then answers the dry-run plan or
   * submits the backup: pg_dump, or with `method: in-cluster` a Job from the entity's
   * backup CronJob in `environment`.
   */
  async requestBackup(req: {
    entity: Entity;
    entityRef: string;
    target: BackupTarget;
    requestedBy: string;
    body: CreateEntityBackupRequest;
  }): Promise<{ plan: BackupPlan } | { record: BackupRecord }> {
    const { entity, entityRef, target, requestedBy, body } = req;
    await this.soleClaimOfTarget(entityRef, target);
    if (body.method === 'in-cluster') {
      // openapi.yaml requires environment with method in-cluster and refuses it otherwise
      const environment = body.environment as string;
      const kubernetesId =
        entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
      if (!kubernetesId) {
        throw new InputError(
          `${entityRef} has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation, so its backup CronJob cannot be found`,
        );
      }
      // the CronJob is found by this label: another entity naming it would start its Job
      await assertSoleClaim({
        ...this.claimsReader(),
        entityRef,
        annotation: ECOSYSTEM_ANNOTATIONS.kubernetesId,
        value: kubernetesId,
        what: `Workload '${kubernetesId}'`,
        remedy: `only the entity that runs it may carry ${ECOSYSTEM_ANNOTATIONS.kubernetesId}: ${kubernetesId}`,
      });
      if (body.dryRun) {
        const { env, cron } = await this.planInCluster({ entity, environment });
        return {
          plan: {
            dryRun: true,
            method: 'in-cluster',
            target: target.name,
            environment: env.name,
            cluster: env.cluster,
            namespace: env.namespace,
            cronJob: cron.metadata?.name,
          },
        };
      }
      const { record } = await this.startInCluster({
        target,
        entityRef,
        entity,
        environment,
        requestedBy,
        reason: body.reason,
      });
      return { record };
    }
    if (body.dryRun) {
      return {
        plan: {
          dryRun: true,
          method: 'pg_dump',
          target: target.name,
          storage: target.storage.type,
        },
      };
    }
    const { record } = await this.startBackup({
      target,
      entityRef,
      requestedBy,
      reason: body.reason,
    });
    return { record };
  }

  /**
   * `POST .../restore-drills` of an authorized caller: refuses a target another entity
   * claims (ConflictError), then answers the dry-run plan (the backup it would restore) or
   * submits the drill.
   */
  async requestDrill(req: {
    entityRef: string;
    target: BackupTarget;
    requestedBy: string;
    body: CreateEntityRestoreDrillRequest;
  }): Promise<
    { plan: CreateEntityRestoreDrill200Response } | { record: DrillRecord }
  > {
    const { entityRef, target, requestedBy, body } = req;
    await this.soleClaimOfTarget(entityRef, target);
    if (body.dryRun) {
      const backup = await this.drillBackup(target, body.backupId);
      return {
        plan: { dryRun: true, target: target.name, backupId: backup.id },
      };
    }
    const { record } = await this.startDrill({
      target,
      entityRef,
      requestedBy,
      backupId: body.backupId,
    });
    return { record };
  }

  /**
   * `GET .../backups`: the target's backups, newest first, each with its drills; totals only
   * (redact.ts) unless `full` (the caller may run backups of the entity).
   */
  async history(target: BackupTarget, full: boolean) {
    const [backups, drills] = await Promise.all([
      this.store.list(target.name),
      this.store.drills(target.name),
    ]);
    return {
      target: target.name,
      storage: target.storage.type,
      retention: target.retention,
      items: backups.map(b => this.withDrills(b, drills, full)),
    };
  }

  /**
   * `GET .../backups/:id`: one backup of the target with its drills (NotFoundError if it is
   * none of the target's); totals only unless `full`.
   */
  async backup(target: BackupTarget, id: string, full: boolean) {
    const b = this.ofTarget(target, 'backup', id, await this.store.get(id));
    return this.withDrills(b, await this.store.drills(b.target), full);
  }

  /** `GET .../restore-drills/:id`: one drill of the target; totals only unless `full`. */
  async drill(target: BackupTarget, id: string, full: boolean) {
    const d = this.ofTarget(
      target,
      'restore drill',
      id,
      await this.store.getDrill(id),
    );
    return full ? d : redactDrill(d);
  }

  /** News of a backup or drill written by this process, for long polls of `backup`/`drill`. */
  get changes() {
    return this.store.changes;
  }

  /**
   * `GET .../backup-age`: the newest verified backup's age over the last `days` days against
   * the entity's RPO (declared, else its tier's, as the grade takes it); age.ts.
   */
  async ageChart(
    entity: Entity,
    target: BackupTarget,
    days = DEFAULT_AGE_DAYS,
    points = DEFAULT_AGE_POINTS,
  ) {
    const now = new Date();
    const backups = await this.store.list(target.name, AGE_HISTORY_LIMIT);
    return backupAgeChart({
      target: target.name,
      backups,
      now,
      days,
      points,
      rpoSeconds: evaluateDrReadiness({ entity, now }).rpoSeconds,
    });
  }

  private withDrills(b: BackupRecord, drills: DrillRecord[], full: boolean) {
    const its = drills.filter(d => d.backupId === b.id);
    return full
      ? { ...b, drills: its }
      : { ...redactBackup(b), drills: its.map(redactDrill) };
  }

  private ofTarget<R extends { target: string }>(
    target: BackupTarget,
    what: string,
    id: string,
    record: R,
  ): R {
    if (record.target !== target.name) {
      throw new NotFoundError(`No ${what} '${id}' of ${target.name}`);
    }
    return record;
  }

  private claimsReader() {
    if (!this.claims) {
      throw new Error(
        'Backup and drill requests need the catalog (BackupService.create)',
      );
    }
    return this.claims;
  }

  /** 409 when another entity, not also allowed by the admin, names the same target. */
  private async soleClaimOfTarget(entityRef: string, target: BackupTarget) {
    await assertSoleClaim({
      ...this.claimsReader(),
      entityRef,
      annotation: SHIPSHAPE_ANNOTATIONS.backupTarget.name,
      value: target.name,
      what: `Backup target '${target.name}'`,
      remedy: `remove the annotation from the others, or list them in shipshape.backup.targets[name=${target.name}].allowedEntities`,
      shared: target.allowedEntities,
    });
  }

  /**
   * Registers the handlers of the operation kinds `backup` and `restore-drill` on the engine
   * the service submits to (plugin.ts does, once); returns the service.
   */
  registerOperations(): this {
    this.run.engine.register(BACKUP_KIND, { run: ctx => this.runBackup(ctx) });
    this.run.engine.register(DRILL_KIND, {
      run: ctx => this.drills.handle(ctx),
    });
    return this;
  }

  /** The engine's handler of `backup`: runs, or resumes, the recorded backup. */
  private async runBackup(ctx: OperationContext): Promise<OperationOutcome> {
    const rec = await this.store.get(ctx.operation.id);
    try {
      if (rec.method === 'in-cluster') await this.inCluster.execute(ctx, rec);
      // a verification only reads: a resumed one runs again
      else if (rec.method === 'cronjob') await this.cronJob.execute(ctx, rec);
      else if (ctx.resumed) await this.pgDump.abandon(ctx, rec);
      else await this.pgDump.execute(ctx, rec);
    } catch (e) {
      if (e instanceof EngineStoppedError) throw e;
      // An error outside the steps (a target removed from config): end the record too.
      const error = messageOf(e);
      await this.run.fail(
        ctx,
        { of: 'backup', failedStep: rec.step, error },
        false,
      );
    }
    return backupOutcome(await this.store.get(rec.id));
  }

  /**
   * At plugin start: refuses (throws) a drill connection whose role is more than CREATEDB,
   * then sweeps drill databases a crash left (see RestoreDrills.checkConnection).
   */
  start(): Promise<void> {
    return this.drills.checkConnection();
  }

  /** Drops the drill databases a crashed backend left; returns their names. */
  sweepDrillDatabases(): Promise<string[]> {
    return this.drills.sweep();
  }

  target(name: string): BackupTarget {
    return this.run.target(name);
  }

  /**
   * Submits a pg_dump backup (ConflictError if a backup of the target is running on any
   * replica); `done` resolves with the final record (verified or failed), never rejects.
   */
  startBackup(
    req: Parameters<PgDumpBackups['start']>[0],
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    return this.pgDump.start(req);
  }

  /**
   * Where an in-cluster backup would run: the environment and its backup CronJob, checked as
   * a deploy's workloads are (NotAllowedError / ConflictError when it is not the entity's).
   */
  planInCluster(req: Parameters<InClusterJobBackups['plan']>[0]) {
    return this.inCluster.plan(req);
  }

  /**
   * Submits an in-cluster backup: a manual Job from the entity's backup CronJob. None is a
   * NotFoundError before anything is recorded.
   */
  startInCluster(
    req: Parameters<InClusterJobBackups['start']>[0],
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    return this.inCluster.start(req);
  }

  /**
   * Submits the verification of a backup the chart's CronJob wrote (ConflictError if a backup
   * of the target is running); `done` resolves with the final record, never rejects.
   */
  startCronJobVerification(
    req: Parameters<CronJobBackups['start']>[0],
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    return this.cronJob.start(req);
  }

  /** The storage a target's backups are in, and its second one (copyTo). */
  storageOf(target: BackupTarget) {
    return this.run.storageOf(target);
  }

  /** Deletes the verified backups the target's retention no longer keeps; returns their ids. */
  applyRetention(target: BackupTarget): Promise<string[]> {
    return this.pgDump.applyRetention(target);
  }

  /** The backup a drill would restore (given or the newest verified); checks drills are configured. */
  drillBackup(target: BackupTarget, backupId?: string): Promise<BackupRecord> {
    return this.drills.backupOf(target, backupId);
  }

  /**
   * Submits a drill of a verified backup (the newest one unless `backupId` is given);
   * ConflictError if a drill of the target is running. `done` resolves with the final
   * record, never rejects.
   */
  startDrill(
    req: Parameters<RestoreDrills['start']>[0],
  ): Promise<{ record: DrillRecord; done: Promise<DrillRecord> }> {
    return this.drills.start(req);
  }
}
