import {
  AuthService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import {
  CATALOG_FILTER_EXISTS,
  EntityFilterQuery,
} from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  DrReadiness,
  ECOSYSTEM_ANNOTATIONS,
  SHIPSHAPE_ANNOTATIONS,
  evaluateDrReadiness,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import { BackupTarget, targetOfEntity } from '../backup/config';
import type { BackupService } from '../backup/service';
import { isVerified } from '../backup/store';
import { newestVerifiedCopy } from '../backup/copies';
import { catalogPages } from '../catalogPages';
import { KubernetesClusters } from '../kubernetes/clusters';
import { scheduleGlobalTask } from '../schedule';
import { backupTargetsFact, inClusterFact, readClusterFacts } from './facts';
import { GradeStore } from './grades';
import { DrReadinessReport } from '../schema/openapi/generated/models';

/** The config key of the grading task's schedule (frequency, timeout, initialDelay). */
export const GRADE_SCHEDULE_KEY = 'shipshape.readiness.gradeSchedule';

/** The environment the DR card and the recorded grades are about unless told otherwise. */
export const GRADED_ENVIRONMENT = 'production';

export const DEFAULT_GRADE_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 15 },
  timeout: { minutes: 10 },
  initialDelay: { minutes: 1 },
};

/**
 * The services of DR readiness: the components that name a backup target, a kubernetes-id or
 * a tier. The scheduled pass grades these and the DR overview lists these (one filter, so no
 * service the overview lists is left ungraded).
 */
export const DR_SERVICES_FILTER: EntityFilterQuery = [
  SHIPSHAPE_ANNOTATIONS.backupTarget.name,
  ECOSYSTEM_ANNOTATIONS.kubernetesId,
  SHIPSHAPE_ANNOTATIONS.tier.name,
].map(name => ({
  kind: 'component',
  [`metadata.annotations.${name}`]: CATALOG_FILTER_EXISTS,
}));

/**
 * DR readiness: grades an entity from what the portal checked itself (the configured backup
 * target, the backups and drills it recorded, the cluster of the environment). Reading a grade
 * writes nothing; grades are recorded (when they change) by the scheduled pass, after each
 * backup and restore drill, and after each scheduled drill.
 */
export class ReadinessService {
  /** The recorded grades; `grades.changes` has news of each new grade (signals). */
  readonly grades: GradeStore;

  private constructor(
    private readonly deps: {
      knex: Knex;
      backups: Pick<BackupService, 'config' | 'store'>;
      clusters?: KubernetesClusters;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
  ) {
    this.grades = new GradeStore(deps.knex);
  }

  static create(deps: ReadinessService['deps']): ReadinessService {
    return new ReadinessService(deps);
  }

  /**
   * The entity's readiness in `requested` (default GRADED_ENVIRONMENT) and where it stands
   * against the recorded grades; writes nothing. A named environment must be a configured
   * one (InputError): it is graded and recorded by name.
   */
  async report(
    entity: Entity,
    entityRef: string,
    requested?: string,
  ): Promise<DrReadinessReport> {
    const environment = String(requested ?? GRADED_ENVIRONMENT);
    const known = this.deps.clusters?.environmentNames() ?? [];
    if (requested !== undefined && !known.includes(environment)) {
      const shown = environment.slice(0, 63);
      const configured = known.join(', ') || 'none configured';
      throw new InputError(
        `environment: '${shown}' is not one of shipshape.environments (${configured})`,
      );
    }
    const { readiness, target } = await this.evaluate(
      entity,
      entityRef,
      environment,
    );
    const { isRecorded: _, ...history } = await this.grades.history(
      entityRef,
      environment,
      readiness,
    );
    return { entityRef, environment, target, ...readiness, ...history };
  }

  /** Grades the entity and records the grade when it changed. */
  async grade(
    entity: Entity,
    entityRef: string,
    environment = GRADED_ENVIRONMENT,
  ): Promise<DrReadinessReport> {
    const { readiness, target } = await this.evaluate(
      entity,
      entityRef,
      environment,
    );
    const history = await this.grades.record(entityRef, environment, readiness);
    return { entityRef, environment, target, ...readiness, ...history };
  }

  /** Grades the entity of `entityRef` (read with the plugin's own credentials); never throws. */
  async gradeByRef(entityRef: string): Promise<void> {
    try {
      const credentials = await this.deps.auth.getOwnServiceCredentials();
      const entity = await this.deps.catalog.getEntityByRef(entityRef, {
        credentials,
      });
      if (entity) await this.grade(entity, entityRef);
    } catch (e) {
      this.deps.logger.warn(`Grading ${entityRef} failed: ${e}`);
    }
  }

  /**
   * One scheduled pass: grades every DR service (DR_SERVICES_FILTER) in the production
   * environment, one at a time, reading the catalog a page at a time (`catalogPages`), so it
   * holds one page, not the fleet; returns how many were graded. No count bound: one would
   * leave the services past it never graded; the scheduler's timeout bounds the pass (it aborts
   * `signal`, and the pass stops before the next entity).
   */
  async gradeAll(signal?: AbortSignal): Promise<number> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    let graded = 0;
    for await (const page of catalogPages(
      this.deps.catalog,
      { filter: DR_SERVICES_FILTER },
      credentials,
    )) {
      for (const entity of page) {
        if (signal?.aborted) {
          this.deps.logger.warn(
            `The DR grading pass stopped at its timeout after ${graded} entities`,
          );
          return graded;
        }
        const entityRef = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
        try {
          await this.grade(entity, entityRef);
          graded++;
        } catch (e) {
          this.deps.logger.warn(`Grading ${entityRef} failed: ${e}`);
        }
      }
    }
    return graded;
  }

