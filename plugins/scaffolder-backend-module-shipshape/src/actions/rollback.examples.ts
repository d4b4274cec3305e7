import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Roll payments-api in production back to the previous revision',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'shipshape:rollback',
          name: 'Roll back',
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'production',
            reason: 'error rate up after 1.4.3',
          },
        },
      ],
    }),
  },
  {
    description: 'Roll back to a given revision',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollback',
          action: 'shipshape:rollback',
          name: 'Roll back to revision 1',
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'staging',
            revision: 1,
          },
        },
      ],
    }),
  },
];
