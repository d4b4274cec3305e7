import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapePlugin } from '../plugin';
import { responseMismatches } from '../schema/__testUtils__/conforms';
import { onlyUserAllowed } from '../__testUtils__/permissions';
import { shipshapeApi, testComponent } from './__testUtils__/api';
import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testRollout,
  waitRolloutPhase,
} from '@internal/shipshape-test-utils';

jest.setTimeout(180_000);

// Deploy, rollback and the card on Argo Rollouts, against the stack's real rollouts-controller.
const NS = `shipshape-argo-${process.pid}`;
const OWNER = 'user:default/owner-user';
const REPO = 'registry.example.test/shipshape/argo-demo';
const ROLLOUT = '/entities/{kind}/{namespace}/{name}/rollout';
// The test's Rollouts (all at 1.0.0): default canaries, a canary with indefinite pauses
// (paused-ro, gate-ro) and a blue-green one behind the service bg-ro-active.
const ROLLOUTS = [
  { name: 'web-ro' },
  { name: 'bad-ro' },
  { name: 'left-ro' },
  {
    name: 'paused-ro',
    replicas: 4,
    steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
  },
  { name: 'gate-ro', steps: [{ setWeight: 50 }, { pause: {} }] },
  { name: 'bg-ro', strategy: { blueGreen: { activeService: 'bg-ro-active' } } },
];

function rolloutJson(name: string) {
  return JSON.parse(
    kubectl(['-n', NS, 'get', 'rollouts.argoproj.io', name, '-o', 'json']),
  );
}