  /**
   * Runs `gradeAll` on the scheduler, on `schedule` (plugin.ts reads it from
   * `shipshape.readiness.gradeSchedule`, default DEFAULT_GRADE_SCHEDULE: 15 min).
   */
  async schedule(
    scheduler: SchedulerService,
    schedule: SchedulerServiceTaskScheduleDefinition,
  ): Promise<void> {
    await scheduleGlobalTask({
      scheduler,
      id: 'shipshape-dr-grades',
      schedule,
      fn: async signal => {
        const graded = await this.gradeAll(signal);
        this.deps.logger.debug(`Recorded DR grades of ${graded} entities`);
      },
    });
  }

  private async evaluate(
    entity: Entity,
    entityRef: string,
    environment: string,
  ): Promise<{
    readiness: DrReadiness;
    target?: { name: string; storage: string };
  }> {
    const { backups: service, knex, clusters } = this.deps;
    const annotations = entity.metadata.annotations;
    let target: BackupTarget | undefined;
    let refused: string | undefined;
    try {
      target = targetOfEntity(service.config, entityRef, annotations);
    } catch (e) {
      // a missing, malformed or unknown name: the backup-target check says why from the names;
      // a configured target the entity may not use: say what refused it
      if ((e as Error).name === 'NotAllowedError') {
        refused = (e as Error).message;
      }
    }
    const [backups, drills, cluster] = await Promise.all([
      target ? service.store.list(target.name) : [],
      target ? service.store.drills(target.name) : [],
      readClusterFacts(clusters, environment, entity),
    ]);
    const lastDrill = [...drills].sort((a, b) =>
      b.startedAt.localeCompare(a.startedAt),
    )[0];
    const readiness = evaluateDrReadiness({
      entity,
      backupTargets: backupTargetsFact(service.config, target, refused),
      lastVerifiedBackupAt: backups.find(isVerified)?.startedAt,
      lastInClusterBackup: inClusterFact(backups),
      lastDrill: lastDrill && {
        startedAt: lastDrill.startedAt,
        status: lastDrill.status,
        restoreMs: lastDrill.restoreMs,
      },
      cluster,
      secondCopy: await newestVerifiedCopy(knex, backups).then(
        copy => copy && { location: copy.location },
      ),
    });
    return {
      readiness,
      target: target && { name: target.name, storage: target.storage.type },
    };
  }
}
