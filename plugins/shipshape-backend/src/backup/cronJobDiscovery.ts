import {
  AuthService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  CRONJOB_BACKUP_LAYOUT,
  parseCronJobBackupKey,
  SHIPSHAPE_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';
import { BackupTarget, targetOfEntity } from './config';
import { BackupStorage, StoredObject } from './storage';
import { retried } from './runs/cronJob';
import { isVerified } from './store';
import { scheduleGlobalTask } from '../schedule';
import type { BackupService } from './service';

/** Who a found backup's verification is recorded as requested by. */
export const CRONJOB_DISCOVERY_REQUESTER = 'shipshape:cronjob-backup-discovery';

/** The config key of the discovery task's schedule (frequency, timeout, initialDelay). */
export const DISCOVERY_SCHEDULE_KEY = 'shipshape.backup.discovery.schedule';

export const DEFAULT_DISCOVERY_SCHEDULE: SchedulerServiceTaskScheduleDefinition =
  {
    frequency: { minutes: 5 },
    timeout: { minutes: 30 },
    initialDelay: { minutes: 1 },
  };

export interface CronJobDiscoveryDeps {
  catalog: CatalogService;
  auth: AuthService;
  service: BackupService;
  logger: LoggerService;
}

/** What one pass did with one object (a manifest) it found. */
export interface FoundCronJobBackup {
  /** Where it is: the storage's description of the key. */
  location: string;
  target?: string;
  outcome: 'verified' | 'failed' | 'ignored' | 'skipped' | 'known';
  /** Why it was ignored, skipped or failed. */
  reason?: string;
  backupId?: string;
}

/** One storage location (bucket and prefix, or folder) and the targets that keep backups in it. */
function locationsOf(targets: BackupTarget[], service: BackupService) {
  const byPlace = new Map<
    string,
    { storage: BackupStorage; targets: BackupTarget[] }
  >();
  for (const t of targets) {
    const storage = service.storageOf(t);
    const place = storage.describe('');
    const entry = byPlace.get(place) ?? { storage, targets: [] };
    entry.targets.push(t);
    byPlace.set(place, entry);
  }
  return [...byPlace.values()];
}

/**
 * One discovery pass: lists `cronjob/` (shipshape-common's CRONJOB_BACKUP_LAYOUT) in every
 * configured target's storage and, for each manifest not yet recorded, verifies its dump as
 * an operation of the engine (CronJobBackups: one backup run per target, fenced and audited)
 * and waits for it. An object ignored says why: a key outside the layout, a target not in
 * app-config, a target whose storage is elsewhere, no catalog entity that may use the target,
 * no dump beside the manifest. A verification that failed because the store could not be read
 * is tried again by the next pass; one that found the backup wrong is not. A recorded CronJob
 * backup whose dump is gone (the CronJob's retention) is marked deleted.
 */
export async function discoverCronJobBackups(
  deps: CronJobDiscoveryDeps,
): Promise<FoundCronJobBackup[]> {
  const { service, logger } = deps;
  const configured = [...service.config.targets.values()];
  if (!configured.length) return [];
  const entityOf = await entitiesByTarget(deps);
  const results: FoundCronJobBackup[] = [];
  for (const { storage, targets } of locationsOf(configured, service)) {
    let objects: StoredObject[];
    try {
      objects = await storage.list(CRONJOB_BACKUP_LAYOUT.root);
    } catch (e) {
      const reason = `listing ${storage.describe(
        CRONJOB_BACKUP_LAYOUT.root,
      )} failed: ${(e as Error).message}; tried again next pass`;
      logger.warn(`CronJob backup discovery: ${reason}`);
      results.push({
        location: storage.describe(CRONJOB_BACKUP_LAYOUT.root),
        outcome: 'skipped',
        reason,
      });
      continue;
    }
    const keys = new Set(objects.map(o => o.key));
    for (const o of objects) {
      if (!o.key.endsWith(CRONJOB_BACKUP_LAYOUT.manifestSuffix)) continue;
      const result: FoundCronJobBackup = {
        location: storage.describe(o.key),
        outcome: 'ignored',
      };
      const ignore = (reason: string, outcome = result.outcome) => {
        result.outcome = outcome;
        result.reason = reason;
        logger.info(`CronJob backup ${result.location} ${outcome}: ${reason}`);
      };
      results.push(result);
      const key = parseCronJobBackupKey(o.key);
      if (!key.ok) {
        ignore(key.error);
        continue;
      }
      const found = key.value;
      result.target = found.target;
      const target = service.config.targets.get(found.target);
      if (!target) {
        ignore(
          `no backup target '${
            found.target
          }' in app-config shipshape.backup.targets (configured: ${configured
            .map(t => t.name)
            .join(', ')})`,
        );
        continue;
      }
      if (!targets.includes(target)) {
        ignore(
          `backup target ${target.name} keeps its backups in ${service
            .storageOf(target)
            .describe('')}, not here`,
        );
        continue;
      }
      const entityRef = entityOf.get(target.name);
      if (!entityRef) {
        ignore(
          `no catalog entity that ${target.name}'s allowedEntities lists names it in ${SHIPSHAPE_ANNOTATIONS.backupTarget.name}`,
        );
        continue;
      }
      if (!keys.has(found.dumpKey)) {
        ignore(`no dump ${found.dumpKey} beside the manifest`);
        continue;
      }
      const [last] = await service.store.byStorageKey(
        target.name,
        found.dumpKey,
      );
      const retry = last !== undefined && retried(last);
      if (last && !retry) {
        result.outcome = 'known';
        result.backupId = last.id;
        continue;
      }
      try {
        const { record, done } = await service.startCronJobVerification({
          target,
          entityRef,
          requestedBy: CRONJOB_DISCOVERY_REQUESTER,
          reason: `found ${found.dumpKey}${
            retry ? ` (again: ${last!.failedStep} failed in ${last!.id})` : ''
          }`,
          found,
          storedAt: o.modifiedAt,
        });
        result.backupId = record.id;
        const end = await done;
        result.outcome = isVerified(end) ? 'verified' : 'failed';
        if (!isVerified(end)) {
          result.reason = `failed at ${end.failedStep}: ${end.error}`;
        }
      } catch (e) {
        // ConflictError: a backup of the target runs (on some replica); next pass
        ignore(`${(e as Error).message}; tried again next pass`, 'skipped');
      }
    }
    await markGone(service, targets, keys, logger);
  }
  return results;
}

/** Marks verified CronJob backups whose dump is no longer stored (the CronJob's retention) deleted. */
async function markGone(
  service: BackupService,
  targets: BackupTarget[],
  keys: Set<string>,
  logger: LoggerService,
) {
  for (const t of targets) {
    for (const b of await service.store.verified(t.name)) {
      if (b.method !== 'cronjob' || keys.has(b.storageKey)) continue;
      await service.store.markDeleted(b.id);
      logger.info(
        `CronJob backup ${b.id} of ${t.name} marked deleted: ${b.storageKey} is no longer stored`,
      );
    }
  }
}

/** The entity each target serves: the one naming it that its allowedEntities lists. */
async function entitiesByTarget(
  deps: CronJobDiscoveryDeps,
): Promise<Map<string, string>> {
  const credentials = await deps.auth.getOwnServiceCredentials();
  const { items } = await deps.catalog.getEntities(
    {
      filter: {
        [`metadata.annotations.${SHIPSHAPE_ANNOTATIONS.backupTarget.name}`]:
          CATALOG_FILTER_EXISTS,
      },
      fields: ['kind', 'metadata'],
    },
    { credentials },
  );
  const out = new Map<string, string>();
  for (const e of items) {
    const ref = stringifyEntityRef(e);
    try {
      const t = targetOfEntity(
        deps.service.config,
        ref,
        e.metadata.annotations,
      );
      if (!out.has(t.name)) out.set(t.name, ref);
    } catch {
      // names an unknown target or one that does not list it: serves nothing
    }
  }
  return out;
}

/**
 * Runs `discoverCronJobBackups` on the plugin's scheduler (`shipshape.backup.discovery.schedule`,
 * default every 5 minutes): a global task, so one replica runs each pass; the engine's
 * one-backup-per-target rule holds across replicas on PostgreSQL. Nothing is scheduled without
 * targets.
 */
export async function scheduleCronJobDiscovery(
  deps: CronJobDiscoveryDeps & {
    scheduler: SchedulerService;
    /** plugin.ts reads it from `shipshape.backup.discovery.schedule`. */
    schedule: SchedulerServiceTaskScheduleDefinition;
  },
): Promise<void> {
  if (!deps.service.config.targets.size) return;
  await scheduleGlobalTask({
    scheduler: deps.scheduler,
    id: 'shipshape-cronjob-backup-discovery',
    schedule: deps.schedule,
    fn: async () => {
      await discoverCronJobBackups(deps);
    },
  });
}
