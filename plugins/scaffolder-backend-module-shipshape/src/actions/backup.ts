import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import {
  ShipshapeActionDeps,
  answer,
  entityPath,
  shipshapeCaller,
  streamOperationLog,
} from './deployClient';

/**
 * POSTs a backup or restore drill as the user who started the task (inside a checkpoint, so
 * a retried task does not start it twice), streams its operation's log into the task log
 * until it has ended, and returns its record.
 */
async function runBackupCall(
  deps: ShipshapeActionDeps,
  ctx: ActionContext<any, any>,
  kind: 'backups' | 'restore-drills',
  entityRef: string,
  body:
    | ShipshapeOpenApi.CreateEntityBackupRequest
    | ShipshapeOpenApi.CreateEntityRestoreDrillRequest,
): Promise<any> {
  const call = await shipshapeCaller(deps, ctx);
  const path = entityPath(entityRef);
  const post = async (extra: { dryRun?: boolean } = {}) => {
    const request = { path, body: { ...body, ...extra } };
    return answer<object>(
      kind === 'backups'
        ? call.api.createEntityBackup(request, await call.options())
        : call.api.createEntityRestoreDrill(request, await call.options()),
    );
  };
  if (ctx.isDryRun) {
    // The backend checks entity, target, permission (and the CronJob); nothing runs.
    const plan = await post({ dryRun: true });
    ctx.logger.info(`Dry run: would start ${kind}: ${JSON.stringify(plan)}`);
    return { ...plan, status: 'dry-run' };
  }
  const started = await ctx.checkpoint({
    key: `shipshape.${kind}.${entityRef}.${JSON.stringify(body)}`,
    fn: async () => ({ id: ((await post()) as { id: string }).id }),
  });
  ctx.logger.info(`Shipshape ${kind} ${started.id} started`);
  await streamOperationLog(deps, ctx, call, started.id);
  const record = { path: { ...path, id: started.id }, query: {} };
  return answer<object>(
    kind === 'backups'
      ? call.api.getEntityBackup(record, await call.options())
      : call.api.getEntityRestoreDrill(record, await call.options()),
  );
}

/** `shipshape:backup:create`: a verified backup of the entity's backup target. */
export function createBackupAction(deps: ShipshapeActionDeps) {
  return createTemplateAction({
    id: 'shipshape:backup:create',
    description:
      "Backs up the database named by the entity's shipshape.dev/backup-target (pg_dump, stored, verified), or with method in-cluster runs the service's backup CronJob as a Job in an environment, and waits for the result.",
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z.string({ description: 'e.g. component:default/payments-api' }),
        reason: z => z.string({ description: 'Why, recorded' }).optional(),
        method: z =>
          z
            .enum(['pg_dump', 'in-cluster'], {
              description:
                "pg_dump (default): the portal dumps and verifies; in-cluster: a Job from the chart's backup CronJob",
            })
            .optional(),
        environment: z =>
          z.string({ description: 'in-cluster: e.g. production' }).optional(),
      },
      output: {
        backupId: z => z.string().optional(),
        status: z =>
          z.string({
            description:
              "succeeded | failed | dry-run: the backup's run (its operation's status)",
          }),
        verifiedAt: z =>
          z
            .string({
              description:
                'when the portal verified the stored dump (pg_dump); absent for an in-cluster Job',
            })
            .optional(),
        sizeBytes: z => z.number().optional(),
        sha256: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { reason, method, environment } = ctx.input;
      const rec = await runBackupCall(
        deps,
        ctx,
        'backups',
        ctx.input.entityRef,
        {
          ...(reason ? { reason } : {}),
          ...(method ? { method } : {}),
          ...(environment ? { environment } : {}),
        },
      );
      ctx.output('status', rec.status);
      if (rec.status === 'dry-run') return;
      ctx.output('backupId', rec.id);
      if (rec.sizeBytes !== undefined) ctx.output('sizeBytes', rec.sizeBytes);
      if (rec.sha256) ctx.output('sha256', rec.sha256);
      if (rec.verifiedAt) ctx.output('verifiedAt', rec.verifiedAt);
      if (rec.status !== 'succeeded') {
        throw new Error(
          `Backup ${rec.id} failed at ${rec.failedStep}: ${rec.error}`,
        );
      }
      ctx.logger.info(
        rec.method === 'in-cluster'
          ? `Backup ${rec.id} succeeded: Job ${rec.location} completed in ${rec.durationMs} ms`
          : `Backup ${rec.id} verified: ${rec.sizeBytes} bytes, sha256 ${rec.sha256}`,
      );
    },
  });
}

/** `shipshape:backup:restore-drill`: restores a backup into a temporary database and compares. */
export function createRestoreDrillAction(deps: ShipshapeActionDeps) {
  return createTemplateAction({
    id: 'shipshape:backup:restore-drill',
    supportsDryRun: true,
    description:
      'Restores the latest verified backup (or backupId) into a temporary database, compares row counts with the backup, drops it, and records the restore time.',
    schema: {
      input: {
        entityRef: z =>
          z.string({ description: 'e.g. component:default/payments-api' }),
        backupId: z =>
          z.string({ description: 'default: the latest verified' }).optional(),
      },
      output: {
        drillId: z => z.string().optional(),
        status: z =>
          z.string({
            description:
              "succeeded | failed | dry-run: the drill's run (its operation's status)",
          }),
        restoreMs: z => z.number().optional(),
        backupAgeSeconds: z => z.number().optional(),
      },
    },
    async handler(ctx) {
      const rec = await runBackupCall(
        deps,
        ctx,
        'restore-drills',
        ctx.input.entityRef,
        ctx.input.backupId ? { backupId: ctx.input.backupId } : {},
      );
      ctx.output('status', rec.status);
      if (rec.status === 'dry-run') {
        ctx.logger.info(`Dry run: would drill backup ${rec.backupId}`);
        return;
      }
      ctx.output('drillId', rec.id);
      if (rec.restoreMs !== undefined) ctx.output('restoreMs', rec.restoreMs);
      if (rec.backupAgeSeconds !== undefined)
        ctx.output('backupAgeSeconds', rec.backupAgeSeconds);
      if (rec.status !== 'succeeded') {
        throw new Error(
          `Restore drill ${rec.id} failed at ${rec.failedStep}: ${rec.error}`,
        );
      }
      ctx.logger.info(
        `Restore drill ${rec.id} passed: restored in ${rec.restoreMs} ms, backup ${rec.backupAgeSeconds} s old`,
      );
    },
  });
}
