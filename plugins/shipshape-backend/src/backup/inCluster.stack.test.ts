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
import { WorkloadOwnership } from '../kubernetes/placement';
import { shipshapePlugin } from '../plugin';
import {
  createServiceNamespace,
  kubectl,
  ownershipEvidence,
  readLocalStack,
  stackPaymentsConnection,
  testConfig,
} from '@internal/shipshape-test-utils';
import { readBackupConfig } from './config';
import { OperationEngine } from '../operations/engine';
import { testEngine } from '../operations/__testUtils__/engine';
import { BACKUP_ID_ANNOTATION } from './inCluster';
import { BackupService } from './service';
import { testBackupService } from './__testUtils__/service';

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
const rogue = `${RUN}-rogue`; // names ok's target and workload
const rogue2 = `${RUN}-rogue2`; // its own target, ok's workload
const rogue3 = `${RUN}-rogue3`; // its own target, ok's workload, the only entity naming it
const handed = `${RUN}-handed`; // its CronJob changes hands between plan and Job
const squatter = `${RUN}-sq`; // its own CronJob, in a namespace the platform gave to another

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
      // what the chart and Helm stamp: the owning entity and the release
      annotations: ownershipEvidence({
        name: `${id}-backup`,
        namespace: NS,
        kubernetesId: id,
        image: 'registry.example.test/pg-backup:16',
      }).annotations,
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

type Environments = Parameters<typeof testConfig>[0];

