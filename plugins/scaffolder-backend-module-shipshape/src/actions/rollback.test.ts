import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from './__testUtils__/actionContext';
import yaml from 'yaml';
import { withFakeShipshape } from './deployTestServer';
import { createRollbackAction } from './rollback';
import { examples } from './rollback.examples';

describe('shipshape:rollback', () => {
  const auth = mockServices.auth();

  it.each(examples.map((e, i) => [i, e.description]))(
    'runs example %p (%s)',
    async index => {
      await withFakeShipshape({}, async fake => {
        const action = createRollbackAction({
          discovery: fake.discovery,
          auth,
          pollIntervalMs: 5,
        });
        const input = yaml.parse(examples[index as number].example).steps[0]
          .input;
        const ctx = createMockActionContext({ input });
        await action.handler(ctx);
        expect(fake.requests[0]).toMatchObject({
          method: 'POST',
          url: `/api/shipshape/entities/component/default/payments-api/rollback`,
          body: { environment: input.environment, dryRun: false },
        });
        expect(fake.requests[0].body.revision).toBe(input.revision);
        expect(ctx.output).toHaveBeenCalledWith('outcome', 'succeeded');
        expect(ctx.output).toHaveBeenCalledWith('revision', 2);
      });
    },
  );

  it('dry-runs in the template editor (ctx.isDryRun)', async () => {
    await withFakeShipshape({}, async fake => {
      const action = createRollbackAction({ discovery: fake.discovery, auth });
      const ctx = createMockActionContext({
        input: {
          entityRef: 'component:default/payments-api',
          environment: 'staging',
          revision: 1,
        },
      });
      (ctx as any).isDryRun = true;
      await action.handler(ctx);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0].body).toMatchObject({
        dryRun: true,
        revision: 1,
      });
      expect(ctx.output).toHaveBeenCalledWith('outcome', 'dry-run');
      expect(ctx.output).toHaveBeenCalledWith('revision', 1);
    });
  });
});
