import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import { rolloutActionExamples } from './rolloutAction.examples';
import {
  ShipshapeActionDeps,
  answer,
  entityPath,
  shipshapeCaller,
} from './deployClient';

type RolloutAction = 'promote' | 'abort' | 'retry';

const DESCRIPTIONS: Record<RolloutAction, string> = {
  promote:
    "Promotes an entity's paused Argo Rollouts in one environment to their next step (kubectl argo rollouts promote), as the user who started the task. The backend refuses (409) a Rollout that is not paused.",
  abort:
    "Aborts the release of an entity's Argo Rollouts in one environment (kubectl argo rollouts abort): traffic and replicas go back to the stable pods. The backend refuses (409) a Rollout already healthy or aborted.",
  retry:
    "Retries the aborted release of an entity's Argo Rollouts in one environment (kubectl argo rollouts retry rollout). The backend refuses (409) a Rollout that is not aborted.",
};

/**
 * `shipshape:rollout:promote`, `:abort` and `:retry`: thin clients of the Shipshape backend's
 * operations of the same names (permission, ownership, audit and the state checks are the
 * backend's), acting as the user who started the task. A retried task does not act twice
 * (checkpoint); a dry run asks the backend what it would act on.
 */
export function createRolloutActions(deps: ShipshapeActionDeps) {
  return (['promote', 'abort', 'retry'] as const).map(action =>
    createTemplateAction({
      id: `shipshape:rollout:${action}`,
      description: DESCRIPTIONS[action],
      examples: rolloutActionExamples(action),
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
          dryRun: z =>
            z
              .boolean({ description: 'Only show what would be acted on' })
              .optional(),
        },
        output: {
          rollouts: z =>
            z.array(z.string(), { description: 'The Rollouts acted on' }),
          namespace: z => z.string(),
          dryRun: z => z.boolean(),
        },
      },
      async handler(ctx) {
        const { entityRef, environment } = ctx.input;
        const dryRun = Boolean(ctx.isDryRun || ctx.input.dryRun);
        const call = await shipshapeCaller(deps, ctx);
        const request = {
          path: entityPath(entityRef),
          body: { environment, dryRun },
        };
        // what the backend answered, as a plain object (a checkpoint keeps JSON)
        const post = async () => {
          const options = await call.options();
          const calls = {
            promote: () => call.api.promoteEntityRollouts(request, options),
            abort: () => call.api.abortEntityRollouts(request, options),
            retry: () => call.api.retryEntityRollouts(request, options),
          };
          const r: ShipshapeOpenApi.ArgoActionResult = await answer(
            calls[action](),
          );
          return {
            environment: r.environment,
            cluster: r.cluster,
            namespace: r.namespace,
            rollouts: r.rollouts,
            dryRun: r.dryRun,
          };
        };
        const result = dryRun
          ? await post()
          : await ctx.checkpoint({
              key: `shipshape.rollout.${action}.${entityRef}.${environment}`,
              fn: post,
            });
        ctx.logger.info(
          `${dryRun ? '[dry run] would ' : ''}${action} ${result.rollouts
            .map(r => `${result.namespace}/${r}`)
            .join(', ')} in ${result.environment} (cluster ${result.cluster})`,
        );
        ctx.output('rollouts', result.rollouts);
        ctx.output('namespace', result.namespace);
        ctx.output('dryRun', result.dryRun);
      },
    }),
  );
}
