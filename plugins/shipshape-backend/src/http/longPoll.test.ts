import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import { BackupStore } from '../backup/store';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { longPoll } from './longPoll';

jest.setTimeout(60_000);

// The long poll behind GET .../backups/:id?wait= (the backup actions follow a backup with it).
describe('longPoll over backup records', () => {
  it.each(databases.eachSupportedId())(
    'answers when the backup moves to its next step and when it ends, on %p',
    async databaseId => {
      const store = new BackupStore(await migrated(databaseId));
      const id = randomUUID();
      await store.start({
        id,
        target: 'db',
        entityRef: 'component:default/x',
        storageType: 'local',
        storageKey: `db/${id}`,
        requestedBy: 'user:default/a',
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
      const end = await follow(() =>
        store.finish(id, { status: 'verified', sizeBytes: 1 }),
      );
      expect(end.seen).toMatchObject({ status: 'verified' });
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
