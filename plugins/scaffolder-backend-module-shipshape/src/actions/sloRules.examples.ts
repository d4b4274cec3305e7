import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Render the SLO rules of the workspace's slo.yaml into the chart (after fetch:template)",
    example: yaml.stringify({
      steps: [
        {
          id: 'slo-rules',
          action: 'shipshape:slo:rules',
          name: 'Generate the SLO alert rules',
          input: {
            service: 'payments-api',
            sloPath: 'slo.yaml',
            targetPath: 'chart/files/slo-rules.yaml',
          },
        },
      ],
    }),
  },
  {
    description:
      'A plain Prometheus rule file with extra alert labels and a runbook link',
    example: yaml.stringify({
      steps: [
        {
          id: 'slo-rules',
          action: 'shipshape:slo:rules',
          name: 'Generate the SLO alert rules',
          input: {
            service: 'payments-api',
            targetPath: 'monitoring/slo-rules.yml',
            alertLabels: { team: 'payments' },
            runbookUrl: 'https://docs.example.com/payments-api/runbook',
          },
        },
      ],
    }),
  },
];