function configData(
  extra: Record<string, unknown> = {},
  environments: Environments = [{ name: 'staging', namespace: NS }],
) {
  const conn = stackPaymentsConnection('SHIPSHAPE_TEST_INCLUSTER_PG');
  const base = testConfig(environments);
  return {
    ...base,
    shipshape: {
      ...base.shipshape,
      backup: {
        storage: { type: 'local', directory: '/nonexistent-not-used' },
        inClusterTimeoutMinutes: 1,
        ...extra,
        targets: [
          ok,
          failing,
          stuck,
          stuck2,
          orphan,
          rogue2,
          rogue3,
          squatter,
          handed,
        ].map(name => ({
          name: `${name}-db`,
          connection: conn,
          allowedEntities: [`component:default/${name}`],
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

/** The backend with configData(), `entities` in its catalog, allowing the users `allows` names. */
function startBackend(
  entities: ReturnType<typeof entity>[],
  allows: (user: string | undefined) => boolean,
  environments?: Environments,
) {
  process.env.SHIPSHAPE_TEST_INCLUSTER_PG = stack.postgres.password;
  return startTestBackend({
    features: [
      shipshapePlugin,
      mockServices.rootConfig.factory({
        data: configData({}, environments),
      }),
      mockServices.permissions.mock({
        authorize: async (requests, { credentials }) =>
          requests.map(() => ({
            result: allows((credentials.principal as any).userEntityRef)
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
          })),
      }).factory,
      catalogServiceMock.factory({ entities }),
    ],
  });
}

describe('in-cluster backups through the HTTP API', () => {
  let server: any;

  beforeAll(async () => {
    ({ server } = await startBackend(
      [ok, failing, orphan].map(n => entity(n, `${n}-db`)),
      user => user === OWNER,
    ));
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
    // the rule across method and environment, stated by openapi.yaml's description
    const rule =
      'Invalid request: body: method in-cluster needs environment (one of shipshape.environments); pg_dump (the default) takes none, it uses the target from app-config';
    const noEnv = await post(ok, OWNER, { method: 'in-cluster' });
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.error.message).toBe(rule);
    const envOfPgDump = await post(ok, OWNER, { environment: 'staging' });
    expect(envOfPgDump.status).toBe(400);
    expect(envOfPgDump.body.error.message).toBe(rule);
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

describe('in-cluster runs across replica restarts (the operations engine, one PostgreSQL)', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
  let knex: Knex;
  const config = () =>
    new ConfigReader(configData({ inClusterTimeoutMinutes: 0.5 }));

  /** One backend replica: an engine named `name` with its backup handlers, started. */
  const replica = async (name: string, staleAfterMs = 60_000) => {
    const engine = testEngine(knex, {
      instanceId: name,
      heartbeatMs: 200,
      staleAfterMs,
    });
    const service = testBackupService({
      config: readBackupConfig(config())!,
      knex,
      engine,
      clusters: KubernetesClusters.fromConfig(config()),
      ownership: WorkloadOwnership.create({
        catalog: catalogServiceMock({
          entities: [entity(ok, `${ok}-db`), entity(stuck2, `${stuck2}-db`)],
        }),
        auth: mockServices.auth(),
      }),
    });
    await engine.start();
    return { engine, service };
  };
  const start = (svc: BackupService, id: string) =>
    svc.startInCluster({
      target: svc.target(`${id}-db`),
      entityRef: `component:default/${id}`,
      entity: entity(id, `${id}-db`),
      environment: 'staging',
      requestedBy: OWNER,
    });
  const atStep = async (svc: BackupService, id: string, step: string) => {
    while ((await svc.store.get(id)).step !== step) {
      await new Promise(r => setTimeout(r, 50));
    }
  };
  const logOf = async (engine: OperationEngine, id: string) =>
    (await engine.store.getLog(id)).map(l => l.message);

  beforeAll(async () => {
    process.env.SHIPSHAPE_TEST_INCLUSTER_PG = stack.postgres.password;
    knex = await databases.init('POSTGRES_15');
    await connectDatabase({ getClient: async () => knex } as any);
  });

  it('a replica restarted under the same name takes its run back at once and follows the same Job to the end', async () => {
    const a1 = await replica('node-a');
    const run = await start(a1.service, ok);
    await atStep(a1.service, run.record.id, 'job');
    // node-a stops: it stops following, the operation stays running in the database.
    await a1.engine.stop();
    expect(await a1.engine.store.get(run.record.id)).toMatchObject({
      status: 'running',
      claimedBy: 'node-a',
    });
    const t0 = Date.now();
    const a2 = await replica('node-a');
    expect(a2.engine.isRunningHere(run.record.id)).toBe(true);
    const tookMs = Date.now() - t0;
    const op = await a2.engine.waitFor(run.record.id);
    await a2.engine.stop();
    expect(op).toMatchObject({ kind: 'backup', status: 'succeeded' });
    const rec = await a2.service.store.get(run.record.id);
    expect(rec).toMatchObject({ status: 'succeeded', step: 'job' });
    expect(await logOf(a2.engine, run.record.id)).toEqual(
      expect.arrayContaining([
        'Backend instance node-a restarted while it ran; resumed',
        'Resuming at step job: backend instance node-a restarted while it ran',
        expect.stringMatching(/^Job .* succeeded/),
      ]),
    );
    // One Job for the backup: the resumed run followed it, it did not make another.
    const jobs = (await jobsOf(`${ok}-backup`)).filter(
      j => j.metadata?.annotations?.[BACKUP_ID_ANNOTATION] === rec.id,
    );
    expect(jobs.map(j => `${NS}/${j.metadata!.name}`)).toEqual([
      rec.location!.replace(/^local\/staging\/job\//, `${NS}/`),
    ]);
    // eslint-disable-next-line no-console
    console.log(`restart: own in-cluster run taken back in ${tookMs} ms`);
  });

  it("leaves a live replica's run alone, takes over a stopped replica's once stale, and follows its Job", async () => {
    // stale after 3 s: a loaded CI machine can delay a 200 ms heartbeat by a second or more
    const b = await replica('node-b', 3_000);
    const c = await replica('node-c', 3_000);
    try {
      // A Job that never gets a pod: a long-running backup, heartbeating.
      const run = await start(b.service, stuck2);
      await atStep(b.service, run.record.id, 'job');
      await expect(start(c.service, stuck2)).rejects.toThrow(
        new RegExp(
          `^backup:${stuck2}-db is busy: operation ${run.record.id} \\(backup, requested by ${OWNER}\\) is running`,
        ),
      );
      await new Promise(r => setTimeout(r, 3_500));
      expect(await b.engine.store.get(run.record.id)).toMatchObject({
        status: 'running',
        claimedBy: 'node-b',
      });
      // node-b dies (no more heartbeats): node-c takes the run over once it is stale.
      await b.engine.stop();
      for (let i = 0; !c.engine.isRunningHere(run.record.id); i++) {
        expect(i).toBeLessThan(100);
        await new Promise(r => setTimeout(r, 100));
      }
      // It follows the same Job: once its watch has seen the Job (node-c's first progress
      // line, after its resume line), deleting the Job ends the run with that reason.
      const jobName = run.record.location!.split('/').pop()!;
      for (let i = 0; ; i++) {
        const lines = await logOf(c.engine, run.record.id);
        const resumedAt = lines.findIndex(l =>
          l.startsWith('Resuming at step'),
        );
        const watching = lines.findIndex(
          (l, n) => n > resumedAt && l.startsWith(`Job ${jobName}: `),
        );
        if (resumedAt >= 0 && watching > resumedAt) break;
        expect(i).toBeLessThan(100);
        await new Promise(r => setTimeout(r, 100));
      }
      await batch.deleteNamespacedJob({ name: jobName, namespace: NS });
      await c.engine.waitFor(run.record.id);
      const rec = await c.service.store.get(run.record.id);
      expect(rec).toMatchObject({ status: 'failed', failedStep: 'job' });
      expect(rec.error).toContain(
        `Job ${NS}/${jobName} was deleted before it finished`,
      );
      expect(await logOf(c.engine, run.record.id)).toEqual(
        expect.arrayContaining([
          'Resuming at step job: its backend instance node-b stopped (taken over by node-c)',
        ]),
      );
    } finally {
      await Promise.all([b.engine.stop(), c.engine.stop()]);
    }
  });

  it('checks the CronJob again before it creates the Job: one that changed hands since the plan fails the run at create-job, no Job made', async () => {
    await batch.createNamespacedCronJob({
      namespace: NS,
      body: cronJob(handed, {}),
    });
    try {
      const e = await replica('node-e', 100);
      // the run is recorded but not started: it waits, queued, until the engine, stopped
      // meanwhile, is started again and claims it
      await e.engine.stop();
      jest.spyOn(e.engine.store, 'claim').mockResolvedValueOnce(false);
      const run = await start(e.service, handed);
      kubectl([
        '-n',
        NS,
        'annotate',
        'cronjob',
        `${handed}-backup`,
        'shipshape.dev/entity=component:default/someone-else',
        '--overwrite',
      ]);
      await new Promise(r => setTimeout(r, 300));
      await e.engine.start(); // takes the queued run over, as a replica would
      for (let i = 0; !e.engine.isRunningHere(run.record.id); i++) {
        expect(i).toBeLessThan(100);
        await new Promise(r => setTimeout(r, 100));
      }
      await e.engine.waitFor(run.record.id);
      await e.engine.stop();
      expect(await e.service.store.get(run.record.id)).toMatchObject({
        status: 'failed',
        failedStep: 'create-job',
        error: `CronJob ${NS}/${handed}-backup belongs to component:default/someone-else (annotation shipshape.dev/entity), not to component:default/${handed}; nothing was changed`,
      });
      expect(await jobsOf(`${handed}-backup`)).toEqual([]);
    } finally {
      await batch
        .deleteNamespacedCronJob({ namespace: NS, name: `${handed}-backup` })
        .catch(() => {});
    }
  });

  it('the plugin does it at startup: a backend named node-d by shipshape.operations.instanceName resumes its run', async () => {
    const before = await replica('node-d');
    const run = await start(before.service, ok);
    await atStep(before.service, run.record.id, 'job');
    await before.engine.stop();
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            ...configData(),
            shipshape: {
              ...configData().shipshape,
              operations: { instanceName: 'node-d' },
            },
          },
        }),
        catalogServiceMock.factory({ entities: [] }),
      ],
    });
    try {
      let r = await before.service.store.get(run.record.id);
      for (let i = 0; r.status === 'running' && i < 100; i++) {
        await new Promise(r2 => setTimeout(r2, 100));
        r = await before.service.store.get(run.record.id);
      }
      expect(r).toMatchObject({ status: 'succeeded', step: 'job' });
      expect(await logOf(before.engine, run.record.id)).toContain(
        'Resuming at step job: backend instance node-d restarted while it ran',
      );
    } finally {
      await backend.stop();
    }
  });
});

describe('a rogue entity naming the workload or target of another', () => {
  let server: any;
  const claim = (name: string, target: string) => ({
    ...entity(name, target),
    metadata: {
      name,
      annotations: {
        [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: target,
        'backstage.io/kubernetes-id': ok,
      },
    },
  });

  beforeAll(async () => {
    ({ server } = await startBackend(
      [
        entity(ok, `${ok}-db`),
        claim(rogue, `${ok}-db`),
        claim(rogue2, `${rogue2}-db`),
      ],
      () => true, // the rogue's author may back up their own entity
    ));
  });

  const post = (name: string) =>
    request(server)
      .post(`/api/shipshape/entities/component/default/${name}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({ method: 'in-cluster', environment: 'staging' });

  it('refuses each with the reason and starts no Job of the workload', async () => {
    const before = (await jobsOf(`${ok}-backup`)).map(j => j.metadata!.name);
    const viaTarget = await post(rogue);
    expect(viaTarget.status).toBe(403);
    expect(viaTarget.body.error.message).toBe(
      `component:default/${rogue} may not use backup target '${ok}-db': only component:default/${ok} may (app-config shipshape.backup.targets[name=${ok}-db].allowedEntities); an entity's backup-target annotation is a claim, an admin adds the entity to shipshape.backup.targets[name=${ok}-db].allowedEntities`,
    );
    const viaWorkload = await post(rogue2);
    expect(viaWorkload.status).toBe(409);
    expect(viaWorkload.body.error.message).toBe(
      `Workload '${ok}' is claimed by component:default/${rogue2} and also by component:default/${ok}, component:default/${rogue} (backstage.io/kubernetes-id); refusing until one entity claims it: only the entity that runs it may carry backstage.io/kubernetes-id: ${ok}`,
    );
    // two claimants: the owner is refused too, and told who else claims it
    const owner = await post(ok);
    expect(owner.status).toBe(409);
    expect(owner.body.error.message).toMatch(
      `Backup target '${ok}-db' is claimed by component:default/${ok} and also by component:default/${rogue} (shipshape.dev/backup-target)`,
    );
    expect((await jobsOf(`${ok}-backup`)).map(j => j.metadata!.name)).toEqual(
      before,
    );
    const history = await request(server)
      .get(`/api/shipshape/entities/component/default/${rogue}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(history.status).toBe(403);
  });
});

describe('a rogue entity that alone names the workload of another', () => {
  let server: any;

  beforeAll(async () => {
    // ok's own entity is not in this catalog: no duplicate claim to see, only the CronJob's
    // evidence says whose it is
    ({ server } = await startBackend(
      [
        {
          ...entity(rogue3, `${rogue3}-db`),
          metadata: {
            name: rogue3,
            annotations: {
              [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: `${rogue3}-db`,
              'backstage.io/kubernetes-id': ok,
            },
          },
        },
      ],
      () => true, // the rogue's author may back up their own entity
    ));
  });

  it("refuses it (403, the CronJob's owner named), dry run too, and creates and records nothing", async () => {
    const before = (await jobsOf(`${ok}-backup`)).map(j => j.metadata!.name);
    const refusal = `CronJob ${NS}/${ok}-backup belongs to component:default/${ok} (annotation shipshape.dev/entity), not to component:default/${rogue3}; nothing was changed`;
    for (const dryRun of [false, true]) {
      const res = await request(server)
        .post(`/api/shipshape/entities/component/default/${rogue3}/backups`)
        .set('Authorization', mockCredentials.user.header(OWNER))
        .send({ method: 'in-cluster', environment: 'staging', dryRun });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(refusal);
    }
    expect((await jobsOf(`${ok}-backup`)).map(j => j.metadata!.name)).toEqual(
      before,
    );
    const history = await request(server)
      .get(`/api/shipshape/entities/component/default/${rogue3}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([]);
  });
});

describe("the environment's allow-list and the namespace's owner", () => {
  let server: any;
  const PER = `${RUN}-per`;

  beforeAll(async () => {
    // a namespace the platform made for another entity; a CronJob in it that names the
    // squatter (as if its chart had been installed there)
    createServiceNamespace(PER);
    kubectl([
      'annotate',
      'namespace',
      PER,
      `shipshape.dev/entity=component:default/${ok}`,
    ]);
    await batch.createNamespacedCronJob({
      namespace: PER,
      body: {
        ...cronJob(squatter, {}),
        metadata: {
          name: `${squatter}-backup`,
          namespace: PER,
          labels: cronJob(squatter, {}).metadata!.labels,
          annotations: ownershipEvidence({
            name: `${squatter}-backup`,
            namespace: PER,
            kubernetesId: squatter,
            image: 'registry.example.test/pg-backup:16',
          }).annotations,
        },
      },
    });
    ({ server } = await startBackend(
      [
        entity(ok, `${ok}-db`),
        {
          ...entity(squatter, `${squatter}-db`),
          metadata: {
            name: squatter,
            annotations: {
              [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: `${squatter}-db`,
              'backstage.io/kubernetes-id': squatter,
              'backstage.io/kubernetes-namespace': PER,
            },
          },
        },
      ],
      () => true,
      [
        { name: 'staging', namespace: NS },
        { name: 'per', namespacePerService: true },
        { name: 'locked', namespace: NS, allow: ['group:default/platform'] },
      ],
    ));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', PER, '--wait=false']);
  });

  const post = (name: string, environment: string) =>
    request(server)
      .post(`/api/shipshape/entities/component/default/${name}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({ method: 'in-cluster', environment });

  it('refuses an environment that does not allow the entity, and a namespace of another entity (403 each), creating no Job', async () => {
    const before = (await jobsOf(`${ok}-backup`)).length;
    const locked = await post(ok, 'locked');
    expect(locked.status).toBe(403);
    expect(locked.body.error.message).toBe(
      `Environment locked allows only group:default/platform (shipshape.environments[].allow); component:default/${ok} (owner group:default/team-a) is not one of them`,
    );
    expect((await jobsOf(`${ok}-backup`)).length).toBe(before);

    const squat = await post(squatter, 'per');
    expect(squat.status).toBe(403);
    expect(squat.body.error.message).toBe(
      `Namespace '${PER}' of cluster local belongs to component:default/${ok} (annotation shipshape.dev/entity), not to component:default/${squatter}; nothing was changed`,
    );
    const jobs = await batch.listNamespacedJob({ namespace: PER });
    expect(jobs.items).toEqual([]);
    const history = await request(server)
      .get(`/api/shipshape/entities/component/default/${squatter}/backups`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(history.body.items).toEqual([]);
  });
});
