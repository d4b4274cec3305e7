import { EventEmitter } from 'events';
import { BackupStore } from '../backup/store';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { OperationStore } from '../operations/store';
import { longPoll } from './longPoll';

jest.setTimeout(60_000);

// The long poll behind GET .../backups/:id?wait= (the backup actions follow a backup with it).
describe('longPoll over backup records', () => {
  it.each(databases.eachSupportedId())(
    'answers when the backup moves to its next step and when it ends, on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      // a backup is its operation (the run) and its artefact row; one notifier has both's news
      const ops = OperationStore.create(knex);
      const store = new BackupStore(knex, ops.changes);
      const { id } = await ops.create({
        kind: 'backup',
        entityRef: 'component:default/x',
        target: 'backup:db',
        requestedBy: 'user:default/a',
        input: { target: 'db' },
      });
      await ops.claim(id, 'replica-a');
      await store.start({
        id,
        target: 'db',
        storageType: 'local',
        storageKey: `db/${id}`,
        step: 'dump',
      });
      const follow = async (write: () => Promise<void>) => {
        const first = await store.get(id);
        let writtenAt = 0;
        setTimeout(() => {
          writtenAt = Date.now();
          write().catch(() => {});
        }, 300);
        const seen = await longPoll({
          notifier: store.changes,
          id,
          waitMs: 10_000,
          // Re-reading only every 5 s: a fast answer must come from the store's news.
          recheckMs: 5_000,
          res: new EventEmitter() as any,
          read: () => store.get(id),
          ready: r => r.status !== 'running' || r.step !== first.step,
        });
        return { seen: seen!, latencyMs: Date.now() - writtenAt };
      };

      const step = await follow(() => store.setStep(id, 'upload'));
      expect(step.seen).toMatchObject({ status: 'running', step: 'upload' });
      const end = await follow(async () => {
        await store.finish(id, { end: 'verified', sizeBytes: 1 });
        await ops.finish(id, 'succeeded', {}, 'verified');
      });
      expect(end.seen).toMatchObject({ status: 'succeeded', sizeBytes: 1 });
      expect(end.seen.verifiedAt).toBeDefined();
      // eslint-disable-next-line no-console
      console.log(
        `backup news -> long poll answer, ${databaseId}: step ${step.latencyMs} ms, end ${end.latencyMs} ms`,
      );
      expect(Math.max(step.latencyMs, end.latencyMs)).toBeLessThan(1_000);

      // An ended record answers at once.
      const started = Date.now();
      await longPoll({
        notifier: store.changes,
        id,
        waitMs: 10_000,
        recheckMs: 5_000,
        res: new EventEmitter() as any,
        read: () => store.get(id),
        ready: r => r.status !== 'running',
      });
      expect(Date.now() - started).toBeLessThan(1_000);
    },
  );
});
