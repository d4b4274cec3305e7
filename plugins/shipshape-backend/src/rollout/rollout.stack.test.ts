import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import fs from 'fs';
import path from 'path';
import { shipshapePlugin } from '../plugin';
import { responseMismatches } from '../schema/__testUtils__/conforms';
import { shipshapeApi, testComponent } from './__testUtils__/api';
import {
  createServiceNamespace,
  kubectl,
  REPO as REPO_ROOT,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';

jest.setTimeout(180_000);

const NS = `shipshape-test-${process.pid}`;
const OWNER = 'user:default/owner-user';
const STRANGER = 'user:default/stranger';
const ADMIN = 'user:default/admin-user';
const REPO = 'registry.example.test/shipshape/rollout-demo';
// Responses are checked against openapi.yaml's schemas for these routes.
const DEPLOY = '/entities/{kind}/{namespace}/{name}/deploy';
const ROLLOUT = '/entities/{kind}/{namespace}/{name}/rollout';

function deploymentJson(name: string) {
  return JSON.parse(kubectl(['-n', NS, 'get', 'deploy', name, '-o', 'json']));
}

describe('deploy, rollback and rollout status against the local cluster', () => {
  let server: any;

  beforeAll(async () => {
    createServiceNamespace(NS);
    for (const name of ['web', 'bad', 'busy', 'stuck']) {
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name: `${name}-app`,
          namespace: NS,
          kubernetesId: `${name}-app`,
          image: `${REPO}:1.0.0`,
        }),
      );
    }
    kubectl(['-n', NS, 'rollout', 'status', 'deploy/web-app', '--timeout=60s']);
    kubectl(['-n', NS, 'rollout', 'status', 'deploy/bad-app', '--timeout=60s']);
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/busy-app',
      '--timeout=60s',
    ]);
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/stuck-app',
      '--timeout=60s',
    ]);

    const permissions = mockServices.permissions.mock({
      // Owners may deploy, only admins in protected environments (as the example policy).
      authorize: async (requests, { credentials }) =>
        requests.map(r => {
          const who = (credentials.principal as any).userEntityRef;
          const ok =
            who === ADMIN ||
            (who === OWNER &&
              r.permission.name !== 'shipshape.operation.deploy.protected');
          return { result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
        }),
    });
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: testConfig(
            [
              { name: 'test', namespace: NS },
              { name: 'down', namespace: NS, cluster: 'down' },
              { name: 'prod', namespace: NS, protected: true },
              { name: 'denied', namespace: NS, cluster: 'denied' },
            ],
            [
              {
                name: 'down',
                url: 'https://127.0.0.1:1',
                authProvider: 'serviceAccount',
                skipTLSVerify: true,
                serviceAccountToken: 'x',
              },
              {
                // The real cluster with a token it does not accept.
                ...testConfig([]).kubernetes.clusterLocatorMethods[0]
                  .clusters[0],
                name: 'denied',
                serviceAccountToken: 'not-a-valid-token',
              },
            ],
          ),
        }),
        permissions.factory,
        catalogServiceMock.factory({
          entities: [
            testComponent('web-app', 'web-app'),
            testComponent('bad-app', 'bad-app'),
            testComponent('busy-app', 'busy-app'),
            testComponent('stuck-app', 'stuck-app'),
            testComponent('no-k8s'),
          ],
        }),
      ],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  // How long after a log line was written the long-polling client had it (every operation).
  const lineLatencies: number[] = [];
  afterAll(() => {
    const sorted = [...lineLatencies].sort((a, b) => a - b);
    // eslint-disable-next-line no-console
    console.log(
      `log line written -> seen by the long-polling client: median ${
        sorted[Math.floor(sorted.length / 2)]
      } ms, p90 ${sorted[Math.floor(sorted.length * 0.9)]} ms, max ${
        sorted[sorted.length - 1]
      } ms over ${sorted.length} answers`,
    );
  });

  const { post, get, waitDone, postAndWait } = shipshapeApi(
    () => server,
    OWNER,
    page => {
      if (page.lines.length) {
        lineLatencies.push(Date.now() - Date.parse(page.lines[0].at));
      }
    },
  );

  it('deploys a new tag and follows the rollout to completion', async () => {
    const res = await post('web-app/deploy', {
      environment: 'test',
      tag: '1.1.0',
      reason: 'release 1.1.0',
    });
    expect(res.status).toBe(202);
    expect(responseMismatches(res.body, DEPLOY, 'post', 202)).toEqual([]);
    expect(res.body).toMatchObject({
      kind: 'deploy',
      requestedBy: OWNER,
      reason: 'release 1.1.0',
      entityRef: 'component:default/web-app',
    });
    const op = await waitDone(res.body.id);
    expect(op.status).toBe('succeeded');
    expect(op.result.changes[0]).toMatchObject({
      name: 'web-app',
      fromImage: `${REPO}:1.0.0`,
      toImage: `${REPO}:1.1.0`,
      fromRevision: 1,
      toRevision: 2,
      outcome: 'complete',
    });
    expect(op.log.map((l: any) => l.message).join('\n')).toContain(
      '1.0.0 -> registry.example.test/shipshape/rollout-demo:1.1.0',
    );
    const d = deploymentJson('web-app');
    expect(d.spec.template.spec.containers[0].image).toBe(`${REPO}:1.1.0`);
    expect(d.metadata.annotations['kubernetes.io/change-cause']).toBe(
      `shipshape deploy by ${OWNER}: release 1.1.0`,
    );
    expect(d.status.updatedReplicas).toBe(2);
    expect(d.status.availableReplicas).toBe(2);

    // The log endpoint pages by sequence number.
    const log = await get(`operations/${op.id}/log?after=${op.log[0].seq}`);
    expect(log.body.done).toBe(true);
    expect(log.body.lines.length).toBe(op.log.length - 1);
  });

  it('rolls a bad release back automatically when the rollout stalls', async () => {
    const op = await postAndWait('bad-app/deploy', {
      environment: 'test',
      image: `${REPO}:2.0.0-bad`,
    });
    expect(op.status).toBe('rolled-back');
    expect(op.outcomeReason).toMatch(/ProgressDeadlineExceeded/);
    expect(op.outcomeReason).toMatch(/rolled back to revision bad-app@1/);
    const d = deploymentJson('bad-app');
    expect(d.spec.template.spec.containers[0].image).toBe(`${REPO}:1.0.0`);
    expect(d.status.updatedReplicas).toBe(2);
    expect(d.status.availableReplicas).toBe(2);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '3',
    );
  });

  it('rolls back to a given revision, and refuses one that does not exist', async () => {
    // web-app is at revision 2 (1.1.0) after the first test.
    const missing = await post('web-app/rollback', {
      environment: 'test',
      revision: 42,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(
      /has no revision 42 \(available: 2, 1\)/,
    );
    const before = deploymentJson('web-app');
    expect(before.metadata.generation).toBe(2);

    const dry = await post('web-app/rollback', {
      environment: 'test',
      revision: 1,
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.changes[0]).toMatchObject({
      fromRevision: 2,
      targetRevision: 1,
      toImage: `${REPO}:1.0.0`,
    });

    const op = await postAndWait('web-app/rollback', {
      environment: 'test',
      revision: 1,
    });
    expect(op.status).toBe('succeeded');
    expect(op.result.changes[0]).toMatchObject({
      fromRevision: 2,
      toRevision: 3,
    });
    expect(
      deploymentJson('web-app').spec.template.spec.containers[0].image,
    ).toBe(`${REPO}:1.0.0`);
  });

  it('refuses a second operation on the same Deployment while one runs', async () => {
    // A release that stalls keeps the first operation running until the progress deadline: a
    // good one completes on the simulated nodes in a few hundred ms, sometimes before the
    // second request is planned (then the target is rightly free, and the test proved nothing).
    const first = await post('busy-app/deploy', {
      environment: 'test',
      tag: '3.0.0-bad',
      autoRollback: false,
    });
    expect(first.status).toBe(202);
    const second = await post('busy-app/deploy', {
      environment: 'test',
      tag: '3.0.1',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.name).toBe('ConflictError');
    expect(second.body.error.message).toContain(first.body.id);
    expect((await waitDone(first.body.id)).status).toBe('failed');
    // Once finished, the target is free again.
    const third = await post('busy-app/deploy', {
      environment: 'test',
      tag: '3.0.1',
    });
    expect(third.status).toBe(202);
    expect((await waitDone(third.body.id)).status).toBe('succeeded');
  });

  it('refuses a non-owner and bad input before changing anything', async () => {
    const generation = deploymentJson('busy-app').metadata.generation;
    const denied = await post(
      'busy-app/deploy',
      { environment: 'test', tag: '9.9.9' },
      STRANGER,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(
      /may not deploy component:default\/busy-app/,
    );

    const cases: Array<[object, string, number, string?]> = [
      [
        { environment: 'nowhere', tag: '1.0.1' },
        "Unknown environment 'nowhere'",
        400,
      ],
      [
        { environment: 'test', image: 'Not A Ref!' },
        'is not a valid image reference',
        400,
      ],
      [{ environment: 'test', image: `${REPO}:latest` }, "uses ':latest'", 400],
      [{ environment: 'test', image: REPO }, 'has no tag or digest', 400],
      [{ environment: 'test', tag: 'latest' }, "'latest' is refused", 400],
      [{ environment: 'test', tag: '-x' }, 'is not a valid image tag', 400],
      [{ environment: 'test' }, 'exactly one of image or tag', 400],
      [
        { environment: 'test', tag: '1', extra: 1 },
        'body.extra: must NOT have additional properties',
        400,
      ],
      [
        { environment: 'test', tag: '1.0.1' },
        'has no backstage.io/kubernetes-id',
        400,
        'no-k8s',
      ],
      [
        { environment: 'test', tag: '1.0.1' },
        'No entity component:default/ghost',
        404,
        'ghost',
      ],
    ];
    for (const [body, message, status, entity] of cases) {
      const res = await post(`${entity ?? 'busy-app'}/deploy`, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error.message).toContain(message);
    }
    // The OpenAPI validation answers every route the same way, naming the field.
    const badRevision = await post('busy-app/rollback', {
      environment: 'test',
      revision: 'two',
    });
    expect(badRevision.status).toBe(400);
    expect(badRevision.body.error).toEqual({
      name: 'InputError',
      message: 'Invalid request: body.revision: must be integer',
    });
    const badWait = await get('operations/some-id/log?wait=99');
    expect(badWait.status).toBe(400);
    expect(badWait.body.error.message).toBe(
      'Invalid request: query.wait: must be <= 30',
    );
    expect(deploymentJson('busy-app').metadata.generation).toBe(generation);
  });

  it('dry-runs a deploy: says what would change and changes nothing', async () => {
    const before = deploymentJson('busy-app');
    const res = await post('busy-app/deploy', {
      environment: 'test',
      tag: '4.0.0',
      dryRun: true,
    });
    expect(res.status).toBe(200);
    expect(responseMismatches(res.body, DEPLOY, 'post', 200)).toEqual([]);
    expect(res.body).toMatchObject({
      dryRun: true,
      environment: 'test',
      namespace: NS,
      changes: [
        {
          name: 'busy-app',
          container: 'app',
          fromImage: `${REPO}:3.0.1`,
          toImage: `${REPO}:4.0.0`,
        },
      ],
    });
    const after = deploymentJson('busy-app');
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('reports rollout status per environment, with an unreachable cluster alongside', async () => {
    const started = Date.now();
    const res = await get(
      'entities/component/default/bad-app/rollout',
      STRANGER,
    );
    expect(res.status).toBe(200);
    expect(responseMismatches(res.body, ROLLOUT, 'get', 200)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(4000);
    const [test, down, , denied] = res.body.environments;
    expect(down).toMatchObject({
      environment: 'down',
      status: 'unreachable',
      workloads: [],
    });
    expect(denied).toMatchObject({
      environment: 'denied',
      status: 'forbidden',
      error: 'the cluster refused the read token (HTTP 401)',
      workloads: [],
    });
    expect(test.status).toBe('ok');
    expect(test.workloads).toHaveLength(1);
    const w = test.workloads[0];
    expect(w).toMatchObject({
      kind: 'Deployment',
      name: 'bad-app',
      replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
      strategy: { type: 'RollingUpdate', maxSurge: '1', maxUnavailable: '0' },
      current: { revision: 3, tags: ['1.0.0'] },
      previous: { revision: 2, tags: ['2.0.0-bad'] },
      phase: 'complete',
    });
    expect(test.lastOperation).toMatchObject({
      kind: 'deploy',
      status: 'rolled-back',
      requestedBy: OWNER,
    });
  });

  it('leaves a stalled rollout alone when asked to, and the status shows why', async () => {
    const op = await postAndWait('stuck-app/deploy', {
      environment: 'test',
      tag: '5.0.0-bad',
      autoRollback: false,
    });
    expect(op.status).toBe('failed');
    expect(op.outcomeReason).toMatch(
      /ProgressDeadlineExceeded.*left as is \(autoRollback=false\)/,
    );
    const status = await get('entities/component/default/stuck-app/rollout');
    expect(responseMismatches(status.body, ROLLOUT, 'get', 200)).toEqual([]);
    const [test] = status.body.environments;
    const w = test.workloads[0];
    expect(w).toMatchObject({
      phase: 'stalled',
      current: { revision: 2, tags: ['5.0.0-bad'] },
      previous: { revision: 1, tags: ['1.0.0'] },
      replicas: { desired: 2, updated: 1, ready: 2, available: 2 },
    });
    expect(w.reason).toMatch(
      /ProgressDeadlineExceeded.*1 pod\(s\) failing: CrashLoopBackOff/,
    );
    const failing = w.pods.filter((p: any) => p.error);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({
      ready: false,
      revision: 'current',
      error: {
        reason: 'CrashLoopBackOff',
        container: 'app',
        message: 'back-off restarting failed container (simulated bad release)',
      },
    });
    expect(test.lastOperation).toMatchObject({
      status: 'failed',
      kind: 'deploy',
    });

    if (process.env.SHIPSHAPE_WRITE_FIXTURES) {
      // Real payloads for the Rollout Status card's tests (plugins/shipshape).
      const dir = path.join(
        REPO_ROOT,
        'plugins/shipshape/src/components/rollout/__fixtures__',
      );
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'stalled.json'),
        `${JSON.stringify(status.body, null, 2)}\n`,
      );
    }
  });

  it('asks for the stricter permission in a protected environment', async () => {
    const refused = await post('busy-app/deploy', {
      environment: 'prod',
      tag: '6.0.0',
      dryRun: true,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'You may not deploy component:default/busy-app in protected environment prod (permission shipshape.operation.deploy.protected)',
    );
    const rollback = await post('busy-app/rollback', {
      environment: 'prod',
      dryRun: true,
    });
    expect(rollback.status).toBe(403);
    const admin = await post(
      'busy-app/deploy',
      { environment: 'prod', tag: '6.0.0', dryRun: true },
      ADMIN,
    );
    expect(admin.status).toBe(200);
    expect(admin.body.changes[0].toImage).toBe(`${REPO}:6.0.0`);
  });
});
