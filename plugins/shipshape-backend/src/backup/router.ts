import {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ECOSYSTEM_ANNOTATIONS,
  evaluateDrReadiness,
  shipshapeBackupPermission,
} from '@shipshape/plugin-shipshape-common';
import express from 'express';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import { z } from 'zod';
import { Config } from '@backstage/config';
import { entityOfRequest } from '../entityOfRequest';
import { KubernetesClusters } from '../kubernetes/clusters';
import { OperationEngine } from '../operations/engine';
import { longPoll, waitSeconds } from '../operations/longPoll';
import { parseBody } from '../rollout/router';
import { readBackupConfig, runDefaults, targetOfEntity } from './config';
import { readClusterFacts, recordGrade, secondCopyFact } from './readiness';
import { BackupService } from './service';

export interface BackupRouterDeps {
  knex: Knex;
  config: Config;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The plugin's operations engine: backups and drills run on it. */
  engine: OperationEngine;
  /** Built from config when not given (tests pass their own). */
  service?: BackupService;
  /** For in-cluster backups; built from config when not given. */
  clusters?: KubernetesClusters;
}

const backupBody = z
  .object({
    reason: z.string().max(500).optional(),
    /** pg_dump (default): the backend dumps; in-cluster: a Job from the chart's CronJob. */
    method: z.enum(['pg_dump', 'in-cluster']).optional(),
    /** in-cluster: the environment (shipshape.environments) whose CronJob runs. */
    environment: z.string().min(1).max(100).optional(),
    /** Check everything (entity, target, permission, CronJob), change nothing. */
    dryRun: z.boolean().optional(),
  })
  .strict();
const drillBody = z
  .object({
    backupId: z.string().uuid().optional(),
    dryRun: z.boolean().optional(),
  })
  .strict();

/**
 * Backups and restore drills of the database an entity names in its backup-target
 * annotation: `POST /entities/:kind/:namespace/:name/backups` (body `method: in-cluster`,
 * `environment`: a Job from the service's backup CronJob instead), `POST .../restore-drills`
 * (both need shipshape.operation.backup on the entity, answer 202 with the running record),
 * `GET .../backups` (history, each backup with its drills), `GET .../backups/:id`,
 * `GET .../restore-drills/:id` (both with `?wait=s`: a long poll until the record changes).
 */
