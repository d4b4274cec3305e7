import {
  AuthService,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  CatalogService,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { KubernetesClusters } from '../kubernetes/clusters';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// The real catalog backend (installed for packages/backend) serves the example entities.
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { execFileSync } from 'child_process';
import request from 'supertest';
import {
  eventually,
  exampleCatalogConfig,
  kubectl,
  readLocalStack,
  stackKubernetesConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapePlugin } from '../plugin';
import { responseMismatches } from '../schema/__testUtils__/conforms';
import {
  ClusterCostReader,
  parseCpu,
  parseMemoryGib,
  readUnitPrices,
} from './cost';
import { OwnershipService } from './service';

jest.setTimeout(120_000);

/** The example services' environments: one fixed namespace each, as the demo places them. */
const FIXED_ENVIRONMENTS = [
  { name: 'staging', cluster: 'local', namespace: 'staging' },
  { name: 'production', cluster: 'local', namespace: 'production' },
];

const GUEST = mockCredentials.user.header('user:default/guest');
const OUTSIDER = mockCredentials.user.header('user:default/outsider');

/**
 * The catalog's read permission, decided per user at the edge: the guest may read everything,
 * the outsider only what payments-team owns (a conditional decision the catalog turns into a
 * database filter, as a real policy would).
 */
const permissions = mockServices.permissions.mock({
  async authorize(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  },
  async authorizeConditional(requests, options) {
    const user = (options?.credentials?.principal as { userEntityRef?: string })
      ?.userEntityRef;
    return requests.map(({ permission }) =>
      user === 'user:default/outsider'
        ? createCatalogConditionalDecision(
            permission as ResourcePermission<'catalog-entity'>,
            catalogConditions.isEntityOwner({
              claims: ['group:default/payments-team'],
            }),
          )
        : { result: AuthorizeResult.ALLOW },
    ) as any;
  },
});

/** One database per plugin, as in production: the catalog's and Shipshape's. */
function databasePerPlugin(byPlugin: Record<string, any>) {
  return createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => ({
      getClient: async () => byPlugin[plugin.getId()],
      migrations: { skip: false },
    }),
  });
}

async function startPortal(
  databases: TestDatabases,
  id: Parameters<TestDatabases['init']>[0],
  extra: object = {},
  features: any[] = [],
) {
  const catalogDb = await databases.init(id);
  const shipshapeDb = await databases.init(id);
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      shipshapePlugin,
      permissions.factory,
      databasePerPlugin({ catalog: catalogDb, shipshape: shipshapeDb }),
      mockServices.rootConfig.factory({
        data: {
          catalog: exampleCatalogConfig(),
          ...extra,
        },
      }),
      ...features,
    ],
  });
  const api = (url: string, auth = GUEST) =>
    request(backend.server)
      .get(`/api/shipshape${url}`)
      .set('Authorization', auth);
  await eventually(async () => {
    const res = await request(backend.server)
      .get('/api/catalog/entities/by-name/component/default/legacy-billing')
      .set('Authorization', GUEST);
    expect(res.status).toBe(200);
    const group = await request(backend.server)
      .get('/api/catalog/entities/by-name/group/default/payments-team')
      .set('Authorization', GUEST);
    expect(group.status).toBe(200);
  }, 60_000);
  return { backend, api };
}

