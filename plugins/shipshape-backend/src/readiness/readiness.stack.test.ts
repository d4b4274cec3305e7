import {
  SchedulerService,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as k8s from '@kubernetes/client-node';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { readLocalStack } from '@internal/shipshape-test-utils';
import { jobFromCronJob, jobOutcome } from '../kubernetes/jobs';
import { ARGO as ARGO_ROLLOUTS } from '../kubernetes/workloads';

jest.setTimeout(120_000);

// DR readiness against the local stack's real control plane: the demo's payments-api in
// production (3 replicas, a PDB, topologySpreadConstraints over the kwok zones; scripts/stack/demo.sh)
// and orders-api (3 replicas, neither), plus an environment whose cluster does not answer.
const stack = readLocalStack();
const RUN = `h8${process.pid.toString(36)}${Date.now().toString(36)}`;
const USER = 'user:default/reader';
const admin = new k8s.KubeConfig();
admin.loadFromFile(stack.kubernetes.adminKubeconfig);
const policy = admin.makeApiClient(k8s.PolicyV1Api);
const batch = admin.makeApiClient(k8s.BatchV1Api);
const core = admin.makeApiClient(k8s.CoreV1Api);
const apps = admin.makeApiClient(k8s.AppsV1Api);
const custom = admin.makeApiClient(k8s.CustomObjectsApi);
/** A namespace of the Argo Rollouts tests' own (deleted after them). */
const ROLLOUT_NS = `${RUN}-rollouts`;

function entity(name: string, annotations: Record<string, string>) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: { 'backstage.io/kubernetes-id': name, ...annotations },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
}

const config = {
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          {
            name: 'local',
            url: stack.kubernetes.url,
            caFile: stack.kubernetes.caFile,
            authProvider: 'serviceAccount',
            serviceAccountTokenFile: stack.kubernetes.readerTokenFile,
          },
          {
            // Nothing listens here: the cluster checks must warn, not crash.
            name: 'gone',
            url: 'https://127.0.0.1:1',
            skipTLSVerify: true,
            authProvider: 'serviceAccount',
            serviceAccountToken: 'unused',
          },
        ],
      },
    ],
  },
  shipshape: {
    environments: [
      { name: 'production', cluster: 'local', namespace: 'production' },
      { name: 'staging', cluster: 'local', namespace: 'staging' },
      { name: 'dr-site', cluster: 'gone', namespace: 'production' },
      { name: 'rollouts', cluster: 'local', namespace: ROLLOUT_NS },
    ],
  },
};

/**
 * The zones of the nodes the running pods (of ReplicaSets) labelled app.kubernetes.io/name=`app`
 * are on, read with the admin credentials: what the readiness check should find with the read token.
 */
async function podZonesByAdmin(namespace: string, app: string) {
  const pods = await core.listNamespacedPod({
    namespace,
    labelSelector: `app.kubernetes.io/name=${app}`,
  });
  const nodes = pods.items
    .filter(
      p =>
        p.metadata?.ownerReferences?.[0]?.kind === 'ReplicaSet' &&
        p.status?.phase === 'Running',
    )
    .map(p => p.spec!.nodeName!);
  const zones = await Promise.all(
    nodes.map(
      async n =>
        (
          await core.readNode({ name: n })
        ).metadata!.labels!['topology.kubernetes.io/zone'],
    ),
  );
  return [...new Set(zones)].sort();
}

/** Creates a Job from the CronJob (as `kubectl create job --from` does) and waits for its end. */
async function runJobFrom(
  cronJob: string,
  namespace: string,
  jobName: string,
  adjust: (job: k8s.V1Job) => k8s.V1Job = job => job,
) {
  const cron = await batch.readNamespacedCronJob({ name: cronJob, namespace });
  const body = adjust(jobFromCronJob(cron, jobName, {}));
  await batch.createNamespacedJob({ namespace, body });
  for (let i = 0; ; i++) {
    const now = await batch.readNamespacedJob({ name: jobName, namespace });
    const outcome = jobOutcome(now);
    if (outcome) return outcome;
    if (i > 120) throw new Error(`Job ${jobName} did not end`);
    await new Promise(r => setTimeout(r, 500));
  }
}

