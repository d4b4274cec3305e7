import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// Test-only: the real Shipshape backend needs a catalog and a permission decision.
// eslint-disable-next-line @backstage/no-undeclared-imports
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createMockActionContext,
  taskCheckpoints,
} from './__testUtils__/actionContext';
// The real backend the actions call (a test-only devDependency; the module itself uses HTTP).
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import { createDeployAction } from './deploy';

jest.setTimeout(180_000);

// The real Shipshape backend deploying to the local stack's cluster, called by the action
// over HTTP as the initiating user; the action follows the operation by long polling.
describe('shipshape:deploy against the real backend and cluster', () => {
  const NS = `shipshape-action-${process.pid}`;
  const OWNER = 'user:default/owner-user';
  const REPO = 'registry.example.test/shipshape/action-demo';
  let server: any;

  beforeAll(async () => {
    createServiceNamespace(NS);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: 'action-app',
        namespace: NS,
        kubernetesId: 'action-app',
        image: `${REPO}:1.0.0`,
      }),
    );
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/action-app',
      '--timeout=60s',
    ]);
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: testConfig([{ name: 'test', namespace: NS }]),
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }).factory,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'action-app',
                annotations: { 'backstage.io/kubernetes-id': 'action-app' },
              },
              spec: {
                type: 'service',
                lifecycle: 'production',
                owner: 'team-a',
              },
            },
          ],
        }),
      ],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('streams the log as it is written, ends with the outcome, and a retried task does not deploy twice', async () => {
    const baseUrl = `http://localhost:${server.address().port}/api/shipshape`;
    const action = createDeployAction({
      discovery: {
        getBaseUrl: async () => baseUrl,
        getExternalBaseUrl: async () => baseUrl,
      },
      auth: mockServices.auth(),
    });
    // The scaffolder keeps checkpoints in the task's state: a retry of the same task sees them.
    const checkpoint = taskCheckpoints();
    const run = async () => {
      const ctx = createMockActionContext({
        input: {
          entityRef: 'component:default/action-app',
          environment: 'test',
          tag: '1.1.0',
        },
      });
      ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
      ctx.checkpoint = checkpoint;
      const seen: Array<{ message: string; at: number }> = [];
      for (const level of ['info', 'warn', 'error'] as const) {
        jest.spyOn(ctx.logger, level).mockImplementation(((message: string) => {
          seen.push({ message, at: Date.now() });
        }) as any);
      }
      await action.handler(ctx);
      return { ctx, seen };
    };

    const first = await run();
    expect(first.ctx.output).toHaveBeenCalledWith('outcome', 'succeeded');
    expect(first.ctx.output).toHaveBeenCalledWith('revision', 2);
    const operationId = (first.ctx.output as jest.Mock).mock.calls.find(
      c => c[0] === 'operationId',
    )[1];

    // Each log line reached the task log shortly after the backend wrote it.
    const op = await (
      await fetch(`${baseUrl}/operations/${operationId}`, {
        headers: { Authorization: mockCredentials.user.header(OWNER) },
      })
    ).json();
    expect(op.status).toBe('succeeded');
    const latencies = op.log.map((line: { message: string; at: string }) => {
      const got = first.seen.find(s => s.message === line.message);
      expect(got).toBeDefined();
      return got!.at - Date.parse(line.at);
    });
    latencies.sort((a: number, b: number) => a - b);
    // eslint-disable-next-line no-console
    console.log(
      `backend log line -> task log: median ${
        latencies[Math.floor(latencies.length / 2)]
      } ms, max ${latencies[latencies.length - 1]} ms over ${
        latencies.length
      } lines`,
    );
    expect(latencies[latencies.length - 1]).toBeLessThan(1_000);

    // A retry of the task follows the same operation instead of deploying again.
    const retry = await run();
    expect(retry.ctx.output).toHaveBeenCalledWith('operationId', operationId);
    expect(retry.ctx.output).toHaveBeenCalledWith('outcome', 'succeeded');
    const list = await (
      await fetch(
        `${baseUrl}/entities/component/default/action-app/operations`,
        {
          headers: { Authorization: mockCredentials.user.header(OWNER) },
        },
      )
    ).json();
    expect(list.items.map((o: { id: string }) => o.id)).toEqual([operationId]);
    const d = JSON.parse(
      kubectl(['-n', NS, 'get', 'deploy', 'action-app', '-o', 'json']),
    );
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe(
      '2',
    );
  });
});