describe('ownership API with the real catalog and the example entities', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  it.each(databases.eachSupportedId())(
    'answers the entity view and the summary, filtered per caller, on %p',
    async databaseId => {
      const { backend, api } = await startPortal(databases, databaseId);
      try {
        // The misconfigured example: every violation, precisely.
        const legacy = await api(
          '/entities/component/default/legacy-billing/ownership',
        );
        expect(legacy.status).toBe(200);
        expect(legacy.body).toMatchObject({
          entityRef: 'component:default/legacy-billing',
          owner: {
            ref: 'group:default/billing-team',
            kind: 'group',
            exists: false,
          },
          tags: [],
          cost: { status: 'no-cluster' },
          labels: { status: 'no-cluster', objects: [] },
        });
        expect(
          legacy.body.violations.map((v: any) => [v.rule, v.mode]),
        ).toEqual([
          ['owner-exists', 'warn'],
          ['tag-required', 'warn'],
          ['tag-value', 'warn'],
        ]);

        // The healthy one: owner with contact and parent group, tags with their source.
        const payments = await api(
          '/entities/component/default/payments-api/ownership',
        );
        expect(payments.body).toMatchObject({
          owner: {
            ref: 'group:default/payments-team',
            kind: 'Group',
            displayName: 'Payments',
            email: 'payments@example.com',
            exists: true,
            parent: {
              ref: 'group:default/engineering',
              displayName: 'Engineering',
              email: 'engineering@example.com',
            },
          },
          tags: [
            {
              name: 'shipshape.dev/cost-center',
              value: 'CC-1001',
              source: 'own',
            },
            { name: 'shipshape.dev/tier', value: 'critical', source: 'own' },
          ],
          violations: [],
        });

        // orders-api has no cost center of its own: it inherits commerce's.
        const orders = await api(
          '/entities/component/default/orders-api/ownership',
        );
        expect(orders.body.tags).toContainEqual({
          name: 'shipshape.dev/cost-center',
          value: 'CC-1000',
          source: 'system:default/commerce',
        });

        const summary = await api('/ownership/summary');
        expect(summary.status).toBe(200);
        expect(summary.body.cost).toEqual({ status: 'no-cluster' });
        expect(summary.body.totals).toEqual({
          entities: 5,
          violations: 4,
          entitiesWithViolations: 2,
        });
        expect(summary.body.costCenters.items).toEqual(
          expect.arrayContaining([
            {
              costCenter: 'CC-1001',
              entities: 2,
              violations: 0,
              entitiesWithViolations: 0,
            },
            {
              costCenter: 'CC-1000',
              entities: 2,
              violations: 1,
              entitiesWithViolations: 1,
            },
            { entities: 1, violations: 3, entitiesWithViolations: 1 },
          ]),
        );
        expect(summary.body.owners.totalCount).toBe(4);

        // Paging.
        const page = await api('/ownership/summary?limit=1&offset=1');
        expect(page.body.costCenters.items).toHaveLength(1);
        expect(page.body.costCenters.totalCount).toBe(3);
        expect(page.body).toMatchObject({ limit: 1, offset: 1 });

        // The outsider may read only what payments-team owns.
        const outsider = await api('/ownership/summary', OUTSIDER);
        expect(outsider.body.totals.entities).toBe(2);
        expect(outsider.body.owners.items).toEqual([
          expect.objectContaining({
            owner: 'group:default/payments-team',
            entities: 2,
          }),
        ]);
        const hidden = await api(
          '/entities/component/default/legacy-billing/ownership',
          OUTSIDER,
        );
        expect(hidden.status).toBe(404);
      } finally {
        await backend.stop();
      }
    },
  );

  it('refuses bad requests precisely, per the OpenAPI document', async () => {
    const { backend, api } = await startPortal(databases, 'SQLITE_3');
    try {
      const bad = await api('/ownership/summary?limit=0');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/limit/);
      const unknown = await api('/ownership/summary?sort=cost');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toMatch(/sort/);
      const badName = await api(
        '/entities/component/default/%20x%20/ownership',
      );
      expect(badName.status).toBe(400);
      const missing = await api('/entities/component/default/nope/ownership');
      expect(missing.status).toBe(404);
      const anonymous = await request(backend.server)
        .get('/api/shipshape/ownership/summary')
        .set('Authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
      const doc = await api('/openapi.json');
      expect(Object.keys(doc.body.paths)).toContain(
        '/api/shipshape/ownership/summary',
      );
    } finally {
      await backend.stop();
    }
  });
});