describe('GET /entities/.../dr-readiness', () => {
  let server: any;
  const pdbName = `${RUN}-orders`;
  const jobName = `orders-api-backup-${RUN}`;
  // payments-api's schedule passes only once its CronJob has run: on a fresh stack it has not
  const paymentsJob = `payments-api-backup-${RUN}`;

  // The plugin's scheduler, to run the grading pass when the test says so (it is scheduled
  // every 15 minutes, after a delay, so it does not run by itself here).
  let scheduler: SchedulerService;
  const schedulerOfPlugin = createBackendModule({
    pluginId: 'shipshape',
    moduleId: 'test-scheduler',
    register(env) {
      env.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init(deps) {
          scheduler = deps.scheduler;
        },
      });
    },
  });
  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        schedulerOfPlugin,
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({
          entities: [
            entity('payments-api', {
              'shipshape.dev/tier': 'critical',
              'shipshape.dev/rpo': '15m',
              'shipshape.dev/rto': '1h',
              'shipshape.dev/runbook':
                'https://docs.example.com/payments-api/runbook',
            }),
            entity('orders-api', { 'shipshape.dev/tier': 'standard' }),
            entity('legacy-billing', {}),
          ],
        }),
      ],
    }));
  });

  afterAll(async () => {
    await policy
      .deleteNamespacedPodDisruptionBudget({
        name: pdbName,
        namespace: 'production',
      })
      .catch(() => {});
    for (const [name, namespace] of [
      [jobName, 'staging'],
      [paymentsJob, 'production'],
    ]) {
      await batch
        .deleteNamespacedJob({
          name,
          namespace,
          propagationPolicy: 'Background',
        })
        .catch(() => {});
    }
  });

  const get = (name: string, environment?: string) =>
    request(server)
      .get(
        `/api/shipshape/entities/component/default/${name}/dr-readiness${
          environment ? `?environment=${environment}` : ''
        }`,
      )
      .set('Authorization', mockCredentials.user.header(USER));
  const byId = (body: any) =>
    Object.fromEntries(body.checks.map((c: any) => [c.id, c]));

  it('passes payments-api on replicas, PDB and zone spread in production', async () => {
    expect(
      await runJobFrom('payments-api-backup', 'production', paymentsJob),
    ).toMatchObject({ state: 'succeeded' });
    const res = await get('payments-api');
    expect(res.status).toBe(200);
    const c = byId(res.body);
    expect(res.body.environment).toBe('production');
    expect(c.replicas).toMatchObject({
      status: 'pass',
      message: 'Deployment payments-api runs 3 replicas in production',
    });
    expect(c.pdb).toMatchObject({
      status: 'pass',
      message:
        'PodDisruptionBudget payments-api covers the pods of Deployment payments-api',
    });
    // 3 pods, DoNotSchedule over the kwok zones (2 nodes in zone-a, 1 in zone-b): 2 + 1.
    expect(c['zone-spread']).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Deployment payments-api spread across zones by topologySpreadConstraints (now in zone-a, zone-b)',
    });
    expect(c['backup-schedule']).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(
        /^CronJob payments-api-backup \(0 2 \* \* \*\); last run .* succeeded$/,
      ),
    });
    expect(c.runbook.status).toBe('pass');
    // the demo's probes and version tag, read from the cluster (scripts/stack/demo.sh)
    expect(c.probes).toEqual({
      id: 'probes',
      status: 'pass',
      message:
        'Every container of Deployment payments-api has readiness and liveness probes',
    });
    expect(c['image-pinned']).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(
        /^Deployment payments-api runs images pinned by version tag or digest \(registry\.example\.test\/shipshape\/payments-api:/,
      ),
    });
    // this backend configures no backup target: the check says so, not just 'none named'
    expect(c['backup-target']).toEqual({
      id: 'backup-target',
      status: 'fail',
      message: 'No backup target: nothing backs up this tier critical service',
      fix: 'Set shipshape.dev/backup-target to a target from app-config shipshape.backup.targets (none is configured yet)',
    });
    // critical needs a second copy; no backup target offers one.
    expect(c['second-copy']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('Configure a second location'),
    });
  });

  it('fails orders-api on its PDB; no zone constraint: warns or fails by where its pods really run', async () => {
    const zones = await podZonesByAdmin('production', 'orders-api');
    const res = await get('orders-api');
    expect(res.status).toBe(200);
    const c = byId(res.body);
    expect(res.body.status).toBe('fail');
    expect(c.replicas.status).toBe('pass');
    expect(c.pdb).toMatchObject({
      status: 'fail',
      fix: 'Add a PodDisruptionBudget (minAvailable: 1) whose selector matches the pods',
    });
    // The scheduler's default spreading usually puts its 3 pods in both zones: warn, since
    // nothing keeps them there; all in one zone: fail (standard tier, 2 replicas asked).
    expect(c['zone-spread']).toMatchObject(
      zones.length >= 2
        ? {
            status: 'warn',
            message: `Pods of Deployment orders-api happen to run in ${zones.join(
              ', ',
            )}, but nothing keeps them spread across zones`,
          }
        : {
            status: 'fail',
            message: `All pods of Deployment orders-api run in zone ${zones[0]}`,
          },
    );
    expect(c['zone-spread'].fix).toContain('topologySpreadConstraints');
    expect(c['backup-target'].status).toBe('fail');
  });

  it('fails legacy-billing, whose container has no probes, naming it', async () => {
    const c = byId((await get('legacy-billing')).body);
    expect(c.probes).toMatchObject({
      status: 'fail',
      message:
        'Deployment legacy-billing in production: app (no readiness or liveness probe)',
    });
  });

  it("fails the backup schedule when the CronJob's newest Job failed", async () => {
    // A Job of orders-api's backup CronJob that fails: its pod cannot be scheduled and the
    // Job has a 3 s deadline (the stack's kwok completes any pod that runs).
    const outcome = await runJobFrom(
      'orders-api-backup',
      'staging',
      jobName,
      job => ({
        ...job,
        spec: {
          ...job.spec!,
          activeDeadlineSeconds: 3,
          template: {
            ...job.spec!.template,
            spec: {
              ...job.spec!.template.spec!,
              nodeSelector: { 'shipshape.dev/no-such-node': 'true' },
            },
          },
        },
      }),
    );
    expect(outcome).toMatchObject({ state: 'failed' });
    const res = await get('orders-api', 'staging');
    expect(byId(res.body)['backup-schedule']).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(`(Job ${jobName}) failed`),
      fix: expect.stringContaining('pod logs'),
    });
  });

  it('warns the cluster checks with the reason when the cluster does not answer', async () => {
    const res = await get('payments-api', 'dr-site');
    expect(res.status).toBe(200);
    const c = byId(res.body);
    for (const id of ['backup-schedule', 'replicas', 'pdb', 'zone-spread']) {
      expect(c[id].status).toBe('warn');
      expect(c[id].message).toMatch(
        /^Cannot read the dr-site cluster: .*ECONNREFUSED/,
      );
    }
    // an environment that is not configured is bad input (400 naming the configured ones)
    const unknown = await get('payments-api', 'nowhere');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain(
      "environment: 'nowhere' is not one of shipshape.environments",
    );
  });

  it('records a grade when it changes (on schedule, not on read) and returns what changed since the previous one', async () => {
    // A read records nothing: the grade is dated when it is read until the pass records it.
    const read = await get('orders-api');
    await new Promise(r => setTimeout(r, 10));
    await scheduler.triggerTask('shipshape-dr-grades');
    const first = await get('orders-api');
    const again = await get('orders-api');
    expect(first.body.gradedAt > read.body.gradedAt).toBe(true);
    // Unchanged: the same grade, first recorded at the same time.
    expect(again.body.gradedAt).toBe(first.body.gradedAt);
    expect(byId(first.body).pdb.status).toBe('fail');

    await policy.createNamespacedPodDisruptionBudget({
      namespace: 'production',
      body: {
        metadata: { name: pdbName },
        spec: {
          minAvailable: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': 'orders-api' } },
        },
      },
    });
    const after = await get('orders-api');
    expect(byId(after.body).pdb).toMatchObject({
      status: 'pass',
      message: `PodDisruptionBudget ${pdbName} covers the pods of Deployment orders-api`,
    });
    expect(after.body.gradedAt > first.body.gradedAt).toBe(true);
    expect(after.body.previous).toEqual({
      status: first.body.status,
      gradedAt: first.body.gradedAt,
    });
    expect(after.body.changes).toEqual([
      { id: 'pdb', from: 'fail', to: 'pass' },
    ]);
  });
});

