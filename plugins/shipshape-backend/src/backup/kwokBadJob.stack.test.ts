import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as k8s from '@kubernetes/client-node';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { connectDatabase } from '../database';
import { KubernetesClusters } from '../kubernetes/clusters';
import { WorkloadOwnership } from '../kubernetes/placement';
import {
  ownershipEvidence,
  readLocalStack,
  testConfig,
} from '@internal/shipshape-test-utils';
import { readBackupConfig } from './config';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(120_000);

// The stack's "bad backup image" kwok stage (scripts/stack/kwok-bad-job.yaml, what demo.sh's
// orders-api-backup relies on), checked on the real control plane without touching the
// stack's own kwok: a private kwok process with the stage files the stack uses manages one
// private, tainted fake node, and only this test's pods are scheduled there.
const stack = readLocalStack();
const repo = path.resolve(stack.stateDir, '..');
const RUN = `kb${process.pid.toString(36)}${Date.now().toString(36)}`;
const NS = 'staging';
const NODE = `${RUN}-node`;
const admin = new k8s.KubeConfig();
admin.loadFromFile(stack.kubernetes.adminKubeconfig);
const core = admin.makeApiClient(k8s.CoreV1Api);
const batch = admin.makeApiClient(k8s.BatchV1Api);
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
let kwok: ChildProcess | undefined;
let stagesDir: string | undefined;

beforeAll(async () => {
  const stages = path.join(
    process.env.SHIPSHAPE_TOOLS_DIR ?? path.join(repo, '.tools'),
    'kwok-stages',
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kwok-bad-job-'));
  stagesDir = dir;
  const config = path.join(dir, 'stages.yaml');
  fs.writeFileSync(
    config,
    [
      path.join(stages, 'node/fast/node-initialize.yaml'),
      path.join(
        stages,
        'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
      ),
      path.join(stages, 'pod/fast/pod-complete.yaml'),
      path.join(repo, 'scripts/stack/kwok-bad-release.yaml'),
      path.join(repo, 'scripts/stack/kwok-bad-job.yaml'),
    ]
      .map(f => fs.readFileSync(f, 'utf8'))
      .join('\n---\n'),
  );
  await core.createNode({
    body: {
      metadata: {
        name: NODE,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: NODE, 'kubernetes.io/hostname': NODE },
      },
      spec: { taints: [{ key: NODE, value: 'true', effect: 'NoSchedule' }] },
    },
  });
  kwok = spawn(
    path.join(stack.toolsBin, 'kwok'),
    [
      `--kubeconfig=${stack.kubernetes.adminKubeconfig}`,
      `--config=${config}`,
      `--manage-nodes-with-label-selector=type=${NODE}`,
      '--node-lease-duration-seconds=40',
      '--node-ip=127.0.0.1',
      '--cidr=10.246.0.0/16',
      `--server-address=127.0.0.1:${21000 + (process.pid % 5000)}`,
      '--v=WARN',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    const node = await core.readNode({ name: NODE });
    if (
      node.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      )
    ) {
      break;
    }
    if (i > 150) throw new Error(`private kwok node ${NODE} never got Ready`);
    await new Promise(r => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (stagesDir) fs.rmSync(stagesDir, { recursive: true, force: true });
  await batch
    .deleteNamespacedCronJob({
      namespace: NS,
      name: `${RUN}-backup`,
      propagationPolicy: 'Foreground',
    })
    .catch(() => {});
  // give kwok a moment to finish the deletion of the Job's pods, then stop it
  await new Promise(r => setTimeout(r, 2000));
  kwok?.kill('SIGTERM');
  await core.deleteNode({ name: NODE }).catch(() => {});
});

it("a backup Job whose image tag contains 'bad' fails with BackoffLimitExceeded and the container's error", async () => {
  await batch.createNamespacedCronJob({
    namespace: NS,
    body: {
      metadata: {
        name: `${RUN}-backup`,
        labels: {
          'backstage.io/kubernetes-id': RUN,
          'app.kubernetes.io/component': 'backup',
        },
        annotations: ownershipEvidence({
          name: `${RUN}-backup`,
          namespace: NS,
          kubernetesId: RUN,
          image: 'registry.example.test/shipshape/pg-backup:16-bad',
        }).annotations,
      },
      spec: {
        schedule: '0 2 * * *',
        suspend: true,
        jobTemplate: {
          spec: {
            backoffLimit: 1,
            template: {
              spec: {
                restartPolicy: 'Never',
                nodeSelector: { type: NODE },
                tolerations: [{ key: NODE, operator: 'Exists' }],
                containers: [
                  {
                    name: 'dump-and-verify',
                    image: 'registry.example.test/shipshape/pg-backup:16-bad',
                  },
                ],
              },
            },
          },
        },
      },
    },
  });
  const knex = await databases.init('SQLITE_3');
  await connectDatabase({ getClient: async () => knex } as any);
  // The stack's cluster and the staging environment, as the rollout tests configure them.
  const base = testConfig([{ name: 'staging', namespace: NS }]);
  const config = new ConfigReader({
    ...base,
    shipshape: {
      ...base.shipshape,
      backup: {
        storage: { type: 'local', directory: os.tmpdir() },
        inClusterTimeoutMinutes: 1.5,
        targets: [
          {
            name: 'bad-db',
            connection: { host: 'db', user: 'u', database: 'd' },
            allowedEntities: [`component:default/${RUN}`],
          },
        ],
      },
    },
  });
  const owner = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: RUN,
      annotations: { 'backstage.io/kubernetes-id': RUN },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
  const service = testBackupService({
    config: readBackupConfig(config)!,
    knex,
    clusters: KubernetesClusters.fromConfig(config),
    ownership: WorkloadOwnership.create({
      catalog: catalogServiceMock({ entities: [owner] }),
      auth: mockServices.auth(),
    }),
  });
  const { done } = await service.startInCluster({
    target: service.target('bad-db'),
    entityRef: `component:default/${RUN}`,
    entity: owner,
    environment: 'staging',
    requestedBy: 'user:default/owner',
  });
  const rec = await done;
  expect(rec).toMatchObject({
    status: 'failed',
    method: 'in-cluster',
    failedStep: 'job',
  });
  expect(rec.error).toMatch(
    /^Job kb.*-backup-manual-[0-9a-f]{6} failed: BackoffLimitExceeded: Job has reached the specified backoff limit; pod .* container dump-and-verify exited 1 \(Error: pg_dump: error: connection to server failed \(simulated bad backup image\)\)/,
  );
});
