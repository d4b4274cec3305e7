import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { KubernetesClusters } from './clusters';
import {
  assertAllowed,
  assertNamespace,
  assertWorkloadBelongs,
  assertWorkloadsBelong,
  resolvePlacement,
  workloadRefOf,
} from './placement';

function clustersOf(environments: object[]) {
  return KubernetesClusters.fromConfig(
    new ConfigReader({ shipshape: { environments } }),
  );
}

const clusters = clustersOf([
  { name: 'staging', cluster: 'local', namespace: 'staging' },
  { name: 'dev', cluster: 'local', namespacePerService: true },
]);

function entity(annotations: Record<string, string>, owner = 'payments-team') {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', namespace: 'default', annotations },
    spec: { owner },
  } as Entity;
}

describe('where a service runs', () => {
  it('a fixed namespace for every service, one per service, or the entity’s own', () => {
    const id = { kubernetesId: 'payments-api' };
    expect(clusters.placement('staging', id)).toMatchObject({
      cluster: 'local',
      namespace: 'staging',
      release: 'payments-api',
    });
    expect(clusters.placement('dev', id)).toMatchObject({
      namespace: 'payments-api',
      release: 'payments-api',
    });
    const named = workloadRefOf(
      entity({
        'backstage.io/kubernetes-id': 'payments-api',
        'backstage.io/kubernetes-namespace': 'payments',
      }),
    );
    expect(clusters.placement('dev', named).namespace).toBe('payments');
    // In a shared namespace, an entity naming another one does not run there.
    expect(() => clusters.placement('staging', named)).toThrow(
      "backstage.io/kubernetes-namespace is 'payments', but environment staging runs every service in namespace 'staging' (shipshape.environments[].namespace)",
    );
  });

  it('a per-service environment keeps the services its admin lists in a shared namespace there', () => {
    const moving = clustersOf([
      {
        name: 'staging',
        cluster: 'local',
        namespacePerService: true,
        sharedNamespaces: [
          { namespace: 'staging', services: ['payments-api', 'orders-api'] },
        ],
      },
    ]);
    expect(
      moving.placement('staging', { kubernetesId: 'payments-api' }),
    ).toMatchObject({ namespace: 'staging', release: 'payments-api' });
    expect(
      moving.placement('staging', { kubernetesId: 'new-svc' }).namespace,
    ).toBe('new-svc');
    expect(
      moving.placement('staging', {
        kubernetesId: 'payments-api',
        namespace: 'staging',
      }).namespace,
    ).toBe('staging');
    expect(() =>
      moving.placement('staging', {
        kubernetesId: 'payments-api',
        namespace: 'payments',
      }),
    ).toThrow(
      "backstage.io/kubernetes-namespace is 'payments', but environment staging runs payments-api in namespace 'staging' (shipshape.environments[].sharedNamespaces)",
    );
    const key = 'shipshape.environments[name=x].sharedNamespaces';
    for (const [bad, message] of [
      [
        { namespace: 'staging', sharedNamespaces: [] },
        `${key}: only an environment with namespacePerService: true has shared namespaces; one with a fixed namespace runs every service there`,
      ],
      [
        {
          namespacePerService: true,
          sharedNamespaces: [{ namespace: 'Staging', services: ['a'] }],
        },
        `${key}: namespace 'Staging' is not a Kubernetes namespace name (lowercase letters, digits and '-')`,
      ],
      [
        {
          namespacePerService: true,
          sharedNamespaces: [
            { namespace: 'a', services: ['svc'] },
            { namespace: 'b', services: ['svc'] },
          ],
        },
        `${key}: service svc is listed in namespace 'a' and in 'b'; list it once`,
      ],
    ] as const) {
      expect(() =>
        clustersOf([{ name: 'x', cluster: 'local', ...bad }]),
      ).toThrow(message);
    }
  });

  it('refuses bad input with what and where', () => {
    expect(() => clusters.placement('qa', { kubernetesId: 'x' })).toThrow(
      "Unknown environment 'qa'; configured environments: staging, dev",
    );
    expect(() =>
      resolvePlacement(clusters.environment('dev'), {
        kubernetesId: 'x',
        namespace: 'Payments/../x',
      }),
    ).toThrow(
      /kubernetes-namespace is 'Payments\/..\/x'; expected a Kubernetes namespace name/,
    );
    expect(() => workloadRefOf(entity({}))).toThrow(
      'component:default/payments-api has no backstage.io/kubernetes-id annotation',
    );
    for (const bad of [
      {
        name: 'both',
        cluster: 'local',
        namespace: 'a',
        namespacePerService: true,
      },
      { name: 'neither', cluster: 'local' },
    ]) {
      expect(() => clustersOf([bad])).toThrow(
        `shipshape.environments[name=${bad.name}]: set exactly one of namespace (a fixed namespace) or namespacePerService: true`,
      );
    }
  });
});