// Services deployed as Argo Rollouts (the stack runs the real controller): Rollouts, a Deployment
// and PDBs created here, in a namespace of the tests' own.
describe('GET /entities/.../dr-readiness for Argo Rollouts', () => {
  let server: any;
  const ARGO = { ...ARGO_ROLLOUTS, namespace: ROLLOUT_NS };
  const spread = (app: string) => [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': app } },
    },
  ];
  /** Pod template and selector of `app`, labelled for the entity `id`. */
  const podSpec = (app: string, id: string, zoneSpread: boolean) => ({
    selector: { matchLabels: { 'app.kubernetes.io/name': app } },
    template: {
      metadata: {
        labels: {
          'app.kubernetes.io/name': app,
          'backstage.io/kubernetes-id': id,
        },
      },
      spec: {
        containers: [{ name: 'app', image: `registry.example.test/${app}:1` }],
        ...(zoneSpread ? { topologySpreadConstraints: spread(app) } : {}),
      },
    },
  });
  const meta = (name: string, id: string) => ({
    name,
    namespace: ROLLOUT_NS,
    labels: { 'backstage.io/kubernetes-id': id },
  });
  const rollout = (name: string, id: string, spec: object) =>
    custom.createNamespacedCustomObject({
      ...ARGO,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: meta(name, id),
        spec: {
          strategy: { canary: { steps: [{ setWeight: 50 }] } },
          ...spec,
        },
      },
    });
  const pdb = (app: string) =>
    policy.createNamespacedPodDisruptionBudget({
      namespace: ROLLOUT_NS,
      body: {
        metadata: { name: app },
        spec: {
          minAvailable: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': app } },
        },
      },
    });

  /** Waits until the controller took the Rollout up and kwok runs its `replicas` pods. */
  async function healthy(name: string, replicas: number) {
    for (let i = 0; ; i++) {
      const r: any = await custom.getNamespacedCustomObject({ ...ARGO, name });
      if (
        r.status?.phase === 'Healthy' &&
        r.status?.availableReplicas === replicas
      )
        return;
      if (i > 120) {
        throw new Error(
          `Rollout ${name} not Healthy: ${JSON.stringify(r.status)}`,
        );
      }
      await new Promise(res => setTimeout(res, 500));
    }
  }

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ROLLOUT_NS } } });
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({
          entities: ['cart-api', 'lone-api', 'mixed-api', 'ref-api'].map(name =>
            entity(name, { 'shipshape.dev/tier': 'standard' }),
          ),
        }),
      ],
    }));
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: ROLLOUT_NS }).catch(() => {});
  });

  const get = (name: string) =>
    request(server)
      .get(
        `/api/shipshape/entities/component/default/${name}/dr-readiness?environment=rollouts`,
      )
      .set('Authorization', mockCredentials.user.header(USER));
  const byId = (body: any) =>
    Object.fromEntries(body.checks.map((c: any) => [c.id, c]));

  it('passes a Rollout with 3 replicas, a PDB and zone spread', async () => {
    await rollout('cart-api', 'cart-api', {
      replicas: 3,
      ...podSpec('cart-api', 'cart-api', true),
    });
    await pdb('cart-api');
    await healthy('cart-api', 3);
    const res = await get('cart-api');
    expect(res.status).toBe(200);
    const c = byId(res.body);
    expect(c.replicas).toEqual({
      id: 'replicas',
      status: 'pass',
      message: 'Rollout cart-api runs 3 replicas in rollouts',
    });
    expect(c.pdb).toEqual({
      id: 'pdb',
      status: 'pass',
      message:
        'PodDisruptionBudget cart-api covers the pods of Rollout cart-api',
    });
    expect(c['zone-spread']).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Rollout cart-api spread across zones by topologySpreadConstraints (now in zone-a, zone-b)',
    });
  });

  it('fails a Rollout with 1 replica, no PDB and no zone spread, with the fixes', async () => {
    await rollout('lone-api', 'lone-api', {
      replicas: 1,
      ...podSpec('lone-api', 'lone-api', false),
    });
    await healthy('lone-api', 1);
    const [zone, ...more] = await podZonesByAdmin(ROLLOUT_NS, 'lone-api');
    expect(more).toEqual([]);
    const res = await get('lone-api');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('fail');
    const c = byId(res.body);
    expect(c.replicas).toEqual({
      id: 'replicas',
      status: 'fail',
      message:
        'Rollout lone-api runs 1 replica(s) in rollouts; the standard tier asks for 2',
      fix: 'Set replicas to at least 2',
    });
    expect(c.pdb).toEqual({
      id: 'pdb',
      status: 'fail',
      message: 'No PodDisruptionBudget selects the pods of Rollout lone-api',
      fix: 'Add a PodDisruptionBudget (minAvailable: 1) whose selector matches the pods',
    });
    // its one pod is in one zone, and no constraint: fail (the standard tier asks for 2)
    expect(c['zone-spread']).toMatchObject({
      status: 'fail',
      message: `All pods of Rollout lone-api run in zone ${zone}`,
      fix: expect.stringContaining('topologySpreadConstraints'),
    });
  });

  it('checks both a Deployment and a Rollout of one service: the weaker counts, named', async () => {
    await apps.createNamespacedDeployment({
      namespace: ROLLOUT_NS,
      body: {
        metadata: meta('mixed-api', 'mixed-api'),
        spec: { replicas: 3, ...podSpec('mixed-api', 'mixed-api', true) },
      },
    });
    await pdb('mixed-api');
    const before = byId((await get('mixed-api')).body);
    expect(before.replicas).toMatchObject({
      status: 'pass',
      message: 'Deployment mixed-api runs 3 replicas in rollouts',
    });
    expect(before.pdb.status).toBe('pass');

    await rollout('mixed-api-canary', 'mixed-api', {
      replicas: 1,
      ...podSpec('mixed-api-canary', 'mixed-api', false),
    });
    const c = byId((await get('mixed-api')).body);
    expect(c.replicas).toMatchObject({
      status: 'fail',
      message:
        'Rollout mixed-api-canary runs 1 replica(s) in rollouts; the standard tier asks for 2',
    });
    expect(c.pdb).toMatchObject({
      status: 'fail',
      message:
        'No PodDisruptionBudget selects the pods of Rollout mixed-api-canary',
    });
    expect(c['zone-spread']).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('Rollout mixed-api-canary'),
    });
  });

  it('says a Rollout with spec.workloadRef is not read for its PDB and zone spread', async () => {
    await rollout('ref-api', 'ref-api', {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'ref-api' } },
      workloadRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'ref-api-template',
      },
    });
    const c = byId((await get('ref-api')).body);
    expect(c.replicas).toMatchObject({
      status: 'pass',
      message: 'Rollout ref-api runs 2 replicas in rollouts',
    });
    for (const id of ['pdb', 'zone-spread']) {
      expect(c[id]).toMatchObject({
        status: 'warn',
        message:
          'Rollout ref-api takes its pod template from spec.workloadRef (Deployment ref-api-template), which Shipshape does not read',
      });
    }
  });
});

