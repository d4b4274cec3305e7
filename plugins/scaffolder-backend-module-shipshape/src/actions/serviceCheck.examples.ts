import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Refuse a taken name, an owner that is not a Group or a cost center outside the policy, before anything is created',
    example: yaml.stringify({
      steps: [
        {
          id: 'check',
          action: 'shipshape:service:check',
          name: 'Check name, owner and cost center',
          input: {
            name: 'ledger-api',
            owner: 'group:default/payments-team',
            costCenter: 'CC-1234',
          },
        },
      ],
    }),
  },
];