describe('what proves a workload belongs to an entity', () => {
  const place = {
    name: 'staging',
    namespace: 'staging',
    release: 'payments-api',
  };
  const workload = (annotations: Record<string, string>) => ({
    kind: 'Deployment',
    metadata: { name: 'payments-api', namespace: 'staging', annotations },
  });
  const helm = {
    'meta.helm.sh/release-name': 'payments-api',
    'meta.helm.sh/release-namespace': 'staging',
  };

  it('the chart’s entity annotation, with Helm’s release or with no Helm release at all', () => {
    const ours = { 'shipshape.dev/entity': 'component:default/payments-api' };
    expect(
      assertWorkloadBelongs(
        place,
        'component:default/payments-api',
        workload({ ...ours, ...helm }),
      ),
    ).toBe(true);
    // not Helm's: the guarded image patch
    expect(
      assertWorkloadBelongs(
        place,
        'component:default/payments-api',
        workload(ours),
      ),
    ).toBe(false);
    expect(
      assertWorkloadsBelong(place, 'component:default/payments-api', [
        workload(ours),
        { ...workload(ours), kind: 'Rollout' },
      ]),
    ).toBe(false);
  });

  it('refuses another entity’s, an unclaimed one, another release’s and a mix of Helm’s and not', () => {
    const theirs = workload({
      'shipshape.dev/entity': 'component:default/payments-api',
      ...helm,
    });
    expect(() =>
      assertWorkloadBelongs(place, 'component:default/rogue', theirs),
    ).toThrow(
      expect.objectContaining({
        name: 'NotAllowedError',
        message:
          'Deployment staging/payments-api belongs to component:default/payments-api (annotation shipshape.dev/entity), not to component:default/rogue; nothing was changed',
      }),
    );
    // no evidence: refused whether Helm manages it or not
    for (const annotations of [helm, {}]) {
      expect(() =>
        assertWorkloadBelongs(
          place,
          'component:default/payments-api',
          workload(annotations),
        ),
      ).toThrow(
        expect.objectContaining({
          name: 'NotAllowedError',
          message: expect.stringContaining(
            'carries backstage.io/kubernetes-id but no shipshape.dev/entity annotation',
          ),
        }),
      );
    }
    const ours = { 'shipshape.dev/entity': 'component:default/payments-api' };
    expect(() =>
      assertWorkloadBelongs(
        place,
        'component:default/payments-api',
        workload({
          ...ours,
          'meta.helm.sh/release-name': 'platform-bundle',
          'meta.helm.sh/release-namespace': 'platform',
        }),
      ),
    ).toThrow(
      expect.objectContaining({
        name: 'ConflictError',
        message:
          "Deployment staging/payments-api is managed by Helm release platform/platform-bundle, but component:default/payments-api is released as staging/payments-api in environment staging; the portal changes a Helm-managed workload only through the service's own release (so its history stays Helm's): release it as payments-api in namespace staging with the service's workflow, or uninstall the other release; nothing was changed",
      }),
    );
    const worker = {
      kind: 'Deployment',
      metadata: {
        name: 'payments-worker',
        namespace: 'staging',
        annotations: ours,
      },
    };
    expect(() =>
      assertWorkloadsBelong(place, 'component:default/payments-api', [
        workload({ ...ours, ...helm }),
        worker,
      ]),
    ).toThrow(
      expect.objectContaining({
        name: 'ConflictError',
        message:
          'Deployment staging/payments-api is managed by Helm release staging/payments-api, Deployment staging/payments-worker is not (no meta.helm.sh/release-name annotation); one deploy of component:default/payments-api in environment staging is either one Helm revision or guarded image patches, not both: add the others to the chart, or remove their backstage.io/kubernetes-id label; nothing was changed',
      }),
    );
  });

  it('a namespace that does not exist: 404 naming where its name came from and what to do', async () => {
    const missing = {
      core: {
        readNamespace: async () => {
          throw Object.assign(new Error('namespaces not found'), {
            code: 404,
          });
        },
      },
    } as any;
    const per = clustersOf([
      {
        name: 'dev',
        cluster: 'local',
        namespacePerService: true,
        sharedNamespaces: [{ namespace: 'shared', services: ['payments-api'] }],
      },
    ]).environment('dev');
    const cases: Array<[object, RegExp]> = [
      [
        { ...clusters.environment('staging'), release: 'payments-api' },
        /^Namespace 'staging' does not exist in cluster local \(environment staging, shipshape.environments\[name=staging\].namespace\). Create it \(kubectl create namespace staging\), or set shipshape.environments\[name=staging\].namespace to the namespace the environment's services run in; nothing was changed$/,
      ],
      [
        resolvePlacement(per, { kubernetesId: 'orders' }),
        /^Namespace 'orders' does not exist in cluster local \(environment dev, one namespace per service, shipshape.environments\[name=dev\].namespacePerService: named after the service's backstage.io\/kubernetes-id\). Release the service first with its workflow, which creates it \(helm upgrade --install orders .\/chart -n orders --create-namespace, as the template's release.yaml does\), or create it \(kubectl create namespace orders\); nothing was changed$/,
      ],
      [
        resolvePlacement(per, { kubernetesId: 'orders', namespace: 'shop' }),
        /named after the entity's backstage.io\/kubernetes-namespace\).*helm upgrade --install orders .\/chart -n shop --create-namespace/,
      ],
      [
        resolvePlacement(per, { kubernetesId: 'payments-api' }),
        /^Namespace 'shared' does not exist in cluster local \(environment dev, shipshape.environments\[name=dev\].sharedNamespaces puts payments-api there\). Create it \(kubectl create namespace shared\), or change that entry; nothing was changed$/,
      ],
    ];
    for (const [where, message] of cases) {
      await expect(
        assertNamespace(missing, where as any, 'component:default/x'),
      ).rejects.toThrow(
        expect.objectContaining({
          name: 'NotFoundError',
          message: expect.stringMatching(message),
        }),
      );
    }
  });

  it('an environment’s allow-list names entities or owners', () => {
    const env = {
      ...clusters.environment('staging'),
      allow: ['group:default/payments-team'],
    };
    const id = { 'backstage.io/kubernetes-id': 'payments-api' };
    expect(() => assertAllowed(env, entity(id))).not.toThrow();
    expect(() =>
      assertAllowed(env, entity(id, 'group:default/orders-team')),
    ).toThrow(
      'Environment staging allows only group:default/payments-team (shipshape.environments[].allow); component:default/payments-api (owner group:default/orders-team) is not one of them',
    );
  });
});
