import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** One example per Argo Rollouts action (shipshape:rollout:promote, :abort, :retry). */
export function rolloutActionExamples(
  action: 'promote' | 'abort' | 'retry',
): TemplateExample[] {
  const what = {
    promote: 'Promote the canary of payments-api in staging past its pause',
    abort:
      'Abort the release of payments-api in staging (back to the stable pods)',
    retry: 'Retry the aborted release of payments-api in staging',
  }[action];
  return [
    {
      description: what,
      example: yaml.stringify({
        steps: [
          {
            id: action,
            action: `shipshape:rollout:${action}`,
            name: what,
            input: {
              entityRef: 'component:default/payments-api',
              environment: 'staging',
            },
          },
        ],
      }),
    },
  ];
}
