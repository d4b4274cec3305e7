import { ConflictError } from '@backstage/errors';
import knexFactory from 'knex';
import { ClaimLostError, OperationStore } from './store';
import { databases, migrated } from './__testUtils__/databases';

jest.setTimeout(60_000);

const op = (target: string, requestedBy = 'user:default/a') => ({
  kind: 'deploy',
  entityRef: 'component:default/x',
  target,
  requestedBy,
  reason: 'why',
  input: { environment: 'staging' },
});

describe('OperationStore', () => {
  it.each(databases.eachSupportedId())(
    'stores operations, log and outcome on %p',
    async databaseId => {
      const store = OperationStore.create(await migrated(databaseId));
      const created = await store.create(op('local/staging/a'));
      expect(created).toMatchObject({
        status: 'queued',
        requestedBy: 'user:default/a',
        reason: 'why',
        input: { environment: 'staging' },
      });
      expect(await store.claim(created.id, 'i1')).toBe(true);
      expect(await store.claim(created.id, 'i2')).toBe(false);
      await store.appendLog(created.id, 'info', 'one');
      await store.appendLog(created.id, 'warn', 'two');
      const log = await store.getLog(created.id);
      expect(log.map(l => [l.level, l.message])).toEqual([
        ['info', 'one'],
        ['warn', 'two'],
      ]);
      expect(await store.getLog(created.id, log[0].seq)).toHaveLength(1);
      await store.saveProgress(created.id, { phase: 'rolling-out' });
      expect((await store.get(created.id))!.result).toEqual({
        phase: 'rolling-out',
      });
      await store.finish(created.id, 'succeeded', { ok: 1 }, 'done');
      const done = (await store.get(created.id))!;
      expect(done).toMatchObject({
        status: 'succeeded',
        result: { ok: 1 },
        outcomeReason: 'done',
        claimedBy: 'i1',
      });
      expect(Date.parse(done.finishedAt!)).toBeGreaterThan(0);
      expect(
        (await store.listByEntity('component:default/x')).map(o => o.id),
      ).toEqual([created.id]);
    },
  );

  it.each(databases.eachSupportedId())(
    "pages an entity's operations of every kind, newest first, on %p",
    async databaseId => {
      const store = OperationStore.create(await migrated(databaseId));
      const kinds = ['deploy', 'backup', 'pause', 'restore-drill', 'rollback'];
      for (const kind of kinds) {
        const o = await store.create({ ...op(`t/${kind}`), kind });
        await store.finish(o.id, 'succeeded', {}, 'done');
      }
      await store.create({
        ...op('t/other'),
        entityRef: 'component:default/y',
      });
      const ref = 'component:default/x';
      expect(await store.countByEntity(ref)).toBe(5);
      const pages = [
        await store.listByEntity(ref, { limit: 2 }),
        await store.listByEntity(ref, { limit: 2, offset: 2 }),
        await store.listByEntity(ref, { limit: 2, offset: 4 }),
      ];
      expect(pages.map(p => p.length)).toEqual([2, 2, 1]);
      const all = pages.flat();
      expect(new Set(all.map(o => o.kind))).toEqual(new Set(kinds));
      const times = all.map(o => Date.parse(o.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(await store.listByEntity(ref, { offset: 5 })).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses a second active operation on one target, also from another connection, on %p',
    async databaseId => {
      const knex1 = await migrated(databaseId);
      // A second backend instance: its own connection pool to the same database.
      const knex2 =
        databaseId === 'SQLITE_3'
          ? knex1
          : knexFactory({ ...knex1.client.config, pool: { min: 0, max: 5 } });
      try {
        const a = OperationStore.create(knex1);
        const b = OperationStore.create(knex2);
        // Both instances race for the same target: exactly one wins.
        const results = await Promise.allSettled([
          a.create(op('local/prod/api')),
          b.create(op('local/prod/api')),
          a.create(op('local/prod/api')),
          b.create(op('local/prod/api')),
        ]);
        const ok = results.filter(r => r.status === 'fulfilled');
        const refused = results.filter(
          r => r.status === 'rejected',
        ) as PromiseRejectedResult[];
        expect(ok).toHaveLength(1);
        expect(refused).toHaveLength(3);
        for (const r of refused) {
          expect(r.reason).toBeInstanceOf(ConflictError);
          expect(r.reason.message).toMatch(
            /local\/prod\/api is busy: operation .* \(deploy, requested by user:default\/a\) is queued/,
          );
        }
        // Another target is independent; a finished one frees its target.
        await b.create(op('local/prod/other'));
        const winner = (ok[0] as PromiseFulfilledResult<any>).value;
        await a.finish(winner.id, 'failed', {}, 'x');
        await expect(b.create(op('local/prod/api'))).resolves.toMatchObject({
          status: 'queued',
        });
      } finally {
        if (knex2 !== knex1) await knex2.destroy();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'hands each orphaned operation to exactly one instance on %p',
    async databaseId => {
      const knex1 = await migrated(databaseId);
      const knex2 =
        databaseId === 'SQLITE_3'
          ? knex1
          : knexFactory({ ...knex1.client.config, pool: { min: 0, max: 5 } });
      try {
        const a = OperationStore.create(knex1);
        const b = OperationStore.create(knex2);
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          const o = await a.create(op(`t/${i}`));
          await a.claim(o.id, 'dead-instance');
          ids.push(o.id);
        }
        // Live heartbeat: nobody takes them, not even another instance asking for its own.
        expect(await b.claimOrphans('i2', 60_000)).toEqual([]);
        expect(
          await b.claimOrphans('i2', 60_000, { includeOwn: true }),
        ).toEqual([]);
        await knex1('shipshape_operations')
          .whereIn('id', ids)
          .update({ heartbeat_at: new Date(Date.now() - 120_000) });
        const [x, y] = await Promise.all([
          a.claimOrphans('i1', 60_000, { limit: 4 }),
          b.claimOrphans('i2', 60_000, { limit: 4 }),
        ]);
        const all = [...x, ...y].map(o => o.id).sort();
        expect(all).toEqual([...ids].sort());
        expect(new Set(all).size).toBe(6);
        for (const o of x) expect(o.claimedBy).toBe('i1');
        for (const o of y) expect(o.claimedBy).toBe('i2');
        for (const o of [...x, ...y]) {
          expect(o.previousRunner).toBe('dead-instance');
        }
      } finally {
        if (knex2 !== knex1) await knex2.destroy();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'gives a restarted instance its own running operations at once on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const store = OperationStore.create(knex);
      const mine = await store.create(op('own/1'));
      await store.claim(mine.id, 'node-a');
      const theirs = await store.create(op('own/2'));
      await store.claim(theirs.id, 'node-b');
      // Both heartbeats are fresh: only node-a's own run is handed back to node-a.
      const got = await store.claimOrphans('node-a', 60_000, {
        includeOwn: true,
      });
      expect(got.map(o => [o.id, o.previousRunner])).toEqual([
        [mine.id, 'node-a'],
      ]);
      expect(await store.claimOrphans('node-a', 60_000)).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses every write of a runner whose claim was taken over on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const store = OperationStore.create(knex);
      const o = await store.create(op('fence/1'));
      expect(await store.claim(o.id, 'a')).toBe(true);
      const first = (await store.get(o.id))!.claimGeneration;
      expect(first).toBe(1);
      await store.appendLog(o.id, 'info', 'a: step 1', first);
      await store.saveProgress(o.id, { step: 1 }, first);
      expect(
        await store.heartbeat('a', [{ id: o.id, generation: first }]),
      ).toEqual([]);
      // a stops beating; b takes the operation over with the next generation.
      await knex('shipshape_operations')
        .where({ id: o.id })
        .update({ heartbeat_at: new Date(Date.now() - 120_000) });
      const [taken] = await store.claimOrphans('b', 60_000);
      expect(taken).toMatchObject({
        claimedBy: 'b',
        claimGeneration: 2,
        previousRunner: 'a',
      });

      // a, resumed: each write is refused with a ClaimLostError naming the operation.
      const refused = [
        store.appendLog(o.id, 'info', 'a: step 2', first),
        store.saveProgress(o.id, { step: 2 }, first),
        store.finish(o.id, 'succeeded', { by: 'a' }, 'a done', first),
        store.fenced(o.id, first, async tx =>
          tx('shipshape_operation_log').insert({
            operation_id: o.id,
            at: new Date(),
            level: 'info',
            message: 'a: side effect',
          }),
        ),
      ];
      for (const write of refused) {
        await expect(write).rejects.toThrow(ClaimLostError);
      }
      await expect(store.saveProgress(o.id, {}, first)).rejects.toThrow(
        `Operation ${o.id}: claim 1 was lost`,
      );
      expect(
        await store.heartbeat('a', [{ id: o.id, generation: first }]),
      ).toEqual([o.id]);
      // The same name with an old generation is refused too (a restarted replica took it back).
      expect(
        await store.heartbeat('b', [{ id: o.id, generation: first }]),
      ).toEqual([o.id]);

      // b's writes go through; after its outcome nobody writes under any claim.
      expect(await store.heartbeat('b', [{ id: o.id, generation: 2 }])).toEqual(
        [],
      );
      await store.appendLog(o.id, 'info', 'b: step 2', 2);
      await store.fenced(o.id, 2, async tx =>
        tx('shipshape_operations').where({ id: o.id }).update({ reason: 'b' }),
      );
      await store.finish(o.id, 'succeeded', { by: 'b' }, 'b done', 2);
      await expect(
        store.finish(o.id, 'failed', {}, 'again', 2),
      ).rejects.toThrow(ClaimLostError);
      await expect(store.appendLog(o.id, 'info', 'late', 2)).rejects.toThrow(
        ClaimLostError,
      );
      expect(await store.get(o.id)).toMatchObject({
        status: 'succeeded',
        result: { by: 'b' },
        outcomeReason: 'b done',
        reason: 'b',
      });
      expect((await store.getLog(o.id)).map(l => l.message)).toEqual([
        'a: step 1',
        'b: step 2',
      ]);
    },
  );
});

// PostgreSQL only: SQLite has no row locks (one writer).
const postgres = databases
  .eachSupportedId()
  .filter(([id]) => id === 'POSTGRES_15');

(postgres.length ? describe : describe.skip)(
  'OperationStore on PostgreSQL',
  () => {
    it('a runner frozen inside a fenced write does not hold its operation for good', async () => {
      const knex = await migrated('POSTGRES_15');
      const store = OperationStore.create(knex);
      const o = await store.create(op('fence/frozen'));
      expect(await store.claim(o.id, 'a')).toBe(true);
      const first = (await store.get(o.id))!.claimGeneration;
      // a stops (SIGSTOP, a lost network) inside its write: the transaction stays open, idle,
      // with the operation's row locked; takeovers skip locked rows
      let thaw = () => {};
      const frozen = store.fenced(
        o.id,
        first,
        () => new Promise<void>(r => (thaw = r)),
      );
      await new Promise(r => setTimeout(r, 200));
      const t0 = Date.now();
      // waits for the row lock: PostgreSQL ends a's idle session and releases it
      await knex('shipshape_operations')
        .where({ id: o.id })
        .update({ heartbeat_at: new Date(Date.now() - 120_000) });
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThan(3_000);
      expect(waited).toBeLessThan(20_000);
      const [taken] = await store.claimOrphans('b', 60_000);
      expect(taken).toMatchObject({ claimedBy: 'b', claimGeneration: 2 });
      // a, thawed, commits nothing: its session is gone
      thaw();
      await expect(frozen).rejects.toThrow();
    });
  },
);
