import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the rendered service to a local git repository and register it (offline demo)',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish-local',
          action: 'shipshape:publish:local',
          name: 'Publish to a local git repository',
          input: {
            sourcePath: './',
            repoName: 'payments-worker',
          },
        },
        {
          id: 'register-local',
          action: 'catalog:register',
          name: 'Register in the catalog',
          input: {
            catalogInfoUrl:
              "${{ steps['publish-local'].output.catalogInfoUrl }}",
          },
        },
      ],
    }),
  },
];
