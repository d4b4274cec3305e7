import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './rollback.examples';
import {
  ShipshapeActionDeps,
  reportOutcome,
  runShipshapeOperation,
} from './deployClient';

/**
 * `shipshape:rollback`: a thin client of the Shipshape backend's rollback API, acting as the
 * user who started the task.
 */
export function createRollbackAction(deps: ShipshapeActionDeps) {
  return createTemplateAction({
    id: 'shipshape:rollback',
    description:
      "Rolls an entity's Deployments in one environment back to the previous (or a given) revision, as kubectl rollout undo does, and follows the rollout.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z.string({
            description: 'The entity, e.g. component:default/payments-api',
          }),
        environment: z =>
          z.string({
            description: 'An environment from shipshape.environments',
          }),
        revision: z =>
          z
            .number({
              description: 'Revision to go back to (default: the previous one)',
            })
            .int()
            .positive()
            .optional(),
        reason: z =>
          z
            .string({ description: 'Why: recorded as the change cause' })
            .optional(),
        dryRun: z =>
          z.boolean({ description: 'Only show what would change' }).optional(),
      },
      output: {
        operationId: z => z.string().optional(),
        outcome: z => z.string({ description: 'succeeded | failed | dry-run' }),
        revision: z =>
          z
            .number({ description: 'The Deployment revision now running' })
            .optional(),
        fromRevision: z => z.number().optional(),
        reason: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { entityRef, environment, revision, reason } = ctx.input;
      const result = await runShipshapeOperation(deps, ctx, {
        kind: 'rollback',
        entityRef,
        dryRun: Boolean(ctx.isDryRun || ctx.input.dryRun),
        body: {
          environment,
          ...(revision === undefined ? {} : { revision }),
          ...(reason ? { reason } : {}),
        },
      });
      reportOutcome(ctx, result);
    },
  });
}
