import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as k8s from '@kubernetes/client-node';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { readLocalStack } from '../testUtils/stack';
import { jobFromCronJob, jobOutcome } from './inCluster';

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
    ],
  },
};

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

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
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
      message: 'PodDisruptionBudget payments-api covers the pods',
    });
    expect(c['zone-spread']).toMatchObject({ status: 'pass' });
    expect(c['backup-schedule']).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(
        /^CronJob payments-api-backup \(0 2 \* \* \*\); last run .* succeeded$/,
      ),
    });
    expect(c.runbook.status).toBe('pass');
    // critical needs a second copy; no backup target offers one.
    expect(c['second-copy']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('Configure a second location'),
    });
  });

  it('fails orders-api on PDB and zone spread, with the fixes', async () => {
    const res = await get('orders-api');
    expect(res.status).toBe(200);
    const c = byId(res.body);
    expect(res.body.status).toBe('fail');
    expect(c.replicas.status).toBe('pass');
    expect(c.pdb).toMatchObject({
      status: 'fail',
      fix: 'Add a PodDisruptionBudget (minAvailable: 1) whose selector matches the pods',
    });
    expect(c['zone-spread']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('topologySpreadConstraints'),
    });
    expect(c['backup-target'].status).toBe('fail');
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
    const unknown = await get('payments-api', 'nowhere');
    expect(byId(unknown.body).replicas.message).toContain(
      "Unknown environment 'nowhere'",
    );
  });

  it('records a grade when it changes and returns what changed since the previous one', async () => {
    const first = await get('orders-api');
    const again = await get('orders-api');
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
      message: `PodDisruptionBudget ${pdbName} covers the pods`,
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
