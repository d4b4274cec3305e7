import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import * as k8s from '@kubernetes/client-node';
import { Knex } from 'knex';
import request from 'supertest';
import { connectDatabase } from '../database';
import { KubernetesClusters } from '../kubernetes/clusters';
import { shipshapePlugin } from '../plugin';
import { testConfig } from '../rollout/testCluster';
import { readLocalStack } from '../testUtils/stack';
import { readBackupConfig } from './config';
import { BackupService } from './service';

jest.setTimeout(180_000);

// In-cluster backups against the local stack's real control plane (kube-apiserver, the Job
// controller, kwok completing Job pods) and restart handling on one real PostgreSQL.
const stack = readLocalStack();
const RUN = `h3${process.pid.toString(36)}${Date.now().toString(36)}`;
const NS = 'staging';
const OWNER = 'user:default/owner-user';
const admin = new k8s.KubeConfig();
admin.loadFromFile(stack.kubernetes.adminKubeconfig);
const batch = admin.makeApiClient(k8s.BatchV1Api);

const ok = `${RUN}-ok`; // a CronJob whose Job completes (kwok completes Job pods)
const failing = `${RUN}-fail`; // its pods cannot be scheduled; the Job hits its deadline
const stuck = `${RUN}-stuck`; // its pods cannot be scheduled and it has no deadline
const stuck2 = `${RUN}-stuck2`;
const orphan = `${RUN}-none`; // no CronJob at all

function cronJob(
  id: string,
  opts: { unschedulable?: boolean; deadline?: number },
) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: `${id}-backup`,
      namespace: NS,
      labels: {
        'backstage.io/kubernetes-id': id,
        'app.kubernetes.io/component': 'backup',
      },
    },
    spec: {
      schedule: '0 3 * * *',
      suspend: true,
      jobTemplate: {
        metadata: { labels: { 'app.kubernetes.io/component': 'backup' } },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: opts.deadline,
          template: {
            spec: {
              restartPolicy: 'Never',
              nodeSelector: opts.unschedulable
                ? { 'shipshape.dev/no-such-node': 'true' }
                : undefined,
              containers: [
                { name: 'dump', image: 'registry.example.test/pg-backup:16' },
              ],
            },
          },
        },
      },
    },
  } as k8s.V1CronJob;
}

function entity(name: string, target: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: target,
        'backstage.io/kubernetes-id': name,
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
}

function configData(extra: Record<string, unknown> = {}) {
  const conn = {
    host: stack.postgres.host,
    port: stack.postgres.port,
    user: stack.postgres.user,
    database: 'payments',
    passwordEnv: 'SHIPSHAPE_TEST_INCLUSTER_PG',
  };
  const base = testConfig([{ name: 'staging', namespace: NS }]);
  return {
    ...base,
    shipshape: {
      ...base.shipshape,
      backup: {
        storage: { type: 'local', directory: '/nonexistent-not-used' },
        inClusterTimeoutMinutes: 1,
        ...extra,
        targets: [ok, failing, stuck, stuck2, orphan].map(name => ({
          name: `${name}-db`,
          connection: conn,
        })),
      },
    },
  };
}

async function jobsOf(cron: string): Promise<k8s.V1Job[]> {
  const list = await batch.listNamespacedJob({ namespace: NS });
  return list.items.filter(j =>
    j.metadata?.ownerReferences?.some(o => o.name === cron),
  );
}

beforeAll(async () => {
  for (const c of [
    cronJob(ok, {}),
    cronJob(failing, { unschedulable: true, deadline: 3 }),
    cronJob(stuck, { unschedulable: true }),
    cronJob(stuck2, { unschedulable: true }),
  ]) {
    await batch.createNamespacedCronJob({ namespace: NS, body: c });
  }
});

afterAll(async () => {
  for (const id of [ok, failing, stuck, stuck2]) {
    await batch
      .deleteNamespacedCronJob({
        namespace: NS,
        name: `${id}-backup`,
        propagationPolicy: 'Background',
      })
      .catch(() => {});
  }
});

