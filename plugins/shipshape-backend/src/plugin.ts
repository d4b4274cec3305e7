import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  parseShipshapePolicy,
  shipshapeBackupPermission,
  shipshapePermissions,
} from '@shipshape/plugin-shipshape-common';
import { assertSupportedBackstage } from './backstageVersion';
import { createBackupRouter } from './backup/router';
import {
  BackupConfig,
  readBackupConfig,
  runDefaults,
  unsetEnvironment,
} from './backup/config';
import {
  DEFAULT_DISCOVERY_SCHEDULE,
  DISCOVERY_SCHEDULE_KEY,
  scheduleCronJobDiscovery,
} from './backup/cronJobDiscovery';
import {
  DEFAULT_DRILL_SCHEDULE,
  DRILL_SCHEDULE_KEY,
  startBackupTasks,
} from './backup/drillSchedule';
import { BACKUP_KIND, BackupService, DRILL_KIND } from './backup/service';
import { connectDatabase } from './database';
import { KubernetesClusters } from './kubernetes/clusters';
import { WorkloadOwnership } from './kubernetes/placement';
import { createLocalReposRouter } from './localRepos/router';
import {
  LOCAL_PUBLISH_DIRECTORY_KEY,
  LocalReposService,
} from './localRepos/service';
import { GradeNotifier } from './notify/grades';
import { OperationNotifier } from './notify/service';
import { locationRedactor, redactOperation } from './backup/redact';
import { OperationEngine } from './operations/engine';
import { createOperationsRouter } from './operations/router';
import { operationsSettings } from './operations/settings';
import { OperationStore } from './operations/store';
import { ClusterCostReader, readUnitPrices } from './ownership/cost';
import { createOwnershipRouter } from './ownership/router';
import { OwnershipService } from './ownership/service';
import { createPolicyRouter } from './policy/router';
import { DrOverviewService } from './readiness/overview';
import { createReadinessRouter } from './readiness/router';
import {
  DEFAULT_GRADE_SCHEDULE,
  GRADE_SCHEDULE_KEY,
  ReadinessService,
} from './readiness/service';
import {
  ArgoActionHandler,
  DeployHandler,
  RollbackHandler,
} from './rollout/handlers';
import { createRolloutRouter } from './rollout/router';
import { RolloutService } from './rollout/service';
import { rolloutTimings } from './rollout/settings';
import { createRouter } from './router';
import { readSchedule } from './schedule';
import { readSloConfig } from './slo/config';
import { createSloRouter } from './slo/router';
import { SloService } from './slo/service';
import { SloFileReader } from './slo/source';
import { SignalPublisher } from './signals/publisher';
import {
  WorkloadSignals,
  statusFromWatchesEnabled,
  watchWorkloadsEnabled,
} from './signals/workloadSignals';
import { WorkloadCache } from './kubernetes/cache';

/**
 * The Shipshape backend plugin: the REST API behind the entity cards and the one operations
 * engine that both the cards' buttons and the scaffolder actions call.
 *
 * This is the one place the plugin is wired: config is read once (a wrong value stops the
 * backend here, naming its key), every service is built once, the engine's handlers are
 * registered here, and each router only parses, authorizes, calls a service and answers.
 *
 * @public
 */
