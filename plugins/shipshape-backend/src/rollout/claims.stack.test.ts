import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapePlugin } from '../plugin';
import { shipshapeApi, testComponent } from './__testUtils__/api';
import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testDeployment,
  testRollout,
  waitRolloutPhase,
} from '@internal/shipshape-test-utils';

jest.setTimeout(180_000);

// Who may act on a workload: the evidence on the cluster, not the entity's annotations.
const NS = `shipshape-claims-${process.pid}`;
/** The per-service namespace of `per-<pid>` (environment `per`: one namespace per service). */
const PER = `per-${process.pid}`;
const USER = 'user:default/someone';
const REPO = 'registry.example.test/shipshape/claims';

function withAnnotations(entity: Entity, annotations: Record<string, string>) {
  entity.metadata.annotations = {
    ...entity.metadata.annotations,
    ...annotations,
  };
  return entity;
}

/** What the cluster holds for a workload: enough to see that nothing changed. */
function state(kind: 'deploy' | 'rollouts.argoproj.io', name: string, ns = NS) {
  const o = JSON.parse(kubectl(['-n', ns, 'get', kind, name, '-o', 'json']));
  return {
    resourceVersion: o.metadata.resourceVersion,
    image: o.spec.template.spec.containers[0].image,
  };
}

describe('deploy and rollback act only on workloads that belong to the entity', () => {
  let server: any;
  const auditor = mockServices.auditor.mock();

  beforeAll(async () => {
    createServiceNamespace(NS);
    createServiceNamespace(PER);
    // The platform marks the per-service namespace as the entity's.
    kubectl([
      'annotate',
      'namespace',
      PER,
      'shipshape.dev/entity=component:default/per',
    ]);
    const deployments = [
      { name: 'pay', namespace: NS, kubernetesId: 'pay' },
      // carries the entity's labels and annotation, but another Helm release owns it
      {
        name: 'foreign',
        namespace: NS,
        kubernetesId: 'foreign',
        release: 'platform-bundle',
      },
      {
        name: PER,
        namespace: PER,
        kubernetesId: PER,
        entity: 'component:default/per',
      },
    ];
    for (const d of deployments) {
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({ ...d, image: `${REPO}:1.0.0` }),
      );
    }
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name: 'own-ro',
        namespace: NS,
        kubernetesId: 'own-ro',
        image: `${REPO}:1.0.0`,
      }),
    );
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name: 'canary',
        namespace: NS,
        kubernetesId: 'canary',
        image: `${REPO}:1.0.0`,
      }),
    );
    for (const d of deployments) {
      kubectl([
        '-n',
        d.namespace,
        'rollout',
        'status',
        `deploy/${d.name}`,
        '--timeout=60s',
      ]);
    }
    waitRolloutPhase(NS, 'canary', 'Healthy');
    waitRolloutPhase(NS, 'own-ro', 'Healthy');
    // A second revision of each, so that a rollback has somewhere to go.
    kubectl(['-n', NS, 'set', 'image', 'deploy/pay', `app=${REPO}:1.1.0`]);
    kubectl(['-n', NS, 'rollout', 'status', 'deploy/pay', '--timeout=60s']);
    kubectl([
      '-n',
      NS,
      'patch',
      'rollouts.argoproj.io/canary',
      '--type=json',
      `-p=[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"${REPO}:1.1.0"}]`,
    ]);
    waitRolloutPhase(NS, 'canary', 'Healthy');

    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: testConfig([
            { name: 'test', namespace: NS },
            { name: 'per', namespacePerService: true },
            {
              name: 'locked',
              namespace: NS,
              allow: ['group:default/platform-team'],
            },
          ]),
        }),
        // Every user may deploy every entity: what stops the rogue here is the cluster's evidence.
        mockServices.permissions.factory(),
        auditor.factory,
        catalogServiceMock.factory({
          entities: [
            testComponent('pay', 'pay'),
            // registered by another team, naming pay's and canary's workloads
            testComponent('rogue', 'pay'),
            testComponent('rogue-canary', 'canary'),
            testComponent('foreign', 'foreign'),
            testComponent('own-ro', 'own-ro'),
            testComponent('per', PER),
            // names the namespace the platform gave to `per`
            withAnnotations(testComponent('squatter', 'squatter'), {
              'backstage.io/kubernetes-namespace': PER,
            }),
            testComponent('nowhere', `nowhere-${process.pid}`),
          ],
        }),
      ],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
    kubectl(['delete', 'namespace', PER, '--wait=false']);
  });

  const { post, get, postAndWait } = shipshapeApi(() => server, USER);

  it.each([
    ['deploy', 'rogue', 'deploy', { tag: '6.6.6' }, 'Deployment', 'pay'],
    ['roll back', 'rogue', 'rollback', {}, 'Deployment', 'pay'],
    [
      'deploy (Argo Rollout)',
      'rogue-canary',
      'deploy',
      { tag: '6.6.6' },
      'Rollout',
      'canary',
    ],
    [
      'roll back (Argo Rollout)',
      'rogue-canary',
      'rollback',
      {},
      'Rollout',
      'canary',
    ],
    ['pause (Argo Rollout)', 'rogue-canary', 'pause', {}, 'Rollout', 'canary'],
    [
      'promote (Argo Rollout)',
      'rogue-canary',
      'promote',
      {},
      'Rollout',
      'canary',
    ],
  ] as const)(
    'a rogue entity naming another’s kubernetes-id may not %s it: 403 with the owner, nothing changed',
    async (_what, rogue, route, body, kind, victim) => {
      const resource = kind === 'Rollout' ? 'rollouts.argoproj.io' : 'deploy';
      const before = state(resource, victim);
      for (const dryRun of [true, false]) {
        const res = await post(`${rogue}/${route}`, {
          environment: 'test',
          dryRun,
          ...body,
        });
        expect(res.status).toBe(403);
        expect(res.body.error).toMatchObject({
          name: 'NotAllowedError',
          message: `${kind} ${NS}/${victim} belongs to component:default/${victim} (annotation shipshape.dev/entity), not to component:default/${rogue}; nothing was changed`,
        });
      }
      expect(state(resource, victim)).toEqual(before);
      const ops = await get(`entities/component/default/${rogue}/operations`);
      expect(ops.body.items).toEqual([]);
    },
  );

  it('the owner pauses and promotes its own Rollout', async () => {
    const paused = () =>
      JSON.parse(
        kubectl([
          '-n',
          NS,
          'get',
          'rollouts.argoproj.io',
          'own-ro',
          '-o',
          'json',
        ]),
      ).spec.paused;
    const dry = await post('own-ro/pause', {
      environment: 'test',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(paused()).toBeFalsy();
    const res = await post('own-ro/pause', { environment: 'test' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      action: 'pause',
      dryRun: false,
      environment: 'test',
      cluster: 'local',
      namespace: NS,
      rollouts: ['own-ro'],
    });
    expect(paused()).toBe(true);
    expect((await post('own-ro/promote', { environment: 'test' })).status).toBe(
      200,
    );
    expect(paused()).toBe(false);
    // Both are operations: listed with the entity's others (paged), and audited.
    const page = await get(
      'entities/component/default/own-ro/operations?limit=1',
    );
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 0 });
    const rest = await get(
      'entities/component/default/own-ro/operations?limit=1&offset=1',
    );
    const ops = [...page.body.items, ...rest.body.items];
    expect(ops.map((o: any) => [o.kind, o.status])).toEqual([
      ['promote', 'succeeded'],
      ['pause', 'succeeded'],
    ]);
    expect(ops[1]).toMatchObject({
      entityRef: 'component:default/own-ro',
      requestedBy: USER,
      input: { environment: 'test', namespace: NS, rollouts: ['own-ro'] },
      outcomeReason: 'Paused own-ro in test',
    });
    const runs = auditor.createEvent.mock.calls
      .map(([e]) => e)
      .filter(e => e.eventId === 'operation-run' && e.meta?.kind === 'pause');
    expect(runs).toEqual([
      expect.objectContaining({
        meta: expect.objectContaining({
          entityRef: 'component:default/own-ro',
          environment: 'test',
          requestedBy: USER,
          operationId: ops[1].id,
        }),
      }),
    ]);
    const bad = await get(
      'entities/component/default/own-ro/operations?limit=0',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/limit/);
    const none = await post('per/promote', { environment: 'per' });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toMatch(
      /^No Argo Rollout labelled backstage.io\/kubernetes-id=per-\d+ in namespace per-\d+ .*only Rollouts can be paused or promoted$/,
    );
  });

  it('the owner is refused too while another entity claims its kubernetes-id, naming both', async () => {
    const before = state('deploy', 'pay');
    const res = await post('pay/deploy', { environment: 'test', tag: '1.2.0' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'backstage.io/kubernetes-id=pay is claimed by component:default/pay and component:default/rogue; refusing to act until only one entity claims it (the catalog flags the duplicate); nothing was changed',
    );
    expect(state('deploy', 'pay')).toEqual(before);
  });

  it('a workload with the entity’s labels that another Helm release manages: 409, nothing changed', async () => {
    const before = state('deploy', 'foreign');
    const res = await post('foreign/deploy', {
      environment: 'test',
      tag: '1.2.0',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      `Deployment ${NS}/foreign is managed by Helm release ${NS}/platform-bundle, but component:default/foreign is released as ${NS}/foreign in environment test; the portal changes a Helm-managed workload only through the service's own release (so its history stays Helm's): release it as foreign in namespace ${NS} with the service's workflow, or uninstall the other release; nothing was changed`,
    );
    expect(state('deploy', 'foreign')).toEqual(before);
  });

  it('one namespace per service: the card finds it and a deploy goes there', async () => {
    const status = await get('entities/component/default/per/rollout');
    expect(status.status).toBe(200);
    const per = status.body.environments.find(
      (e: any) => e.environment === 'per',
    );
    expect(per).toMatchObject({ status: 'ok', namespace: PER });
    expect(per.workloads.map((w: any) => `${w.namespace}/${w.name}`)).toEqual([
      `${PER}/${PER}`,
    ]);
    const op = await postAndWait('per/deploy', {
      environment: 'per',
      tag: '1.1.0',
    });
    expect(op.status).toBe('succeeded');
    expect(op.input).toMatchObject({ namespace: PER, release: PER });
    expect(state('deploy', PER, PER).image).toBe(`${REPO}:1.1.0`);
  });

  it('a namespace the platform gave to another entity: 403 naming it', async () => {
    const res = await post('squatter/deploy', {
      environment: 'per',
      tag: '1.2.0',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      `Namespace '${PER}' of cluster local belongs to component:default/per (annotation shipshape.dev/entity), not to component:default/squatter; nothing was changed`,
    );
  });

  it('a namespace that does not exist: 404 saying which, why and what to do', async () => {
    const res = await post('nowhere/deploy', {
      environment: 'per',
      tag: '1.2.0',
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      `Namespace 'nowhere-${process.pid}' does not exist in cluster local (environment per, one namespace per service, shipshape.environments[name=per].namespacePerService: named after the service's backstage.io/kubernetes-id). Release the service first with its workflow, which creates it (helm upgrade --install nowhere-${process.pid} ./chart -n nowhere-${process.pid} --create-namespace, as the template's release.yaml does), or create it (kubectl create namespace nowhere-${process.pid}); nothing was changed`,
    );
  });

  it('an environment that allows only some owners: 403 naming them', async () => {
    const res = await post('per/rollback', { environment: 'locked' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'Environment locked allows only group:default/platform-team (shipshape.environments[].allow); component:default/per (owner group:default/team-a) is not one of them',
    );
  });
});
