import { mockServices } from '@backstage/backend-test-utils';
import yaml from 'yaml';
import { createMockActionContext } from './__testUtils__/actionContext';
import { withFakeShipshape } from './deployTestServer';
import { createRolloutActions } from './rolloutAction';

describe('shipshape:rollout:promote, :abort, :retry', () => {
  const auth = mockServices.auth();

  it.each(['promote', 'abort', 'retry'])(
    'runs the example of %s as the initiating user, once (checkpoint)',
    async action => {
      await withFakeShipshape({}, async fake => {
        const a = createRolloutActions({
          discovery: fake.discovery,
          auth,
        }).find(x => x.id === `shipshape:rollout:${action}`)!;
        const input = yaml.parse(a.examples![0].example).steps[0].input;
        const ctx = createMockActionContext({ input });
        await a.handler(ctx);
        expect(fake.requests).toEqual([
          expect.objectContaining({
            method: 'POST',
            url: `/api/shipshape/entities/component/default/payments-api/${action}`,
            body: { environment: 'staging', dryRun: false },
            auth: expect.stringMatching(/^Bearer /),
          }),
        ]);
        expect(ctx.output).toHaveBeenCalledWith('rollouts', ['web']);
        expect(ctx.output).toHaveBeenCalledWith('dryRun', false);
      });
    },
  );

  it('dry-runs in the template editor (ctx.isDryRun)', async () => {
    await withFakeShipshape({}, async fake => {
      const [promote] = createRolloutActions({
        discovery: fake.discovery,
        auth,
      });
      const ctx = createMockActionContext({
        input: {
          entityRef: 'component:default/payments-api',
          environment: 'staging',
        },
      });
      (ctx as any).isDryRun = true;
      await promote.handler(ctx);
      expect(fake.requests[0].body).toEqual({
        environment: 'staging',
        dryRun: true,
      });
      expect(ctx.output).toHaveBeenCalledWith('dryRun', true);
    });
  });

  it("fails with the backend's reason when the Rollout's state does not allow it (409)", async () => {
    await withFakeShipshape(
      {
        postStatus: 409,
        postError: {
          name: 'ConflictError',
          message:
            'Rollout staging/web in environment staging is not paused (phase Healthy), so there is nothing to promote',
        },
      },
      async fake => {
        const [promote] = createRolloutActions({
          discovery: fake.discovery,
          auth,
        });
        const ctx = createMockActionContext({
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'staging',
          },
        });
        await expect(promote.handler(ctx)).rejects.toThrow(
          'Shipshape answered 409: Rollout staging/web in environment staging is not paused (phase Healthy), so there is nothing to promote',
        );
        expect(ctx.output).not.toHaveBeenCalled();
      },
    );
  });
});
