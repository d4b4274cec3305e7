import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { connectDatabase } from '../database';
import { KubernetesClusters } from '../kubernetes/clusters';
import { OperationEngine } from '../operations/engine';
import { OperationStore } from '../operations/store';
import { DeployHandler } from './handlers';
import { planDeploy } from './plan';
import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testDeployment,
  testRollout,
} from '@internal/shipshape-test-utils';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const REPO = 'registry.example.test/shipshape/resume-demo';

describe('a restarted backend resumes a rollout it did not start', () => {
  const ns = `shipshape-resume-${process.pid}`;
  beforeAll(() => {
    createServiceNamespace(ns);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  const cases = [
    ...databases.eachSupportedId().map(([id]) => [id, 'Deployment'] as const),
    // An Argo Rollout (the stack's real controller), on one database: the store is the same.
    ['SQLITE_3', 'Rollout'] as const,
  ];
  it.each(cases)('on %p, a %p', async (databaseId, kind) => {
    const name = `resume-${String(databaseId)
      .toLowerCase()
      .replace(/_/g, '')}-${kind.toLowerCase()}`;
    const spec = {
      name,
      namespace: ns,
      kubernetesId: name,
      image: `${REPO}:1.0.0`,
      replicas: 4,
    };
    if (kind === 'Rollout') {
      kubectl(['apply', '-f', '-'], testRollout(spec));
      kubectl([
        '-n',
        ns,
        'wait',
        `rollouts.argoproj.io/${name}`,
        '--for=jsonpath={.status.phase}=Healthy',
        '--timeout=90s',
      ]);
    } else {
      kubectl(['apply', '-f', '-'], testDeployment(spec));
      kubectl([
        '-n',
        ns,
        'rollout',
        'status',
        `deploy/${name}`,
        '--timeout=60s',
      ]);
    }

    const knex = await databases.init(databaseId);
    await connectDatabase({ getClient: async () => knex } as any);
    const config = new ConfigReader(
      testConfig([{ name: 'test', namespace: ns }]),
    );
    const clusters = KubernetesClusters.fromConfig(config);
    const timings = { stallAfterMs: 60_000, timeoutMs: 120_000 };
    const logger = mockServices.logger.mock();

    // Backend 1 starts the deploy and goes away right after patching the Deployment.
    const first = OperationEngine.create({
      store: OperationStore.create(knex),
      logger,
      auditor: mockServices.auditor.mock(),
      instanceId: 'backend-1',
      heartbeatMs: 200,
      staleAfterMs: 1_000,
    });
    first.register('deploy', new DeployHandler(clusters, timings));
    const { env, changes } = await planDeploy(
      clusters,
      { workload: { kubernetesId: name }, environment: 'test', tag: '2.0.0' },
      // what is planned here is resumed; who may plan it is the rollout tests' subject
      async () => {},
    );
    const submitted = await first.submit({
      kind: 'deploy',
      entityRef: `component:default/${name}`,
      target: `local/${ns}/${name}`,
      requestedBy: 'user:default/tester',
      input: {
        environment: env.name,
        cluster: env.cluster,
        namespace: env.namespace,
        changes,
        changeCause: 'resume test',
        autoRollback: true,
      },
    });
    const store = first.store;
    for (;;) {
      const op = await store.get(submitted.id);
      if ((op?.result as any)?.phase === 'rolling-out') break;
      await new Promise(r => setTimeout(r, 20));
    }
    await first.stop();
    const orphan = (await store.get(submitted.id))!;
    expect(orphan.status).toBe('running');
    expect(orphan.claimedBy).toBe('backend-1');

    // Backend 2: a new engine over the same database picks it up and follows it to the end.
    const auditor = mockServices.auditor.mock();
    const second = OperationEngine.create({
      store: OperationStore.create(knex),
      logger,
      auditor,
      instanceId: 'backend-2',
      heartbeatMs: 200,
      staleAfterMs: 1_000,
    });
    second.register('deploy', new DeployHandler(clusters, timings));
    await new Promise(r => setTimeout(r, 1_100));
    await second.start();
    try {
      expect(second.isRunningHere(submitted.id)).toBe(true);
      const done = await second.waitFor(submitted.id);
      expect(done).toMatchObject({
        status: 'succeeded',
        claimedBy: 'backend-2',
      });
      expect((done.result as any).changes[0]).toMatchObject({
        kind,
        fromRevision: 1,
        toRevision: 2,
        toImage: `${REPO}:2.0.0`,
      });
      const log = (await store.getLog(submitted.id)).map(l => l.message);
      expect(log).toContain('Runner backend-1 stopped; resumed by backend-2');
      expect(log).toContain('Resuming: following the rollout');
      // The resumed run is audited by the backend that ran it, with who asked and the outcome.
      expect(auditor.createEvent).toHaveBeenCalledWith({
        eventId: 'operation-run',
        severityLevel: 'medium',
        meta: {
          kind: 'deploy',
          entityRef: `component:default/${name}`,
          target: `local/${ns}/${name}`,
          requestedBy: 'user:default/tester',
          environment: 'test',
          operationId: submitted.id,
          runner: 'backend-2',
          resumed: true,
        },
      });
      const event = await auditor.createEvent.mock.results[0].value;
      expect(event.success).toHaveBeenCalledWith({
        meta: { outcome: 'succeeded', reason: expect.any(String) },
      });
      const d = JSON.parse(
        kubectl([
          '-n',
          ns,
          'get',
          kind === 'Rollout' ? 'rollouts.argoproj.io' : 'deploy',
          name,
          '-o',
          'json',
        ]),
      );
      expect(d.status.phase).toBe(kind === 'Rollout' ? 'Healthy' : undefined);
      expect(d.status.updatedReplicas).toBe(4);
      expect(d.status.availableReplicas).toBe(4);
      expect(d.status.replicas).toBe(4);
    } finally {
      await second.stop();
    }
  });
});
