import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { testEngine } from '../operations/__testUtils__/engine';
import { OperationOutcome } from '../operations/engine';
import { readBackupConfig } from '../backup/config';
import { locationRedactor } from '../backup/redact';
import { OperationNotifier } from './service';

jest.setTimeout(60_000);

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments', namespace: 'default' },
    spec: { owner: 'payments-team', type: 'service', lifecycle: 'production' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'orphan', namespace: 'default' },
    spec: { type: 'service', lifecycle: 'production' },
  },
];

const config = new ConfigReader({
  shipshape: {
    backup: {
      storage: {
        type: 's3',
        bucket: 'backups',
        endpoint: 'http://10.0.0.5:9000',
      },
      targets: [
        { name: 'payments-db', connection: { host: 'db.internal', user: 'u' } },
      ],
    },
  },
});

describe('OperationNotifier', () => {
  it.each(databases.eachSupportedId())(
    'tells the owner once per incident, updates it on a repeat, says when it recovered, never names locations (%p)',
    async databaseId => {
      const engine = testEngine(await migrated(databaseId));
      const sent: NotificationSendOptions[] = [];
      const logger = mockServices.logger.mock();
      const notifier = OperationNotifier.create({
        notifications: { send: async n => void sent.push(n) },
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
        logger,
        store: engine.store,
        redact: locationRedactor(readBackupConfig(config)!),
      });
      engine.onFinished(op => notifier.operationFinished(op));
      const outcomes: OperationOutcome[] = [];
      const handler = {
        run: async () => {
          const next = outcomes.shift()!;
          if (next.status === 'failed') throw new Error(next.reason);
          return next;
        },
      };
      engine.register('deploy', handler);
      engine.register('backup', handler);
      const run = async (
        kind: string,
        outcome: OperationOutcome,
        entityRef = 'component:default/payments',
      ) => {
        outcomes.push(outcome);
        const op = await engine.submit({
          kind,
          entityRef,
          target: `${kind}/payments`,
          requestedBy: 'user:default/alice',
          input: kind === 'deploy' ? { environment: 'staging' } : {},
        });
        await engine.waitFor(op.id);
      };
      const ok = (reason: string): OperationOutcome => ({
        status: 'succeeded',
        reason,
        result: {},
      });

      await run('deploy', ok('Rolled out payments 1.0 -> 1.1'));
      expect(sent).toEqual([]); // a success after no failure: nothing to say

      await run('deploy', {
        status: 'failed',
        reason: 'image pull failed',
        result: {},
      });
      await run('deploy', {
        status: 'rolled-back',
        reason:
          'Rollout stalled (payments: progress deadline exceeded); rolled back to revision payments@3',
        result: {},
      });
      await run('deploy', ok('Rolled out payments 1.0 -> 1.2'));
      await run('deploy', ok('Rolled out payments 1.2 -> 1.3'));
      const scope =
        'shipshape:deploy:component:default/payments:deploy/payments';
      expect(sent.map(n => [n.payload.title, n.payload.severity])).toEqual([
        ['Deploy of payments in staging failed', 'high'],
        ['Deploy of payments in staging was rolled back automatically', 'high'],
        ['Deploy of payments in staging succeeded again', 'normal'],
      ]);
      for (const n of sent) {
        expect(n.recipients).toEqual({
          type: 'entity',
          entityRef: 'group:default/payments-team',
        });
        expect(n.payload.link).toBe('/catalog/default/component/payments');
        expect(n.payload.scope).toBe(scope);
      }
      expect(sent[0].payload.description).toBe('image pull failed');
      expect(sent[2].payload.description).toBe(
        'Recovered: Rolled out payments 1.0 -> 1.2',
      );

      // A backup's reason names the bucket and the database host: not in the notification.
      sent.length = 0;
      await run('backup', {
        status: 'failed',
        reason:
          'failed at upload: PUT s3://backups/payments-db/x.dump at http://10.0.0.5:9000 refused; pg_dump could not reach db.internal:5432',
        result: {},
      });
      expect(sent).toHaveLength(1);
      expect(sent[0].payload.title).toBe('Backup of payments failed');
      expect(sent[0].payload.scope).toBe(
        'shipshape:backup:component:default/payments:backup/payments',
      );
      const text = JSON.stringify(sent[0].payload);
      for (const secret of ['backups/', '10.0.0.5', 'db.internal']) {
        expect(text).not.toContain(secret);
      }

      // ... nor a checksum (a corrupted object found by verification), as the repeat says.
      const sha = (c: string) => c.repeat(64);
      await run('backup', {
        status: 'failed',
        reason: `failed at verify: stored object differs from what was dumped: 10 bytes sha256 ${sha(
          'a',
        )}, expected 10 bytes sha256 ${sha('F')}`,
        result: {},
      });
      expect(sent).toHaveLength(2);
      expect(sent[1].payload.scope).toBe(sent[0].payload.scope);
      expect(sent[1].payload.description).toBe(
        'failed at verify: stored object differs from what was dumped: 10 bytes sha256 …, expected 10 bytes sha256 …',
      );

      // No owner: nothing sent, the reason is logged; a send error never fails the operation.
      sent.length = 0;
      await run(
        'deploy',
        { status: 'failed', reason: 'boom', result: {} },
        'component:default/orphan',
      );
      expect(sent).toEqual([]);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('no owner to notify (no spec.owner)'),
      );
    },
  );
});
