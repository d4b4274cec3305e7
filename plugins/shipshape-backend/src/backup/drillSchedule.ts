import {
  AuthService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  evaluateDrReadiness,
  SHIPSHAPE_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import { ACTIVE_STATUSES } from '../operations/store';
import { targetOfEntity } from './config';
import { scheduleGlobalTask } from '../schedule';
import type { BackupService } from './service';

/** Who a scheduled drill is recorded as requested by. */
export const SCHEDULED_DRILL_REQUESTER = 'shipshape:restore-drill-schedule';

/** The config key of the task's schedule (frequency, timeout, initialDelay). */
export const DRILL_SCHEDULE_KEY = 'shipshape.backup.drill.schedule';

export const DEFAULT_DRILL_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { hours: 1 },
  timeout: { hours: 2 },
  initialDelay: { minutes: 5 },
};

export interface DrillScheduleDeps {
  catalog: CatalogService;
  auth: AuthService;
  service: BackupService;
  knex: Knex;
  logger: LoggerService;
  /**
   * Grades the entity after its drill and records the grade (plugin.ts passes its DR
   * ReadinessService; backup/ does not depend on readiness/).
   */
  readiness: {
    grade(entity: Entity, entityRef: string): Promise<{ status: string }>;
  };
}

/** What one pass did for one entity. */
export interface ScheduledDrill {
  entityRef: string;
  target?: string;
  outcome: 'started' | 'not-due' | 'skipped';
  /** Why it was skipped, or when the next drill is due. */
  reason?: string;
  drillId?: string;
  /** started: the drill's end status (its operation's: succeeded or failed). */
  status?: string;
}

const ageOf = (iso: string, now: number) =>
  Math.round((now - Date.parse(iso)) / 1000);

/**
 * One pass of the drill schedule: for each catalog entity naming a backup target, starts a
 * restore drill of the target's newest verified backup when the target's last drill started
 * longer ago than the entity's restore-drill interval (declared, else its tier's default);
 * skips, with the reason logged, a target whose drill is running (on any replica: the engine
 * allows one drill per target), that is not configured or not allowed for the entity, or that
 * has no verified backup. Waits for the drills it started and grades each entity afterwards,
 * as reading its DR card does.
 */
export async function runDueDrills(
  deps: DrillScheduleDeps,
  now = new Date(),
): Promise<ScheduledDrill[]> {
  const { service, logger, readiness } = deps;
  const credentials = await deps.auth.getOwnServiceCredentials();
  const { items } = await deps.catalog.getEntities(
    {
      filter: {
        [`metadata.annotations.${SHIPSHAPE_ANNOTATIONS.backupTarget.name}`]:
          CATALOG_FILTER_EXISTS,
      },
    },
    { credentials },
  );
  const results: ScheduledDrill[] = [];
  const started: Array<{
    entity: Entity;
    result: ScheduledDrill;
    done: Promise<{ status: string }>;
  }> = [];
  for (const entity of items) {
    const entityRef = stringifyEntityRef(entity);
    const result: ScheduledDrill = { entityRef, outcome: 'skipped' };
    results.push(result);
    const skip = (reason: string) => {
      result.reason = reason;
      logger.info(`Scheduled restore drill of ${entityRef} skipped: ${reason}`);
    };
    try {
      const target = targetOfEntity(
        service.config,
        entityRef,
        entity.metadata.annotations,
      );
      result.target = target.name;
      const interval = evaluateDrReadiness({ entity }).drillIntervalSeconds;
      if (!interval) {
        skip(
          `no restore-drill interval: declare ${SHIPSHAPE_ANNOTATIONS.restoreDrillInterval.name} or ${SHIPSHAPE_ANNOTATIONS.tier.name}`,
        );
        continue;
      }
      const [last] = await service.store.drills(target.name, 1);
      if (last && ACTIVE_STATUSES.includes(last.status)) {
        skip(
          `restore drill ${last.id} of ${target.name} is running (started ${last.startedAt})`,
        );
        continue;
      }
      if (last && ageOf(last.startedAt, now.getTime()) < interval) {
        result.outcome = 'not-due';
        result.reason = `last drill ${last.startedAt}, interval ${interval}s`;
        continue;
      }
      const { record, done } = await service.startDrill({
        target,
        entityRef,
        requestedBy: SCHEDULED_DRILL_REQUESTER,
      });
      result.outcome = 'started';
      result.drillId = record.id;
      logger.info(
        `Scheduled restore drill ${record.id} of ${entityRef} (${
          target.name
        }) started: ${
          last ? `the last one started ${last.startedAt}` : 'never drilled'
        }, interval ${interval}s`,
      );
      started.push({ entity, result, done });
    } catch (e) {
      // ConflictError: another replica's drill of the target started in between
      skip((e as Error).message);
    }
  }
  for (const { entity, result, done } of started) {
    const drill = await done;
    result.status = drill.status;
    try {
      const report = await readiness.grade(entity, result.entityRef);
      logger.info(
        `Scheduled restore drill ${result.drillId} of ${result.entityRef} ${drill.status}; DR readiness ${report.status}`,
      );
    } catch (e) {
      logger.warn(
        `Grading ${result.entityRef} after restore drill ${
          result.drillId
        } failed: ${(e as Error).message}`,
      );
    }
  }
  return results;
}

/**
 * Runs `runDueDrills` on the plugin's scheduler (`shipshape.backup.drill.schedule`, default
 * hourly): a global task, so one replica runs each pass, and the engine's one-drill-per-target
 * rule holds across replicas on PostgreSQL. Nothing is scheduled without a drill connection.
 */
export async function scheduleRestoreDrills(
  deps: DrillScheduleDeps & {
    scheduler: SchedulerService;
    /** plugin.ts reads it from `shipshape.backup.drill.schedule`. */
    schedule: SchedulerServiceTaskScheduleDefinition;
  },
): Promise<void> {
  if (!deps.service.config.drillConnection) return;
  await scheduleGlobalTask({
    scheduler: deps.scheduler,
    id: 'shipshape-restore-drills',
    schedule: deps.schedule,
    fn: async () => {
      await runDueDrills(deps);
    },
  });
}

/**
 * The backup feature's background work, started once by the plugin: refuses a drill connection
 * that is more than CREATEDB (throws) and sweeps drill databases a crash left (service.start),
 * then sweeps on schedule and runs due restore drills.
 */
export async function startBackupTasks(
  deps: DrillScheduleDeps & {
    scheduler: SchedulerService;
    schedule: SchedulerServiceTaskScheduleDefinition;
  },
): Promise<void> {
  const { service, scheduler, logger } = deps;
  await service.start();
  if (service.config.drillConnection) {
    const frequency = { minutes: service.config.drillSweepMinutes };
    await scheduler.scheduleTask({
      id: 'shipshape-backup-drill-sweep',
      frequency,
      initialDelay: frequency,
      timeout: { minutes: 10 },
      fn: async () => {
        await service.sweepDrillDatabases();
      },
    });
  }
  scheduleRestoreDrills(deps).catch(e =>
    logger.error(`Scheduling restore drills failed: ${e}`),
  );
}
