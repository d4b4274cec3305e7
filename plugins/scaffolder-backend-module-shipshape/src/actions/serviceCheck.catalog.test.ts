import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
// The real catalog backend, loading the example entities the portal loads.
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createMockActionContext } from './__testUtils__/actionContext';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleShipshape } from '../module';
import {
  eventually,
  exampleCatalogConfig,
} from '@internal/shipshape-test-utils';

/**
 * The module as the backend wires it (catalog service, app-config policy) next to the real
 * catalog; returns its shipshape:service:check and a way to read the catalog directly.
 */
async function start() {
  const actions: TemplateAction<any, any, any>[] = [];
  let catalog: typeof catalogServiceRef.T | undefined;
  const backend = await startTestBackend({
    extensionPoints: [
      [
        scaffolderActionsExtensionPoint,
        {
          addActions: (...a: TemplateAction<any, any, any>[]) =>
            actions.push(...a),
        },
      ],
    ],
    features: [
      catalogPlugin,
      scaffolderModuleShipshape,
      createBackendModule({
        pluginId: 'catalog',
        moduleId: 'probe',
        register(reg) {
          reg.registerInit({
            deps: { c: catalogServiceRef },
            async init({ c }) {
              catalog = c;
            },
          });
        },
      }),
      mockServices.rootConfig.factory({
        data: {
          catalog: exampleCatalogConfig(),
          // another policy than the default: the action must use this one
          shipshape: {
            policy: {
              tags: [
                { name: 'shipshape.dev/cost-center', pattern: '^FIN-\\d{3}$' },
              ],
            },
          },
        },
      }),
    ],
  });
  const check = actions.find(a => a.id === 'shipshape:service:check')!;
  // wait until the catalog has processed the examples
  const credentials = mockCredentials.user();
  await eventually(async () => {
    const [group, component] = await Promise.all([
      catalog!.getEntityByRef('group:default/payments-team', { credentials }),
      catalog!.getEntityByRef('component:default/payments-api', {
        credentials,
      }),
    ]);
    if (!group || !component)
      throw new Error('the catalog did not load the examples');
  }, 60_000);
  return { backend, check };
}

describe('shipshape:service:check against the real catalog', () => {
  let started: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    started = await start();
  }, 90_000);
  afterAll(() => started?.backend.stop());

  const good = {
    name: 'ledger-api',
    owner: 'group:default/payments-team',
    costCenter: 'FIN-123',
  };
  const run = (input: object) =>
    started.check.handler(
      createMockActionContext({ input: { ...good, ...input } }),
    );

  it('accepts a free name, an existing Group and a cost center in the configured policy', async () => {
    await expect(run({})).resolves.toBeUndefined();
  });

  it.each([
    [
      'a name the catalog has as a Component',
      { name: 'payments-api' },
      /name: payments-api is already in the catalog \(component:default\/payments-api\)/,
    ],
    [
      'a name the catalog has as a Resource',
      { name: 'payments-db' },
      /name: payments-db is already in the catalog \(resource:default\/payments-db\)/,
    ],
    [
      'a User as the owner',
      { owner: 'user:default/guest' },
      /owner: user:default\/guest is a user, not a Group/,
    ],
    [
      'a Group the catalog does not have',
      { owner: 'group:default/team-payments' },
      /owner: group:default\/team-payments is not in the catalog/,
    ],
    [
      'a cost center of the default policy, not the configured one',
      { costCenter: 'CC-1234' },
      /costCenter: Cost center outside the policy: .*\^FIN-/,
    ],
  ])('refuses %s', async (_what, input, message) => {
    await expect(run(input)).rejects.toThrow(message);
  });
});