describe('in-cluster backups through the HTTP API', () => {
  let server: any;

  beforeAll(async () => {
    process.env.SHIPSHAPE_TEST_INCLUSTER_PG = stack.postgres.password;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: configData() }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(() => ({
              result:
                (credentials.principal as any).userEntityRef === OWNER
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            })),
        }).factory,
        catalogServiceMock.factory({
          entities: [ok, failing, orphan].map(n => entity(n, `${n}-db`)),
        }),
      ],
    }));
  });

  const post = (name: string, user: string, body: object) =>
    request(server)
      .post(`/api/shipshape/entities/component/default/${name}/backups`)
      .set('Authorization', mockCredentials.user.header(user))
      .send(body);

  async function finished(name: string, id: string) {
    for (;;) {
      const res = await request(server)
        .get(`/api/shipshape/entities/component/default/${name}/backups/${id}`)
        .set('Authorization', mockCredentials.user.header(OWNER));
      expect(res.status).toBe(200);
      if (res.body.status !== 'running') return res.body;
      await new Promise(r => setTimeout(r, 250));
    }
  }

  it('creates a Job from the CronJob as kubectl create job --from does, follows it and records success', async () => {
    const t0 = Date.now();
    const res = await post(ok, OWNER, {
      method: 'in-cluster',
      environment: 'staging',
      reason: 'before the migration',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'running',
      method: 'in-cluster',
      requestedBy: OWNER,
      reason: 'before the migration',
    });
    const rec = await finished(ok, res.body.id);
    expect(rec).toMatchObject({
      status: 'succeeded',
      method: 'in-cluster',
      step: 'job',
      storageKey: `local/${NS}/cronjob/${ok}-backup`,
    });
    expect(rec.location).toMatch(
      new RegExp(`^local/${NS}/job/${ok}-backup-manual-[0-9a-f]{6}$`),
    );
    expect(rec.durationMs).toBeGreaterThan(0);
    const [job] = await jobsOf(`${ok}-backup`);
    const cron = await batch.readNamespacedCronJob({
      namespace: NS,
      name: `${ok}-backup`,
    });
    expect(job.metadata!.name).toBe(rec.location.split('/').pop());
    expect(job.metadata!.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
      'shipshape.dev/backup-id': rec.id,
    });
    expect(job.metadata!.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'CronJob',
        name: `${ok}-backup`,
        uid: cron.metadata!.uid,
        controller: true,
      }),
    ]);
    expect(job.status?.succeeded).toBe(1);
    // eslint-disable-next-line no-console
    console.log(
      `in-cluster backup: Job created and complete in ${Date.now() - t0} ms`,
    );

    const history = await request(server)
      .get(`/api/shipshape/entities/component/default/${ok}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(history.body.items[0]).toMatchObject({
      id: rec.id,
      method: 'in-cluster',
      status: 'succeeded',
    });
  });

  it("records a failed Job with the Job's failure reason", async () => {
    const res = await post(failing, OWNER, {
      method: 'in-cluster',
      environment: 'staging',
    });
    expect(res.status).toBe(202);
    const rec = await finished(failing, res.body.id);
    expect(rec).toMatchObject({
      status: 'failed',
      method: 'in-cluster',
      failedStep: 'job',
    });
    expect(rec.error).toMatch(
      new RegExp(
        `^Job ${failing}-backup-manual-[0-9a-f]{6} failed: DeadlineExceeded: `,
      ),
    );
  });

  it('says clearly when the entity has no backup CronJob, and records nothing', async () => {
    const res = await post(orphan, OWNER, {
      method: 'in-cluster',
      environment: 'staging',
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      `No CronJob labelled backstage.io/kubernetes-id=${orphan} in namespace ${NS} of cluster local (environment staging); the service's chart makes one when backup.enabled is true (templates' backup-cronjob.yaml)`,
    );
    const history = await request(server)
      .get(`/api/shipshape/entities/component/default/${orphan}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(history.body.items).toEqual([]);
  });

  it('refuses a non-owner and creates no Job', async () => {
    const before = (await jobsOf(`${ok}-backup`)).length;
    const res = await post(ok, 'user:default/stranger', {
      method: 'in-cluster',
      environment: 'staging',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      `You may not back up component:default/${ok} (permission shipshape.operation.backup)`,
    );
    expect((await jobsOf(`${ok}-backup`)).length).toBe(before);
  });

  it('a dry run names the CronJob and creates no Job', async () => {
    const before = (await jobsOf(`${ok}-backup`)).length;
    const res = await post(ok, OWNER, {
      method: 'in-cluster',
      environment: 'staging',
      dryRun: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      dryRun: true,
      method: 'in-cluster',
      target: `${ok}-db`,
      environment: 'staging',
      cluster: 'local',
      namespace: NS,
      cronJob: `${ok}-backup`,
    });
    expect((await jobsOf(`${ok}-backup`)).length).toBe(before);
    const none = await post(orphan, OWNER, {
      method: 'in-cluster',
      environment: 'staging',
      dryRun: true,
    });
    expect(none.status).toBe(404);
  });

  it('refuses bad bodies precisely', async () => {
    const noEnv = await post(ok, OWNER, { method: 'in-cluster' });
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.error.message).toBe(
      'An in-cluster backup needs environment (one of shipshape.environments)',
    );
    const badEnv = await post(ok, OWNER, {
      method: 'in-cluster',
      environment: 'moon',
    });
    expect(badEnv.status).toBe(400);
    expect(badEnv.body.error.message).toBe(
      "Unknown environment 'moon'; configured environments: staging",
    );
    const badMethod = await post(ok, OWNER, { method: 'rsync' });
    expect(badMethod.status).toBe(400);
    expect(badMethod.body.error.message).toMatch(
      // the OpenAPI validator or the router's own schema, whichever answers first
      /^Invalid request.*method: .*pg_dump.*in-cluster/,
    );
  });
});

