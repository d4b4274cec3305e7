import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { DiscoveryService } from '@backstage/backend-plugin-api';
import {
  createMockActionContext,
  taskCheckpoints,
} from './__testUtils__/actionContext';
import yaml from 'yaml';
import { createDeployAction } from './deploy';
import { examples } from './deploy.examples';
import { withFakeShipshape } from './deployTestServer';

describe('shipshape:deploy', () => {
  const auth = mockServices.auth();
  const user = mockCredentials.user('user:default/guest');
  const deployAction = (fake: { discovery: DiscoveryService }) =>
    createDeployAction({ discovery: fake.discovery, auth, pollIntervalMs: 5 });

  it('runs its first example as the initiating user, streams the log and outputs the revision', async () => {
    await withFakeShipshape({}, async fake => {
      const action = deployAction(fake);
      const input = yaml.parse(examples[0].example).steps[0].input;
      const ctx = createMockActionContext({ input });
      ctx.getInitiatorCredentials = async () => user;
      const info = jest.spyOn(ctx.logger, 'info');
      const warn = jest.spyOn(ctx.logger, 'warn');
      await action.handler(ctx);

      const post = fake.requests[0];
      expect(post).toMatchObject({
        method: 'POST',
        url: '/api/shipshape/entities/component/default/payments-api/deploy',
        body: {
          environment: 'staging',
          tag: '1.4.3',
          reason: 'release 1.4.3',
          dryRun: false,
        },
      });
      // The user's identity, not the scaffolder's own, reaches the backend.
      const token = JSON.parse(
        Buffer.from(
          post.auth!.split(' ')[1].split('.')[1] ?? '',
          'base64url',
        ).toString() || '{}',
      );
      expect(post.auth).toMatch(/^Bearer /);
      expect(JSON.stringify(token) + post.auth).toContain('user:default/guest');
      expect(fake.requests.map(r => r.url)).toEqual([
        '/api/shipshape/entities/component/default/payments-api/deploy',
        '/api/shipshape/operations/op-1/log?after=0&wait=20',
        '/api/shipshape/operations/op-1/log?after=2&wait=20',
        '/api/shipshape/operations/op-1?after=3',
      ]);
      expect(info).toHaveBeenCalledWith('web: app a:1 -> a:2 (revision 1)');
      expect(info).toHaveBeenCalledWith('web: 1 of 2 new replicas updated');
      expect(warn).toHaveBeenCalledWith('Finished: done');
      expect(ctx.output).toHaveBeenCalledWith('operationId', 'op-1');
      expect(ctx.output).toHaveBeenCalledWith('outcome', 'succeeded');
      expect(ctx.output).toHaveBeenCalledWith('revision', 2);
      expect(ctx.output).toHaveBeenCalledWith('fromRevision', 1);
    });
  });

  it('does not deploy twice when a retried task replays the checkpoint', async () => {
    await withFakeShipshape({}, async fake => {
      const action = deployAction(fake);
      const checkpoint = taskCheckpoints();
      const run = async () => {
        const ctx = createMockActionContext({
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'staging',
            tag: '2.0.0',
          },
        });
        ctx.checkpoint = checkpoint;
        await action.handler(ctx);
      };
      await run();
      await run();
      expect(fake.requests.filter(r => r.method === 'POST')).toHaveLength(1);
    });
  });

  it('dry-runs the second example', async () => {
    await withFakeShipshape({}, async dry => {
      const action = deployAction(dry);
      const ctx = createMockActionContext({
        input: yaml.parse(examples[1].example).steps[0].input,
      });
      await action.handler(ctx);
      expect(dry.requests).toHaveLength(1);
      expect(dry.requests[0].body.dryRun).toBe(true);
      expect(ctx.output).toHaveBeenCalledWith('outcome', 'dry-run');
    });
  });

  it.each([
    [
      'a refusal, with no outputs',
      {
        postStatus: 403,
        postError: {
          name: 'NotAllowedError',
          message: 'You may not deploy component:default/orders-api',
        },
      },
      'component:default/orders-api',
      /You may not deploy component:default\/orders-api/,
      {},
    ],
    [
      'a rollback, with its outcome',
      { finalStatus: 'rolled-back' },
      'component:default/payments-api',
      /Shipshape rolled-back/,
      expect.objectContaining({ outcome: 'rolled-back' }),
    ],
  ])(
    'fails the step on %s',
    async (_what, options, entityRef, error, outputs) => {
      await withFakeShipshape(options, async fake => {
        const ctx = createMockActionContext({
          input: { entityRef, environment: 'staging', tag: '2.0.0' },
        });
        await expect(deployAction(fake).handler(ctx)).rejects.toThrow(error);
        expect(
          Object.fromEntries((ctx.output as jest.Mock).mock.calls),
        ).toEqual(outputs);
      });
    },
  );

  it('refuses a malformed entity reference before calling anything', async () => {
    await withFakeShipshape({}, async fake => {
      const action = createDeployAction({ discovery: fake.discovery, auth });
      const ctx = createMockActionContext({
        input: { entityRef: 'not a ref', environment: 'staging', tag: '1' },
      });
      await expect(action.handler(ctx)).rejects.toThrow(
        /entityRef: 'not a ref' is not an entity reference/,
      );
      expect(fake.requests).toHaveLength(0);
    });
  });
});
