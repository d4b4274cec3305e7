import { resolvePackagePath } from '@backstage/backend-plugin-api';
import path from 'path';

/**
 * Test helpers for the real catalog backend loading the repo's example entities, shared by
 * the tests of the catalog module, the ownership API (shipshape-backend) and
 * shipshape:service:check (scaffolder module).
 */

/** The repo's examples directory: entities.yaml and org.yaml. */
export const EXAMPLES = path.resolve(
  resolvePackagePath('@internal/shipshape-test-utils'),
  '../../examples',
);

/**
 * The `catalog` config of the example entities, processed every second. `org` replaces
 * examples/org.yaml (e.g. a test's copy it adds groups to).
 */
export function exampleCatalogConfig(org = path.join(EXAMPLES, 'org.yaml')) {
  return {
    processingInterval: { seconds: 1 },
    rules: [
      {
        allow: [
          'Component',
          'System',
          'API',
          'Resource',
          'Group',
          'User',
          'Location',
        ],
      },
    ],
    locations: [path.join(EXAMPLES, 'entities.yaml'), org].map(target => ({
      type: 'file',
      target,
    })),
  };
}

/** Polls until `check` passes or `ms` run out, then throws `check`'s last error. */
export async function eventually(check: () => Promise<void>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, 250));
    }
  }
}