describe('a restarted backend and its interrupted backups (two instances, one PostgreSQL)', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
  let knex: Knex;

  const instance = (name: string) => {
    const config = new ConfigReader(
      configData({
        instanceName: name,
        leaseSeconds: 1,
        inClusterTimeoutMinutes: 0.2,
      }),
    );
    return new BackupService(
      readBackupConfig(config)!,
      knex,
      mockServices.logger.mock(),
      KubernetesClusters.fromConfig(config),
    );
  };

  beforeAll(async () => {
    process.env.SHIPSHAPE_TEST_INCLUSTER_PG = stack.postgres.password;
    knex = await databases.init('POSTGRES_15');
    await connectDatabase({ getClient: async () => knex } as any);
  });

  it("fails its own interrupted run at once, keeps the other instance's, and frees the target", async () => {
    const a = instance('node-a');
    const b = instance('node-b');
    const start = (svc: BackupService, id: string) =>
      svc.startInCluster({
        target: svc.target(`${id}-db`),
        entityRef: `component:default/${id}`,
        kubernetesId: id,
        environment: 'staging',
        requestedBy: OWNER,
      });
    // Both run a Job that never gets a pod: long-running backups, heartbeating.
    const runA = await start(a, stuck);
    const runB = await start(b, stuck2);
    await expect(start(b, stuck)).rejects.toThrow(
      new RegExp(
        `A backup of ${stuck}-db is already running \\(${runA.record.id}`,
      ),
    );
    // Wait until both have created their Job (step 'job').
    for (;;) {
      const [ra, rb] = await Promise.all([
        a.store.get(runA.record.id),
        b.store.get(runB.record.id),
      ]);
      if (ra.step === 'job' && rb.step === 'job') break;
      await new Promise(r => setTimeout(r, 100));
    }

    // node-a "restarts": its old process stops heartbeating, a new instance with the same
    // name starts up.
    a.close();
    const a2 = instance('node-a');
    const t0 = Date.now();
    const recovered = await a2.recoverInterrupted();
    const tookMs = Date.now() - t0;
    expect(recovered.map(r => r.id)).toEqual([runA.record.id]);
    const ra = await a2.store.get(runA.record.id);
    expect(ra).toMatchObject({ status: 'failed', failedStep: 'job' });
    expect(ra.error).toMatch(
      /^abandoned at step job: backend instance node-a restarted while it ran; the Job local\/staging\/job\/.*-stuck-backup-manual-[0-9a-f]{6} may still run in the cluster$/,
    );
    expect(tookMs).toBeLessThan(1000);
    // eslint-disable-next-line no-console
    console.log(
      `restart: interrupted run failed and target freed in ${tookMs} ms`,
    );
    // node-b's run is alive (heartbeating): untouched, although older than the lease.
    await new Promise(r => setTimeout(r, 1500));
    expect(await a2.recoverInterrupted()).toEqual([]);
    expect((await a2.store.get(runB.record.id)).status).toBe('running');
    // The target's lock is free again.
    const again = await start(a2, stuck);
    expect(again.record.status).toBe('running');

    // When node-b stops heartbeating, any instance frees its run once the lease ran out.
    b.close();
    await new Promise(r => setTimeout(r, 1500));
    const freed = await a2.recoverInterrupted();
    expect(freed.map(r => r.id)).toContain(runB.record.id);
    expect((await a2.store.get(runB.record.id)).error).toMatch(
      /^abandoned at step job: its backend instance node-b stopped \(no heartbeat since /,
    );
    // The original runs' own ending does not overwrite the abandoned records.
    const [endA] = await Promise.all([runA.done, runB.done, again.done]);
    expect(endA.error).toMatch(/^abandoned at step job/);
    a2.close();
  });

  it("the plugin does it at startup: a backend started as node-c fails node-c's running backup", async () => {
    const before = instance('node-c');
    // A Job that never gets a pod: the run stays at step 'job' until its timeout.
    const run = await before.startInCluster({
      target: before.target(`${stuck}-db`),
      entityRef: `component:default/${stuck}`,
      kubernetesId: stuck,
      environment: 'staging',
      requestedBy: OWNER,
    });
    for (;;) {
      const r = await before.store.get(run.record.id);
      if (r.step === 'job') break;
      await new Promise(r2 => setTimeout(r2, 100));
    }
    // node-c stops (no more heartbeats) and starts again as a whole backend.
    before.close();
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: configData({ instanceName: 'node-c', leaseSeconds: 1 }),
        }),
        catalogServiceMock.factory({ entities: [] }),
      ],
    });
    try {
      let r = await before.store.get(run.record.id);
      for (let i = 0; r.status === 'running' && i < 50; i++) {
        await new Promise(r2 => setTimeout(r2, 100));
        r = await before.store.get(run.record.id);
      }
      expect(r).toMatchObject({ status: 'failed', failedStep: 'job' });
      expect(r.error).toMatch(
        /^abandoned at step job: backend instance node-c restarted while it ran/,
      );
    } finally {
      await backend.stop();
      await run.done;
    }
  });
});
