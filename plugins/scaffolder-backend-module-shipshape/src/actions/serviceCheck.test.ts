import { createMockActionContext } from './__testUtils__/actionContext';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import yaml from 'yaml';
import { createServiceCheckAction, ServiceCheckCatalog } from './serviceCheck';
import { examples } from './serviceCheck.examples';

// A two-entity catalog at the edge of the unit; the real catalog answers the same reads in
// serviceCheck.catalog.test.ts.
const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'payments-team' },
  },
];
const catalog: ServiceCheckCatalog = {
  getEntities: jest.fn(async request => ({
    items: entities.filter(
      e =>
        (request?.filter as Record<string, string[]>).kind.includes(e.kind) &&
        (request?.filter as Record<string, string>)['metadata.name'] ===
          e.metadata.name,
    ),
  })) as ServiceCheckCatalog['getEntities'],
  getEntityByRef: jest.fn(async ref =>
    entities.find(
      e => `${e.kind.toLowerCase()}:default/${e.metadata.name}` === ref,
    ),
  ) as ServiceCheckCatalog['getEntityByRef'],
};
const action = createServiceCheckAction({
  catalog,
  policy: parseShipshapePolicy({ mode: 'warn' }),
});
const good = {
  name: 'ledger-api',
  owner: 'group:default/payments-team',
  costCenter: 'CC-1234',
};

describe('shipshape:service:check', () => {
  it('accepts its example: a free name, an existing Group, a cost center in the policy', async () => {
    const input = yaml.parse(examples[0].example).steps[0].input;
    expect(input).toEqual(good);
    const ctx = createMockActionContext({ input });
    await expect(action.handler(ctx)).resolves.toBeUndefined();
    // the catalog is read with the task initiator's credentials
    const credentials = await ctx.getInitiatorCredentials();
    expect(catalog.getEntityByRef).toHaveBeenCalledWith(
      'group:default/payments-team',
      { credentials },
    );
  });

  it('accepts a bare group name as the owner', async () => {
    const ctx = createMockActionContext({
      input: { ...good, owner: 'payments-team' },
    });
    await expect(action.handler(ctx)).resolves.toBeUndefined();
  });

  it.each([
    [
      'a taken name',
      { name: 'payments-api' },
      /name: payments-api is already in the catalog \(component:default\/payments-api\)/,
    ],
    [
      'a name that is not a DNS-1123 label',
      { name: 'Ledger_API' },
      /name: not a DNS-1123 label/,
    ],
    [
      'a name longer than 63 characters',
      { name: `a${'b'.repeat(63)}` },
      /name: 64 characters/,
    ],
    [
      'an owner that is a User',
      { owner: 'user:default/guest' },
      /owner: user:default\/guest is a user, not a Group/,
    ],
    [
      'an owner Group not in the catalog',
      { owner: 'group:default/ghosts' },
      /owner: group:default\/ghosts is not in the catalog/,
    ],
    [
      'an owner that is no entity ref',
      { owner: 'group:' },
      /owner: "group:" is not an entity reference/,
    ],
    [
      'a cost center outside the policy',
      { costCenter: 'CC-12' },
      /costCenter: Cost center outside the policy: .*"CC-12"/,
    ],
  ])('refuses %s, naming the field', async (_what, change, message) => {
    const ctx = createMockActionContext({ input: { ...good, ...change } });
    const refused = action.handler(ctx);
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toThrow(/^The service cannot be created: /);
  });

  it('names every bad field at once', async () => {
    const ctx = createMockActionContext({
      input: {
        name: 'payments-api',
        owner: 'user:default/guest',
        costCenter: 'x',
      },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /name: .*; owner: .*; costCenter: /,
    );
  });

  it('applies the configured policy, not a fixed pattern', async () => {
    const finance = createServiceCheckAction({
      catalog,
      policy: parseShipshapePolicy({
        tags: [{ name: 'shipshape.dev/cost-center', pattern: '^FIN-\\d{3}$' }],
      }),
    });
    await expect(
      finance.handler(createMockActionContext({ input: good })),
    ).rejects.toThrow(/costCenter: .*\^FIN-/);
    await expect(
      finance.handler(
        createMockActionContext({ input: { ...good, costCenter: 'FIN-123' } }),
      ),
    ).resolves.toBeUndefined();
  });

  it('refuses when the catalog cannot be asked, and says so', async () => {
    const down = createServiceCheckAction({
      catalog: {
        ...catalog,
        getEntities: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
      policy: parseShipshapePolicy({}),
    });
    await expect(
      down.handler(createMockActionContext({ input: good })),
    ).rejects.toThrow(
      /The catalog could not be asked whether ledger-api is taken \(connect ECONNREFUSED\); nothing was created/,
    );
  });
});