export function createBackupRouter(deps: BackupRouterDeps): express.Router {
  const { httpAuth, permissions, catalog } = deps;
  const clusters = deps.clusters ?? KubernetesClusters.fromConfig(deps.config);
  const service =
    deps.service ??
    new BackupService(
      readBackupConfig(deps.config) ?? {
        targets: new Map(),
        ...runDefaults(),
      },
      deps.knex,
      deps.logger,
      deps.engine,
      clusters,
    );
  const router = Router();

  async function entityOf(
    req: express.Request,
    credentials: BackstageCredentials,
  ) {
    const { entity, entityRef } = await entityOfRequest(
      catalog,
      req,
      credentials,
    );
    const target = targetOfEntity(
      service.config,
      entityRef,
      entity.metadata.annotations,
    );
    return { entityRef, target, entity };
  }

  async function authorizeBackup(
    credentials: BackstageCredentials,
    entityRef: string,
    what: string,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission: shipshapeBackupPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not ${what} ${entityRef} (permission ${shipshapeBackupPermission.name})`,
      );
    }
  }

  router.post('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const body = parseBody(backupBody, req.body);
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { entityRef, target, entity } = await entityOf(req, credentials);
    await authorizeBackup(credentials, entityRef, 'back up');
    if (body.method === 'in-cluster') {
      const kubernetesId =
        entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
      if (!kubernetesId) {
        throw new InputError(
          `${entityRef} has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation, so its backup CronJob cannot be found`,
        );
      }
      if (!body.environment) {
        throw new InputError(
          'An in-cluster backup needs environment (one of shipshape.environments)',
        );
      }
      if (body.dryRun) {
        const { env, cron } = await service.planInCluster({
          kubernetesId,
          environment: body.environment,
        });
        res.json({
          dryRun: true,
          method: 'in-cluster',
          target: target.name,
          environment: env.name,
          cluster: env.cluster,
          namespace: env.namespace,
          cronJob: cron.metadata?.name,
        });
        return;
      }
      const { record } = await service.startInCluster({
        target,
        entityRef,
        kubernetesId,
        environment: body.environment,
        requestedBy: credentials.principal.userEntityRef,
        reason: body.reason,
      });
      res.status(202).json(record);
      return;
    }
    if (body.environment) {
      throw new InputError(
        'environment applies only to method in-cluster (pg_dump backups use the target from app-config)',
      );
    }
    if (body.dryRun) {
      res.json({
        dryRun: true,
        method: 'pg_dump',
        target: target.name,
        storage: target.storage.type,
      });
      return;
    }
    const { record } = await service.startBackup({
      target,
      entityRef,
      requestedBy: credentials.principal.userEntityRef,
      reason: body.reason,
    });
    res.status(202).json(record);
  });

  router.post(
    '/entities/:kind/:namespace/:name/restore-drills',
    async (req, res) => {
      const body = parseBody(drillBody, req.body);
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { entityRef, target } = await entityOf(req, credentials);
      await authorizeBackup(credentials, entityRef, 'run a restore drill of');
      if (body.dryRun) {
        const backup = await service.drillBackup(target, body.backupId);
        res.json({ dryRun: true, target: target.name, backupId: backup.id });
        return;
      }
      const { record } = await service.startDrill({
        target,
        entityRef,
        requestedBy: credentials.principal.userEntityRef,
        backupId: body.backupId,
      });
      res.status(202).json(record);
    },
  );

  router.get('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { target } = await entityOf(req, credentials);
    const [backups, drills] = await Promise.all([
      service.store.list(target.name),
      service.store.drills(target.name),
    ]);
    res.json({
      target: target.name,
      storage: target.storage.type,
      retention: target.retention,
      items: backups.map(b => ({
        ...b,
        drills: drills.filter(d => d.backupId === b.id),
      })),
    });
  });

  /**
   * One backup or drill record of the entity's target; with `?wait=s` a long poll, answered
   * when the running record's step or status changes (or after s seconds).
   */
  async function readRecord<
    R extends { id: string; target: string; status: string; step?: string },
  >(
    req: express.Request,
    res: express.Response,
    what: string,
    read: (id: string) => Promise<R>,
  ): Promise<R | undefined> {
    const waitMs = waitSeconds(req) * 1000;
    const credentials = await httpAuth.credentials(req);
    const { target } = await entityOf(req, credentials);
    const first = await read(req.params.id);
    if (first.target !== target.name) {
      throw new NotFoundError(
        `No ${what} '${req.params.id}' of ${target.name}`,
      );
    }
    return longPoll({
      notifier: service.store.changes,
      id: first.id,
      waitMs,
      recheckMs: 1000,
      res,
      read: () => read(first.id),
      ready: r => r.status !== 'running' || r.step !== first.step,
    });
  }

  router.get(
    '/entities/:kind/:namespace/:name/backups/:id',
    async (req, res) => {
      const b = await readRecord(req, res, 'backup', id =>
        service.store.get(id),
      );
      if (!b) return; // the caller went away
      const drills = (await service.store.drills(b.target)).filter(
        d => d.backupId === b.id,
      );
      res.json({ ...b, drills });
    },
  );

  router.get(
    '/entities/:kind/:namespace/:name/restore-drills/:id',
    async (req, res) => {
      const d = await readRecord(req, res, 'restore drill', id =>
        service.store.getDrill(id),
      );
      if (d) res.json(d);
    },
  );

  // DR readiness (rules in shipshape-common readiness.ts) from the backup history and the
  // cluster of ?environment= (default production); records the grade when it changes.
  router.get(
    '/entities/:kind/:namespace/:name/dr-readiness',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const { entity, entityRef } = await entityOfRequest(
        catalog,
        req,
        credentials,
      );
      const environment = String(req.query.environment ?? 'production');
      const annotations = entity.metadata.annotations;
      let target;
      try {
        target = targetOfEntity(service.config, entityRef, annotations);
      } catch {
        target = undefined; // the backup-target check says why
      }
      const [backups, drills, cluster] = await Promise.all([
        target ? service.store.list(target.name) : [],
        target ? service.store.drills(target.name) : [],
        readClusterFacts(
          clusters,
          environment,
          annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId],
        ),
      ]);
      const lastDrill = [...drills].sort((a, b) =>
        b.startedAt.localeCompare(a.startedAt),
      )[0];
      const readiness = evaluateDrReadiness({
        entity,
        lastVerifiedBackupAt: backups.find(b => b.status === 'verified')
          ?.startedAt,
        lastDrill: lastDrill && {
          startedAt: lastDrill.startedAt,
          status: lastDrill.status,
          restoreMs: lastDrill.restoreMs,
        },
        cluster,
        secondCopy: await secondCopyFact(deps.knex, backups),
      });
      const history = await recordGrade(
        deps.knex,
        entityRef,
        environment,
        readiness,
      );
      res.json({
        entityRef,
        environment,
        target: target && { name: target.name, storage: target.storage.type },
        ...readiness,
        ...history,
      });
    },
  );

  return router;
}
