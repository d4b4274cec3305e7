import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Annotations for a critical service with a database backup target',
    example: yaml.stringify({
      steps: [
        {
          id: 'contract',
          action: 'shipshape:catalog:annotations',
          name: 'Entity contract',
          input: {
            tier: 'critical',
            costCenter: 'CC-1234',
            backupTarget: 'payments-db',
            runbook: 'https://docs.example.com/payments-api/runbook',
          },
        },
      ],
    }),
  },
];
