import { createMockActionContext } from './__testUtils__/actionContext';
import yaml from 'yaml';
import { createCatalogAnnotationsAction } from './catalogAnnotations';
import { examples } from './catalogAnnotations.examples';

describe('shipshape:catalog:annotations', () => {
  const action = createCatalogAnnotationsAction();

  it('runs its example and fills what the tier implies', async () => {
    const input = yaml.parse(examples[0].example).steps[0].input;
    const ctx = createMockActionContext({ input });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('annotations', {
      'shipshape.dev/tier': 'critical',
      'shipshape.dev/cost-center': 'CC-1234',
      'shipshape.dev/rpo': '15m',
      'shipshape.dev/rto': '1h',
      'shipshape.dev/restore-drill-interval': '30d',
      'shipshape.dev/backup-target': 'payments-db',
      'shipshape.dev/runbook': 'https://docs.example.com/payments-api/runbook',
    });
    expect(ctx.output).toHaveBeenCalledWith('replicas', 3);
  });

  it('refuses a connection string as a backup target, before writing anything', async () => {
    const ctx = createMockActionContext({
      input: {
        tier: 'standard' as const,
        costCenter: 'CC-1234',
        backupTarget: 'postgres://u:p@db/x',
      },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /not a connection string/,
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });
});