export const shipshapePlugin = createBackendPlugin({
  pluginId: 'shipshape',
  register(env) {
    assertSupportedBackstage();
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        database: coreServices.database,
        permissionsRegistry: coreServices.permissionsRegistry,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auditor: coreServices.auditor,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
        urlReader: coreServices.urlReader,
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        scheduler: coreServices.scheduler,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const { config, logger, httpAuth, permissions, catalog, auth } = deps;
        const { notifications, scheduler, lifecycle, signals } = deps;
        deps.permissionsRegistry.addPermissions(shipshapePermissions);
        const knex = await connectDatabase(deps.database);

        // Configuration, each part read once.
        const clusters = KubernetesClusters.fromConfig(config);
        const policy = parseShipshapePolicy(
          config.getOptional('shipshape.policy'),
        );
        const timings = rolloutTimings(config);
        const backupConfig: BackupConfig = readBackupConfig(config) ?? {
          targets: new Map(),
          ...runDefaults(),
        };
        const schedules = {
          grades: readSchedule(
            config,
            GRADE_SCHEDULE_KEY,
            DEFAULT_GRADE_SCHEDULE,
          ),
          // read only when the task runs at all: drills need a drill connection, discovery targets
          drills: backupConfig.drillConnection
            ? readSchedule(config, DRILL_SCHEDULE_KEY, DEFAULT_DRILL_SCHEDULE)
            : DEFAULT_DRILL_SCHEDULE,
          discovery: backupConfig.targets.size
            ? readSchedule(
                config,
                DISCOVERY_SCHEDULE_KEY,
                DEFAULT_DISCOVERY_SCHEDULE,
              )
            : DEFAULT_DISCOVERY_SCHEDULE,
        };
        const localReposDirectory = config.getOptionalString(
          LOCAL_PUBLISH_DIRECTORY_KEY,
        );
        const notificationsEnabled =
          config.getOptionalBoolean('shipshape.notifications.enabled') !==
          false;
        // A missing password or S3 key is a configuration error: said at start, not per request.
        unsetEnvironment(backupConfig).forEach(line => logger.error(line));
        // ... and so is an environment on a cluster that is not configured, or a missing
        // operator token (an environment without one is read-only: a warning).
        clusters.startupErrors().forEach(line => logger.error(line));
        clusters.startupWarnings().forEach(line => logger.warn(line));

        // The one operations engine: deploy, rollback, backup and restore drill run on it.
        const store = OperationStore.create(knex);
        const engine = OperationEngine.create({
          store,
          logger,
          auditor: deps.auditor,
          ...operationsSettings(config),
        });
        engine.register('deploy', new DeployHandler(clusters, timings));
        engine.register('rollback', new RollbackHandler(clusters, timings));
        for (const action of ['pause', 'promote', 'abort', 'retry'] as const) {
          engine.register(action, new ArgoActionHandler(clusters, action));
        }
        // Who may act on a workload: deploys, rollbacks and in-cluster backups check the same.
        const workloadOwnership = WorkloadOwnership.create({ catalog, auth });
        const backups = BackupService.create({
          config: backupConfig,
          knex,
          logger,
          engine,
          clusters,
          ownership: workloadOwnership,
          catalog,
          auth,
        }).registerOperations(); // the backup and restore-drill handlers
        // Owners hear of failed operations (and of the recovery): docs/operations.md.
        // Notifications name no host, bucket or path of the backup config.
        const redactLocations = locationRedactor(backupConfig);
        const notifier = notificationsEnabled
          ? OperationNotifier.create({
              notifications,
              catalog,
              auth,
              logger,
              store,
              redact: redactLocations,
            })
          : undefined;
        if (notifier) engine.onFinished(op => notifier.operationFinished(op));
        lifecycle.addStartupHook(() => engine.start());
        lifecycle.addShutdownHook(() => engine.stop());
        const readiness = ReadinessService.create({
          catalog,
          auth,
          logger,
          knex,
          backups,
          clusters,
        });
        // ... and of RPO breaches and dropped DR grades, and their recovery.
        if (notifier) {
          const grades = GradeNotifier.create({
            notifications,
            catalog,
            auth,
            logger,
            grades: readiness.grades,
            redact: redactLocations,
          });
          readiness.grades.onRecorded(g => void grades.gradeRecorded(g));
        }
        // Open entity pages hear of every change at once (docs/cards.md, "Live updates").
        const publisher = SignalPublisher.create({
          signals,
          logger,
          operations: store,
          backups: backups.store,
          grades: readiness.grades.changes,
        });
        // ... and of changes made in the clusters, by anyone (shipshape.kubernetes.watchWorkloads);
        // the same watches serve the rollout status (docs/cards.md, "Served from the watches").
        let workloadCache: WorkloadCache | undefined;
        if (watchWorkloadsEnabled(config)) {
          const cache = WorkloadCache.create({ clusters, logger });
          const workloadSignals = WorkloadSignals.create({
            catalog,
            auth,
            logger,
            clusters,
            changed: ref => publisher.workloadChanged(ref),
          });
          cache.onChange(workloadSignals.workloadChanged);
          lifecycle.addStartupHook(() => cache.start());
          lifecycle.addShutdownHook(() => cache.stop());
          if (statusFromWatchesEnabled(config)) workloadCache = cache;
        }
        // Grades are recorded on schedule and after each backup and drill, never by a read.
        engine.onFinished(async op => {
          if (op.kind === BACKUP_KIND || op.kind === DRILL_KIND) {
            await readiness.gradeByRef(op.entityRef);
          }
        });
        await startBackupTasks({
          catalog,
          auth,
          logger,
          scheduler,
          knex,
          service: backups,
          readiness,
          schedule: schedules.drills,
        });
        await readiness.schedule(scheduler, schedules.grades);
        // the chart CronJobs' backups, found in the targets' storage and verified
        await scheduleCronJobDiscovery({
          catalog,
          auth,
          logger,
          scheduler,
          service: backups,
          schedule: schedules.discovery,
        });

        const ownership = OwnershipService.create({
          catalog,
          auth,
          // The same policy the catalog module applies (app-config shipshape.policy).
          policy,
          cost: ClusterCostReader.create({
            clusters,
            logger,
            prices: readUnitPrices(config), // shipshape.cost
          }),
        });
        const sloConfig = readSloConfig(config);
        const slo = SloService.create({
          config: sloConfig,
          files: new SloFileReader(deps.urlReader, sloConfig.fileCacheTtlMs, {
            timeoutMs: sloConfig.fileTimeoutMs,
          }),
        });
        const rollouts = RolloutService.create({
          engine,
          clusters,
          ownership: workloadOwnership,
          statusTimeoutMs: timings.statusTimeoutMs,
          helmBinary: timings.helmBinary,
          cache: workloadCache,
        });

        // One router per feature, each over the services it needs.
        deps.httpRouter.use(
          await createRouter([
            createOperationsRouter({
              store,
              httpAuth,
              catalog,
              permissions,
              restricted: {
                [BACKUP_KIND]: {
                  permission: shipshapeBackupPermission,
                  redact: redactOperation,
                },
                [DRILL_KIND]: {
                  permission: shipshapeBackupPermission,
                  redact: redactOperation,
                },
              },
            }),
            createRolloutRouter({
              rollouts,
              httpAuth,
              permissions,
              catalog,
              logger,
              userInfo: deps.userInfo,
              auditor: deps.auditor,
            }),
            createSloRouter({
              logger,
              httpAuth,
              catalog,
              service: slo,
            }),
            createOwnershipRouter({ ownership, httpAuth }),
            createBackupRouter({
              httpAuth,
              permissions,
              catalog,
              logger,
              userInfo: deps.userInfo,
              auditor: deps.auditor,
              service: backups,
            }),
            createReadinessRouter({
              httpAuth,
              catalog,
              readiness,
              // the fleet's DR overview reads the recorded grades, backups and drills
              overview: DrOverviewService.create({
                knex,
                backup: backupConfig,
                catalog,
              }),
            }),
            createLocalReposRouter({
              service: localReposDirectory
                ? LocalReposService.create({ directory: localReposDirectory })
                : undefined,
              logger,
              httpRouter: deps.httpRouter,
            }),
            createPolicyRouter({ policy, httpAuth }),
          ]),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