describe('deploy and rollback of Argo Rollouts (real controller in the local stack)', () => {
  let server: any;

  beforeAll(async () => {
    try {
      kubectl(['get', 'crd', 'rollouts.argoproj.io']);
    } catch (e) {
      throw new Error(
        `The local stack has no Argo Rollouts CRD (run ./run stack up): ${e}`,
      );
    }
    createServiceNamespace(NS);
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bg-ro-active', namespace: NS },
        spec: {
          selector: { 'app.kubernetes.io/name': 'bg-ro' },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      }),
    );
    for (const r of ROLLOUTS) {
      kubectl(
        ['apply', '-f', '-'],
        testRollout({
          namespace: NS,
          kubernetesId: r.name,
          image: `${REPO}:1.0.0`,
          ...r,
        }),
      );
    }
    for (const { name } of ROLLOUTS) {
      waitRolloutPhase(NS, name, 'Healthy');
    }

    const config = testConfig([{ name: 'test', namespace: NS }]);
    // The controller's progress deadline (10 s) must be what stalls the bad canary.
    config.shipshape.rollout.stallAfterSeconds = 90;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        onlyUserAllowed(OWNER).factory,
        catalogServiceMock.factory({
          entities: ROLLOUTS.map(({ name }) => testComponent(name, name)),
        }),
      ],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  const { post, get, waitDone, postAndWait } = shipshapeApi(
    () => server,
    OWNER,
  );

  const logOf = (op: any) => op.log.map((l: any) => l.message).join('\n');

  it('deploys a new tag through the canary steps to Healthy', async () => {
    const t0 = Date.now();
    const op = await postAndWait('web-ro/deploy', {
      environment: 'test',
      tag: '1.1.0',
      reason: 'canary 1.1.0',
    });
    expect(op.status).toBe('succeeded');
    expect(op.result.changes[0]).toMatchObject({
      kind: 'Rollout',
      name: 'web-ro',
      fromImage: `${REPO}:1.0.0`,
      toImage: `${REPO}:1.1.0`,
      fromRevision: 1,
      toRevision: 2,
      outcome: 'complete',
    });
    // The canary was walked (50%, then the timed pause), not skipped.
    expect(logOf(op)).toMatch(/canary step \d\/2/);
    const r = rolloutJson('web-ro');
    expect(r.spec.template.spec.containers[0].image).toBe(`${REPO}:1.1.0`);
    expect(r.metadata.annotations['kubernetes.io/change-cause']).toBe(
      `shipshape deploy by ${OWNER}: canary 1.1.0`,
    );
    expect(r.status.phase).toBe('Healthy');
    expect(r.status.stableRS).toBe(r.status.currentPodHash);
    expect(r.status.availableReplicas).toBe(2);
    // eslint-disable-next-line no-console
    console.log(
      `argo canary deploy (2 steps, 2 s pause) followed to Healthy in ${
        Date.now() - t0
      } ms`,
    );
  });

  it('rolls a bad canary back: Degraded, aborted, undone to the stable revision', async () => {
    const op = await postAndWait('bad-ro/deploy', {
      environment: 'test',
      image: `${REPO}:2.0.0-bad`,
    });
    expect(op.status).toBe('rolled-back');
    expect(op.outcomeReason).toMatch(/Degraded: .*ProgressDeadlineExceeded/);
    expect(op.outcomeReason).toMatch(/rolled back to revision bad-ro@1/);
    expect(logOf(op)).toContain('bad-ro: Rollout aborted');
    expect(op.result.changes[0]).toMatchObject({
      kind: 'Rollout',
      outcome: 'rolled-back',
    });
    const r = rolloutJson('bad-ro');
    expect(r.spec.template.spec.containers[0].image).toBe(`${REPO}:1.0.0`);
    expect(r.status.phase).toBe('Healthy');
    expect(r.status.abort).toBeFalsy();
    expect(r.metadata.annotations['rollout.argoproj.io/revision']).toBe('3');
  });

  it('leaves a Degraded canary alone when asked to, and the card shows it stalled', async () => {
    const op = await postAndWait('left-ro/deploy', {
      environment: 'test',
      image: `${REPO}:2.0.0-bad`,
      autoRollback: false,
    });
    expect(op.status).toBe('failed');
    expect(op.outcomeReason).toMatch(
      /Degraded: ProgressDeadlineExceeded.*left as is \(autoRollback=false\)/,
    );
    const r = rolloutJson('left-ro');
    expect(r.spec.template.spec.containers[0].image).toBe(`${REPO}:2.0.0-bad`);
    expect(r.status.phase).toBe('Degraded');
    expect(r.status.abort).toBeFalsy();
    const card = await get('entities/component/default/left-ro/rollout');
    const [workload] = card.body.environments[0].workloads;
    expect(workload).toMatchObject({
      kind: 'Rollout',
      phase: 'stalled',
      current: { revision: 2, tags: ['2.0.0-bad'] },
      previous: { revision: 1, tags: ['1.0.0'] },
    });
    expect(workload.reason).toMatch(
      /ProgressDeadlineExceeded.*CrashLoopBackOff/,
    );
    expect(workload.pods).toContainEqual(
      expect.objectContaining({
        revision: 'current',
        ready: false,
        error: expect.objectContaining({ reason: 'CrashLoopBackOff' }),
      }),
    );
  });

  it('rolls back to a given revision, and refuses one that does not exist', async () => {
    // web-ro is at revision 2 (1.1.0) after the first test.
    const missing = await post('web-ro/rollback', {
      environment: 'test',
      revision: 42,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(
      /Rollout shipshape-argo-\d+\/web-ro has no revision 42 \(available: 2, 1\)/,
    );
    const op = await postAndWait('web-ro/rollback', {
      environment: 'test',
      revision: 1,
    });
    expect(op.status).toBe('succeeded');
    expect(op.result.changes[0]).toMatchObject({
      kind: 'Rollout',
      fromRevision: 2,
      targetRevision: 1,
      toRevision: 3,
    });
    const r = rolloutJson('web-ro');
    expect(r.spec.template.spec.containers[0].image).toBe(`${REPO}:1.0.0`);
    expect(r.status.phase).toBe('Healthy');
  });

  it('waits at an indefinite pause until promoted; refuses a second deploy and a non-owner meanwhile', async () => {
    const generation = rolloutJson('gate-ro').metadata.generation;
    const denied = await post(
      'gate-ro/deploy',
      { environment: 'test', tag: '9.9.9' },
      'user:default/stranger',
    );
    expect(denied.status).toBe(403);
    const dry = await post('gate-ro/deploy', {
      environment: 'test',
      tag: '1.2.0',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.changes).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        name: 'gate-ro',
        toImage: `${REPO}:1.2.0`,
      }),
    ]);
    expect(rolloutJson('gate-ro').metadata.generation).toBe(generation);

    const first = await post('gate-ro/deploy', {
      environment: 'test',
      tag: '1.2.0',
    });
    expect(first.status).toBe(202);
    // (Not kubectl wait: it would block the event loop the backend under test runs on.)
    let after = 0;
    let paused = false;
    while (!paused) {
      const log = await get(
        `operations/${first.body.id}/log?after=${after}&wait=10`,
      );
      expect(log.body.done).toBe(false);
      paused = log.body.lines.some((l: any) => /Paused/.test(l.message));
      after = log.body.next;
    }
    expect(rolloutJson('gate-ro').status.phase).toBe('Paused');
    const second = await post('gate-ro/deploy', {
      environment: 'test',
      tag: '1.2.1',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(first.body.id);
    const running = await get(`operations/${first.body.id}`);
    expect(running.body.status).toBe('running');
    // `kubectl argo rollouts promote`: clear the pause; the canary then goes to 100%.
    kubectl([
      '-n',
      NS,
      'patch',
      'rollouts.argoproj.io',
      'gate-ro',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"pauseConditions":null}}',
    ]);
    const op = await waitDone(first.body.id);
    expect(op.status).toBe('succeeded');
    expect(logOf(op)).toMatch(/Paused \(canary step 2\/2\)/);
    expect(rolloutJson('gate-ro').spec.template.spec.containers[0].image).toBe(
      `${REPO}:1.2.0`,
    );
  });

  it('deploys a blue-green Rollout: the active service switches to the new pods', async () => {
    const op = await postAndWait('bg-ro/deploy', {
      environment: 'test',
      tag: '1.3.0',
    });
    expect(op.status).toBe('succeeded');
    expect(op.result.changes[0]).toMatchObject({
      kind: 'Rollout',
      fromRevision: 1,
      toRevision: 2,
      outcome: 'complete',
    });
    const r = rolloutJson('bg-ro');
    expect(r.status.phase).toBe('Healthy');
    expect(r.status.blueGreen.activeSelector).toBe(r.status.currentPodHash);
    const svc = JSON.parse(
      kubectl(['-n', NS, 'get', 'service', 'bg-ro-active', '-o', 'json']),
    );
    expect(svc.spec.selector['rollouts-pod-template-hash']).toBe(
      r.status.currentPodHash,
    );
    const card = await get('entities/component/default/bg-ro/rollout');
    expect(card.body.environments[0].workloads[0]).toMatchObject({
      kind: 'Rollout',
      strategy: { type: 'BlueGreen', activeSelector: r.status.currentPodHash },
      current: { revision: 2, tags: ['1.3.0'] },
      phase: 'complete',
    });
  });

  it('shows the Rollout on the card: healthy after the deploys, paused at a canary step', async () => {
    // A new image on a Rollout with indefinite pauses stops at step 2 (25%).
    kubectl([
      '-n',
      NS,
      'patch',
      'rollouts.argoproj.io',
      'paused-ro',
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: `${REPO}:2.0.0`,
        },
      ]),
    ]);
    waitRolloutPhase(NS, 'paused-ro', 'Paused', 60);
    const card = async (name: string) => {
      const res = await get(`entities/component/default/${name}/rollout`);
      expect(res.status).toBe(200);
      expect(responseMismatches(res.body, ROLLOUT, 'get', 200)).toEqual([]);
      expect(res.body.environments[0].status).toBe('ok');
      return res.body;
    };
    const paused = await card('paused-ro');
    expect(paused.environments[0].workloads).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        name: 'paused-ro',
        strategy: {
          type: 'Canary',
          canaryStep: 2,
          canarySteps: 4,
          canaryWeight: 25,
          steps: [
            'setWeight 25',
            'pause until promoted',
            'setWeight 50',
            'pause until promoted',
          ],
        },
        current: { revision: 2, images: [`${REPO}:2.0.0`], tags: ['2.0.0'] },
        previous: { revision: 1, images: [`${REPO}:1.0.0`], tags: ['1.0.0'] },
        phase: 'paused',
      }),
    ]);
    expect(paused.environments[0].workloads[0].replicas).toMatchObject({
      desired: 4,
      updated: 1,
    });

    const web = await card('web-ro');
    expect(web.environments[0].workloads).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        name: 'web-ro',
        current: { revision: 3, images: [`${REPO}:1.0.0`], tags: ['1.0.0'] },
        previous: { revision: 2, images: [`${REPO}:1.1.0`], tags: ['1.1.0'] },
        phase: 'complete',
        replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
      }),
    ]);
    // The card names the last Shipshape operation (the rollback).
    expect(web.environments[0].lastOperation).toMatchObject({
      kind: 'rollback',
      status: 'succeeded',
      requestedBy: OWNER,
    });
  });
});
