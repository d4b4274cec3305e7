import { mockServices } from '@backstage/backend-test-utils';
import { SignalPayload } from '@backstage/plugin-signals-node';
import { BackupStore } from '../backup/store';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { OperationStore } from '../operations/store';
import { GradeStore } from '../readiness/grades';
import { SignalPublisher } from './publisher';

jest.setTimeout(60_000);

const REF = 'Component:default/Payments-API';
const CHANNEL = 'shipshape:entity:component:default/payments-api';

describe('SignalPublisher', () => {
  it.each(databases.eachSupportedId())(
    "publishes a deploy's progress and end, coalesced, and a new grade; on %p",
    async databaseId => {
      const knex = await migrated(databaseId);
      const published: SignalPayload[] = [];
      const operations = OperationStore.create(knex);
      const grades = new GradeStore(knex);
      SignalPublisher.create({
        // the edge: the signals service, as the signals backend would receive it
        signals: { publish: async s => void published.push(s) },
        logger: mockServices.logger.mock(),
        operations,
        backups: new BackupStore(knex),
        grades: grades.changes,
        coalesceMs: 50,
      });
      const settle = () => new Promise(r => setTimeout(r, 150));

      const op = await operations.create({
        kind: 'deploy',
        entityRef: REF,
        target: 'production/payments-api',
        requestedBy: 'user:default/owner',
        input: { environment: 'production' },
      });
      await operations.claim(op.id, 'test');
      await operations.saveProgress(op.id, { phase: 'rolling-out' });
      // three log lines at once: one signal
      await operations.appendLog(op.id, 'info', 'pod 1 of 3 ready');
      await operations.appendLog(op.id, 'info', 'pod 2 of 3 ready');
      await operations.appendLog(op.id, 'info', 'pod 3 of 3 ready');
      await settle();
      await operations.finish(
        op.id,
        'failed',
        { phase: 'done' },
        'Rollout stalled: pod payments-api-x crash-looping at db.internal:5432',
      );
      await settle();
      await grades.record(REF, 'production', {
        status: 'warn',
        checks: [],
      } as any);
      await settle();

      expect(published.map(p => p.channel)).toEqual([
        CHANNEL,
        CHANNEL,
        CHANNEL,
      ]);
      expect(published.every(p => p.recipients.type === 'broadcast')).toBe(
        true,
      );
      expect(published.map(p => p.message)).toEqual([
        { kind: 'rollout', id: op.id, status: 'running', step: 'rolling-out' },
        { kind: 'rollout', id: op.id, status: 'failed', step: 'done' },
        { kind: 'grade' },
      ]);
      // the outcome's text (a host, a pod) stays behind the API
      expect(JSON.stringify(published)).not.toContain('db.internal');
    },
  );
});