// The zones come from the nodes the pods really run on (the stack's kwok nodes: kwok-node-a1 and
// -a2 in zone-a, -b1 in zone-b), read with the stack's read token; and a token that may not get
// nodes leaves them unknown (the constraint alone counts).
describe('GET /entities/.../dr-readiness: zones from the nodes', () => {
  let server: any;
  const NS = `${RUN}-zones`;
  const SA = 'no-nodes';

  /** A Deployment of `name` whose pods carry a zone spread constraint, optionally pinned. */
  async function deploy(
    name: string,
    replicas: number,
    spread: 'DoNotSchedule' | 'ScheduleAnyway',
    nodeSelector?: Record<string, string>,
  ) {
    const labels = { 'app.kubernetes.io/name': name };
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: {
          name,
          namespace: NS,
          labels: { 'backstage.io/kubernetes-id': name },
        },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels: { ...labels, 'backstage.io/kubernetes-id': name },
            },
            spec: {
              containers: [
                { name: 'app', image: `registry.example.test/${name}:1` },
              ],
              nodeSelector,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'topology.kubernetes.io/zone',
                  whenUnsatisfiable: spread,
                  labelSelector: { matchLabels: labels },
                },
              ],
            },
          },
        },
      },
    });
    for (let i = 0; ; i++) {
      const d = await apps.readNamespacedDeployment({ name, namespace: NS });
      if (d.status?.readyReplicas === replicas) return;
      if (i > 120) {
        throw new Error(
          `Deployment ${name} not ready: ${JSON.stringify(d.status)}`,
        );
      }
      await new Promise(res => setTimeout(res, 500));
    }
  }

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: NS } } });
    // A token that reads the namespace's workloads but not nodes (a Role: no cluster scope).
    await core.createNamespacedServiceAccount({
      namespace: NS,
      body: { metadata: { name: SA } },
    });
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: SA },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
          {
            apiGroups: ['apps'],
            resources: ['deployments', 'replicasets'],
            verbs: ['get', 'list'],
          },
          {
            apiGroups: ['policy'],
            resources: ['poddisruptionbudgets'],
            verbs: ['get', 'list'],
          },
          {
            apiGroups: ['batch'],
            resources: ['cronjobs', 'jobs'],
            verbs: ['get', 'list'],
          },
          {
            apiGroups: ['argoproj.io'],
            resources: ['rollouts'],
            verbs: ['get', 'list'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: SA },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: SA,
        },
        subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: SA,
      namespace: NS,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    await Promise.all([
      deploy('spread-api', 3, 'DoNotSchedule'),
      // ScheduleAnyway with a single-zone node pool (here: a nodeSelector): all in zone-a.
      deploy('pinned-api', 2, 'ScheduleAnyway', {
        'topology.kubernetes.io/zone': 'zone-a',
      }),
    ]);
    const local = config.kubernetes.clusterLocatorMethods[0].clusters[0];
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    local,
                    {
                      name: 'no-nodes',
                      url: local.url,
                      caFile: local.caFile,
                      authProvider: 'serviceAccount',
                      serviceAccountToken: token.status!.token,
                    },
                  ],
                },
              ],
            },
            shipshape: {
              environments: [
                { name: 'zones', cluster: 'local', namespace: NS },
                { name: 'zones-blind', cluster: 'no-nodes', namespace: NS },
              ],
            },
          },
        }),
        catalogServiceMock.factory({
          entities: ['spread-api', 'pinned-api'].map(name =>
            entity(name, { 'shipshape.dev/tier': 'standard' }),
          ),
        }),
      ],
    }));
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: NS }).catch(() => {});
  });

  const zoneCheck = async (name: string, environment: string) => {
    const res = await request(server)
      .get(
        `/api/shipshape/entities/component/default/${name}/dr-readiness?environment=${environment}`,
      )
      .set('Authorization', mockCredentials.user.header(USER));
    expect(res.status).toBe(200);
    return res.body.checks.find((c: any) => c.id === 'zone-spread');
  };

  it('names the zones its pods run in, read from their nodes', async () => {
    expect(await podZonesByAdmin(NS, 'spread-api')).toEqual([
      'zone-a',
      'zone-b',
    ]);
    expect(await zoneCheck('spread-api', 'zones')).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Deployment spread-api spread across zones by topologySpreadConstraints (now in zone-a, zone-b)',
    });
  });

  it('warns when the constraint is there but every pod runs in one zone', async () => {
    expect(await podZonesByAdmin(NS, 'pinned-api')).toEqual(['zone-a']);
    expect(await zoneCheck('pinned-api', 'zones')).toEqual({
      id: 'zone-spread',
      status: 'warn',
      message:
        'Deployment pinned-api has a topologySpreadConstraint on topology.kubernetes.io/zone, but all 2 pods run in zone zone-a: whenUnsatisfiable ScheduleAnyway or a single-zone node pool?',
      fix: expect.stringContaining('DoNotSchedule'),
    });
  });

  it('falls back to the constraint alone, saying why, when the token may not get nodes', async () => {
    for (const name of ['spread-api', 'pinned-api']) {
      expect(await zoneCheck(name, 'zones-blind')).toEqual({
        id: 'zone-spread',
        status: 'pass',
        message: `Pods of Deployment ${name} spread across zones by topologySpreadConstraints (zones of its pods unknown: the read token may not get nodes)`,
      });
    }
  });
});
