import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { shipshapeBackupPermission } from '@shipshape/plugin-shipshape-common';
import express from 'express';
import { auditDryRun, isAllowed, requirePermissions } from '../http/authorize';
import { AuditRequest, withAuditRequest } from '../http/auditRequest';
import { entityOfRequest } from '../http/entityOfRequest';
import { longPoll } from '../http/longPoll';
import { createFeatureRouter } from '../schema/router';
import { BackupTarget, targetOfEntity } from './config';
import {
  CreateEntityBackupRequest,
  CreateEntityRestoreDrillRequest,
} from '../schema/openapi/generated/models';
import { BackupService } from './service';

export interface BackupRouterDeps {
  service: BackupService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** Where a refused backup or drill is logged (http/authorize.ts) and whose ownership it names. */
  logger: LoggerService;
  userInfo: UserInfoService;
  /** Refusals and dry runs are audit events; so is every backup and drill (the engine's). */
  auditor: AuditorService;
}

/**
 * Backups and restore drills of the database an entity names in its backup-target
 * annotation, if the target's allowedEntities (app-config) lists the entity:
 * `POST /entities/:kind/:namespace/:name/backups` (body `method: in-cluster`,
 * `environment`: a Job from the service's backup CronJob instead), `POST .../restore-drills`
 * (both need shipshape.operation.backup on the entity and no other entity claiming the
 * target or workload, answer 202 with the running record), `GET .../backups` (history, each
 * backup with its drills), `GET .../backups/:id`, `GET .../restore-drills/:id` (both with
 * `?wait=s`: a long poll until the record changes), `GET .../backup-age` (the newest verified
 * backup's age over time against the RPO); the reads carry totals only (no table
 * names, hosts, paths or errors) unless the caller may run backups of the entity.

 */
export function createBackupRouter(deps: BackupRouterDeps): express.Router {
  const { httpAuth, permissions, catalog, service, logger, userInfo, auditor } =
    deps;
  const router = createFeatureRouter();

  async function entityOf(
    req: Parameters<typeof entityOfRequest>[1],
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

  const mayRun = (credentials: BackstageCredentials, entityRef: string) =>
    isAllowed(permissions, credentials, entityRef, shipshapeBackupPermission);
  const authorizeBackup = (
    request: AuditRequest,
    credentials: BackstageCredentials,
    entity: Entity,
    what: string,
    environment?: string,
  ) =>
    requirePermissions(
      { permissions, logger, userInfo, auditor },
      credentials,
      entity,
      what,
      [shipshapeBackupPermission],
      { environment, request },
    );

  router.post('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    // Validated against openapi.yaml (the one contract) before it gets here.
    const body: CreateEntityBackupRequest = req.body ?? {};
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { entityRef, target, entity } = await entityOf(req, credentials);
    await authorizeBackup(
      req,
      credentials,
      entity,
      'back up',
      body.environment,
    );
    const answer = await withAuditRequest(req, () =>
      service.requestBackup({
        entity,
        entityRef,
        target,
        requestedBy: credentials.principal.userEntityRef,
        body,
      }),
    );
    if ('plan' in answer) {
      await auditDryRun({ auditor, logger }, req, {
        kind: 'backup',
        entityRef,
        environment: body.environment,
      });
      res.json(answer.plan);
    } else res.status(202).json(answer.record);
  });

  router.post(
    '/entities/:kind/:namespace/:name/restore-drills',
    async (req, res) => {
      const body: CreateEntityRestoreDrillRequest = req.body ?? {};
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { entityRef, target, entity } = await entityOf(req, credentials);
      await authorizeBackup(req, credentials, entity, 'run a restore drill of');
      const answer = await withAuditRequest(req, () =>
        service.requestDrill({
          entityRef,
          target,
          requestedBy: credentials.principal.userEntityRef,
          body,
        }),
      );
      if ('plan' in answer) {
        await auditDryRun({ auditor, logger }, req, {
          kind: 'restore-drill',
          entityRef,
        });
        res.json(answer.plan);
      } else res.status(202).json(answer.record);
    },
  );

  router.get('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { target, entityRef } = await entityOf(req, credentials);
    const full = await mayRun(credentials, entityRef);
    res.json(await service.history(target, full));
  });

  // The DR tab's chart: the newest verified backup's age over time against the RPO (age.ts).
  router.get(
    '/entities/:kind/:namespace/:name/backup-age',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const { target, entity } = await entityOf(req, credentials);
      // 1-30 and 10-500, checked by openapi.yaml
      const { days, points } = req.query;
      res.json(
        await service.ageChart(
          entity,
          target,
          days === undefined ? undefined : Number(days),
          points === undefined ? undefined : Number(points),
        ),
      );
    },
  );

  /**
   * Answers one backup or drill record of the entity's target (`read`: the service's, which
   * is a NotFoundError for another target's); with `?wait=s` a long poll, answered when the
   * running record's step or status changes (or after s seconds).
   */
  async function answerRecord(
    req: express.Request<
      { kind: string; namespace: string; name: string; id: string },
      any,
      unknown,
      { wait?: number }
    >,
    res: express.Response,
    read: (
      target: BackupTarget,
      id: string,
      full: boolean,
    ) => Promise<{ id: string; status: string; step?: string }>,
  ) {
    const credentials = await httpAuth.credentials(req);
    const { target, entityRef } = await entityOf(req, credentials);
    const full = await mayRun(credentials, entityRef);
    const first = await read(target, req.params.id, full);
    const record = await longPoll({
      notifier: service.changes,
      id: first.id,
      waitMs: (req.query.wait ?? 0) * 1000,
      recheckMs: 1000,
      res,
      read: () => read(target, first.id, full),
      ready: r => r.status !== 'running' || r.step !== first.step,
    });
    if (record) res.json(record); // else the caller went away
  }

  router.get('/entities/:kind/:namespace/:name/backups/:id', (req, res) =>
    answerRecord(req, res, (t, id, full) => service.backup(t, id, full)),
  );

  router.get(
    '/entities/:kind/:namespace/:name/restore-drills/:id',
    (req, res) =>
      answerRecord(req, res, (t, id, full) => service.drill(t, id, full)),
  );

  return router;
}