describe('cost estimate from the local stack cluster', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('prices the live pods per environment and lists objects without the Shipshape labels', async () => {
    const stack = readLocalStack();
    const { backend, api } = await startPortal(databases, 'SQLITE_3', {
      kubernetes: stackKubernetesConfig(),
      shipshape: {
        environments: FIXED_ENVIRONMENTS,
        cost: { cpuCoreHourUsd: 0.031611, memoryGibHourUsd: 0.004237 },
      },
    });
    try {
      // Independently: what the Deployments ask for (replicas x requests), via kubectl.
      const deployments = JSON.parse(
        execFileSync(stack.kubernetes.kubectl, [
          '--kubeconfig',
          stack.kubernetes.adminKubeconfig,
          'get',
          'deployments',
          '-A',
          '-l',
          'backstage.io/kubernetes-id=payments-api',
          '-o',
          'json',
        ]).toString(),
      ).items;
      expect(deployments.length).toBeGreaterThan(0);
      const expected = new Map<string, number>();
      for (const d of deployments) {
        let cpu = 0;
        let mem = 0;
        for (const c of d.spec.template.spec.containers) {
          cpu += parseCpu(c.resources?.requests?.cpu);
          mem += parseMemoryGib(c.resources?.requests?.memory);
        }
        const usd = (cpu * 0.031611 + mem * 0.004237) * 730 * d.spec.replicas;
        expected.set(d.metadata.namespace, Math.round(usd * 100) / 100);
      }

      const res = await api(
        '/entities/component/default/payments-api/ownership',
      );
      expect(res.status).toBe(200);
      expect(res.body.cost.status).toBe('ok');
      // the answer is the document's OwnershipView (cost: its `ok` alternative)
      expect(
        responseMismatches(
          res.body,
          '/entities/{kind}/{namespace}/{name}/ownership',
          'get',
          200,
        ),
      ).toEqual([]);
      expect(
        Object.fromEntries(
          res.body.cost.environments.map((e: any) => [
            e.namespace,
            e.monthlyUsd,
          ]),
        ),
      ).toEqual(Object.fromEntries(expected));
      expect(
        res.body.cost.environments.map((e: any) => e.namespace).sort(),
      ).toEqual(['production', 'staging']);
      // The demo stamps payments-api's objects with every Shipshape label (as the chart does),
      // orders-api's with some, legacy-billing's with none (scripts/stack/demo.sh).
      expect(res.body.labels.objects).toEqual([]);
      const orders = await api(
        '/entities/component/default/orders-api/ownership',
      );
      expect(orders.body.labels.objects).toContainEqual(
        expect.objectContaining({
          kind: 'Deployment',
          namespace: 'production',
          name: 'orders-api',
          missing: [
            'shipshape.dev/cost-center',
            'shipshape.dev/environment',
            'shipshape.dev/tier',
          ],
        }),
      );

      const summary = await api('/ownership/summary');
      expect(summary.body.cost.status).toBe('ok');
      expect(summary.body.totals.monthlyUsd).toBeGreaterThan(0);
      const cc1001 = summary.body.costCenters.items.find(
        (r: any) => r.costCenter === 'CC-1001',
      );
      const total = [...expected.values()].reduce((a, b) => a + b, 0);
      expect(cc1001.monthlyUsd).toBeCloseTo(total, 2);
    } finally {
      await backend.stop();
    }
  });
});

