import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './deploy.examples';
import {
  ShipshapeActionDeps,
  reportOutcome,
  runShipshapeOperation,
} from './deployClient';

/**
 * `shipshape:deploy`: a thin client of the Shipshape backend's deploy API, acting as the user
 * who started the task (the backend checks their permission and records them).
 */
export function createDeployAction(deps: ShipshapeActionDeps) {
  return createTemplateAction({
    id: 'shipshape:deploy',
    description:
      "Deploys an image (or a new tag of the current image) to an entity's Deployments in one environment, follows the rollout and rolls back automatically if it stalls.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z.string({
            description:
              'The entity to deploy, e.g. component:default/payments-api',
          }),
        environment: z =>
          z.string({
            description:
              'An environment from shipshape.environments, e.g. staging',
          }),
        tag: z =>
          z
            .string({
              description:
                'New tag of the image the Deployment runs now (or give image)',
            })
            .optional(),
        image: z =>
          z
            .string({
              description:
                'Full image reference with a tag or digest (or give tag)',
            })
            .optional(),
        container: z =>
          z
            .string({
              description:
                'Container to change when the Deployment has several (default: the only one)',
            })
            .optional(),
        reason: z =>
          z
            .string({ description: 'Why: recorded as the change cause' })
            .optional(),
        autoRollback: z =>
          z
            .boolean({
              description: 'Roll back if the rollout stalls (default true)',
            })
            .optional(),
        dryRun: z =>
          z.boolean({ description: 'Only show what would change' }).optional(),
      },
      output: {
        operationId: z => z.string().optional(),
        outcome: z =>
          z.string({
            description: 'succeeded | failed | rolled-back | dry-run',
          }),
        revision: z =>
          z
            .number({ description: 'The Deployment revision now running' })
            .optional(),
        fromRevision: z => z.number().optional(),
        reason: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { entityRef, environment, tag, image, reason, autoRollback } =
        ctx.input;
      const { container } = ctx.input;
      const result = await runShipshapeOperation(deps, ctx, {
        kind: 'deploy',
        entityRef,
        dryRun: Boolean(ctx.isDryRun || ctx.input.dryRun),
        body: {
          environment,
          ...(tag ? { tag } : {}),
          ...(image ? { image } : {}),
          ...(container ? { container } : {}),
          ...(reason ? { reason } : {}),
          ...(autoRollback === undefined ? {} : { autoRollback }),
        },
      });
      reportOutcome(ctx, result);
    },
  });
}
