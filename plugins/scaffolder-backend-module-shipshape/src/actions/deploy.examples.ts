import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy a new tag of payments-api to staging, rolling back if it stalls',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'shipshape:deploy',
          name: 'Deploy',
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'staging',
            tag: '1.4.3',
            reason: 'release 1.4.3',
          },
        },
      ],
    }),
  },
  {
    description:
      'Show what a deploy of a full image reference would change, without changing it',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'shipshape:deploy',
          name: 'Deploy (dry run)',
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'production',
            image: 'registry.example.test/shipshape/payments-api:1.4.3',
            dryRun: true,
          },
        },
      ],
    }),
  },
];