describe('the ownership summary reads the catalog and the clusters in pages', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('gives the same summary with pages of 2 entities and 1 object as in one page, never holding more', async () => {
    let catalog: CatalogService | undefined;
    let auth: AuthService | undefined;
    const probe = createBackendPlugin({
      pluginId: 'probe',
      register(env) {
        env.registerInit({
          deps: { catalog: catalogServiceRef, auth: coreServices.auth },
          async init(deps) {
            ({ catalog, auth } = deps);
          },
        });
      },
    });
    const kubernetes = stackKubernetesConfig();
    const { backend } = await startPortal(
      databases,
      'SQLITE_3',
      { kubernetes },
      [probe],
    );
    try {
      const config = new ConfigReader({
        kubernetes,
        shipshape: { environments: FIXED_ENVIRONMENTS },
      });
      const clusters = KubernetesClusters.fromConfig(config);
      const logger = mockServices.logger.mock();
      // Every page the summary takes from the catalog, and every list request to the cluster.
      const pages: number[] = [];
      const streamEntities = async function* stream(
        ...args: Parameters<CatalogService['streamEntities']>
      ) {
        for await (const page of catalog!.streamEntities(...args)) {
          pages.push(page.length);
          yield page;
        }
      };
      const counting = new Proxy(catalog!, {
        get: (target, name) => {
          if (name === 'streamEntities') return streamEntities;
          const value = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const reader = clusters.clusterReader('local');
      const podLists = jest.spyOn(reader.core, 'listPodForAllNamespaces');
      const summaryWith = (pageSize?: number, clusterPage?: number) =>
        OwnershipService.create({
          catalog: counting,
          auth: auth!,
          policy: parseShipshapePolicy(undefined),
          cost: ClusterCostReader.create({
            clusters,
            logger,
            prices: readUnitPrices(config),
            pageSize: clusterPage,
          }),
          pageSize,
        }).summary(mockCredentials.user('user:default/guest'), {
          limit: 100,
          offset: 0,
        });

      const whole = await summaryWith();
      expect(pages).toEqual([5]);
      expect(podLists).toHaveBeenCalledTimes(1);
      expect(whole.totals.entities).toBe(5);
      expect(whole.totals.monthlyUsd).toBeGreaterThan(0);

      pages.length = 0;
      podLists.mockClear();
      const paged = await summaryWith(2, 1);
      expect(paged).toEqual(whole);
      expect(pages).toEqual([2, 2, 1]);
      // One pod per request, following the server's continue token to the last.
      const pods = podLists.mock.calls.length;
      expect(pods).toBeGreaterThan(2);
      for (const [call] of podLists.mock.calls) {
        expect(call).toMatchObject({ limit: 1 });
      }
      expect(
        podLists.mock.calls.filter(([r]) => (r as any)._continue),
      ).toHaveLength(pods - 1);
      // eslint-disable-next-line no-console
      console.log(
        `ownership summary over ${
          whole.totals.entities
        } entities: catalog pages ${JSON.stringify(
          pages,
        )}, pods of the stack cluster in ${pods} list requests of 1`,
      );
    } finally {
      await backend.stop();
    }
  });
});

describe('the entity view reads the service’s pods when asked, not the summary’s kept snapshot', () => {
  const ID = `own-fresh-${process.pid}`;
  const STRAY = `${ID}-stray`;
  afterAll(() => {
    for (const ns of [ID, STRAY]) {
      kubectl([
        'delete',
        'namespace',
        ns,
        '--ignore-not-found',
        '--wait=false',
      ]);
    }
  });

  it('pods created after a summary show on the entity view at once (the card re-reads on the workload signal); labelled pods in a stray namespace are not priced', async () => {
    const kubernetes = stackKubernetesConfig();
    // the golden path's staging (one namespace per service) and a fixed production
    const config = new ConfigReader({
      kubernetes,
      shipshape: {
        environments: [
          { name: 'staging', cluster: 'local', namespacePerService: true },
          { name: 'production', cluster: 'local', namespace: 'production' },
        ],
      },
    });
    const clusters = KubernetesClusters.fromConfig(config);
    const cost = ClusterCostReader.create({
      clusters,
      logger: mockServices.logger.mock(),
      prices: readUnitPrices(config),
    });
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: ID,
        namespace: 'default',
        annotations: { 'backstage.io/kubernetes-id': ID },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
    };
    const ownership = OwnershipService.create({
      catalog: catalogServiceMock({ entities: [entity] }),
      auth: mockServices.auth(),
      policy: parseShipshapePolicy(undefined),
      cost,
    });
    const guest = mockCredentials.user('user:default/guest');
    const view = () =>
      ownership.entityOwnership(
        { kind: 'component', namespace: 'default', name: ID },
        guest,
      );
    for (const ns of [ID, STRAY]) {
      kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait']);
    }
    // the summary keeps the clusters' snapshot (30 s): taken now, before the service runs
    await ownership.summary(guest, { limit: 100, offset: 0 });
    expect((await view()).cost).toMatchObject({
      status: 'ok',
      environments: [],
    });

    // released: a Deployment of 2 pods, made with kubectl as a workflow's helm would
    kubectl(['create', 'namespace', ID]);
    const released = Date.now();
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: ID,
        namespace: ID,
        kubernetesId: ID,
        image: 'registry.example.test/fresh:1.0.0',
      }),
    );
    let seenMs = 0;
    await eventually(async () => {
      const { cost: shown } = await view();
      expect(shown).toMatchObject({
        status: 'ok',
        environments: [
          { cluster: 'local', namespace: ID, environment: 'staging', pods: 2 },
        ],
      });
      seenMs = Date.now() - released;
    }, 20_000);
    const priced = (await view()).cost;
    // the summary's snapshot, taken before, still has none of them until it expires
    const snapshot = await cost.snapshot();
    expect(snapshot.pods.filter(p => p.kubernetesId === ID)).toEqual([]);
    // eslint-disable-next-line no-console
    console.log(
      `entity view shows the 2 new pods ${seenMs} ms after kubectl apply (summary snapshot kept 30 s)`,
    );
    expect(seenMs).toBeLessThan(10_000);

    // the same labels in a namespace no environment places the service in (the Rollout card
    // does not show it): read from the cluster, but not priced, in the view or the summary
    kubectl(['create', 'namespace', STRAY]);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: ID,
        namespace: STRAY,
        kubernetesId: ID,
        image: 'registry.example.test/fresh:1.0.0',
      }),
    );
    await eventually(async () => {
      const read = await cost.snapshotOf(ID);
      expect(read.pods.filter(p => p.namespace === STRAY)).not.toEqual([]);
    }, 20_000);
    expect((await view()).cost).toEqual(priced);
    const summary = await OwnershipService.create({
      catalog: catalogServiceMock({ entities: [entity] }),
      auth: mockServices.auth(),
      policy: parseShipshapePolicy(undefined),
      cost: ClusterCostReader.create({
        clusters,
        logger: mockServices.logger.mock(),
        prices: readUnitPrices(config),
      }),
    }).summary(guest, { limit: 100, offset: 0 });
    expect(summary.totals.monthlyUsd).toBe(
      priced.status === 'ok' ? priced.monthlyUsd : NaN,
    );

    // an id that is not a label value selects nothing (never a selector of its own)
    expect(await cost.snapshotOf('a,b!=c')).toMatchObject({
      pods: [],
      objects: [],
    });
  });
});
