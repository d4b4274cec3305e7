import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { withAuditRequest } from '../http/auditRequest';
import { databases, migrated } from './__testUtils__/databases';
import { testEngine } from './__testUtils__/engine';
import { ClaimLostError, OperationOutcome } from './engine';
import { OperationStore } from './store';

jest.setTimeout(60_000);

const deploy = (target: string, reason?: string) => ({
  kind: 'deploy',
  entityRef: 'component:default/payments',
  target,
  requestedBy: 'user:default/alice',
  reason,
  input: { environment: 'staging', tag: '1.2.3' },
});

/** The audit events an auditor mock saw: [eventId, meta, 'success' | 'fail', end meta, error]. */
function auditTrail(auditor: ReturnType<typeof mockServices.auditor.mock>) {
  return Promise.all(
    auditor.createEvent.mock.calls.map(async ([options], i) => {
      const event = await auditor.createEvent.mock.results[i].value;
      const success = (event.success as jest.Mock).mock.calls;
      const fail = (event.fail as jest.Mock).mock.calls;
      let ended = 'open';
      if (success.length) ended = 'success';
      else if (fail.length) ended = 'fail';
      return {
        eventId: options.eventId,
        meta: options.meta,
        ended,
        end: success[0]?.[0]?.meta ?? fail[0]?.[0]?.meta,
        error: fail[0]?.[0]?.error?.message,
      };
    }),
  );
}

describe('OperationEngine audit events', () => {
  it.each(databases.eachSupportedId())(
    'reports who asked for what, on which entity and environment, and the outcome, on %p',
    async databaseId => {
      const auditor = mockServices.auditor.mock();
      const engine = testEngine(await migrated(databaseId), { auditor });
      let release!: (o: OperationOutcome) => void;
      engine.register('deploy', {
        run: ({ operation }) =>
          operation.target === 'local/staging/slow'
            ? new Promise(resolve => {
                release = resolve;
              })
            : Promise.resolve({
                status: 'succeeded',
                reason: 'rolled out',
                result: {},
              }),
      });
      engine.register('backup', {
        run: async () => {
          throw new Error('pg_dump exited with 1');
        },
      });

      const ok = await engine.submit(deploy('local/staging/a', 'release'));
      await engine.waitFor(ok.id);
      const failed = await engine.submit({
        ...deploy('db', undefined),
        kind: 'backup',
        input: { target: 'db' },
      });
      await engine.waitFor(failed.id);
      const slow = await engine.submit(deploy('local/staging/slow'));
      // The target is busy: refused, and the refusal is audited too.
      await expect(
        engine.submit(deploy('local/staging/slow')),
      ).rejects.toBeInstanceOf(ConflictError);
      release({ status: 'rolled-back', reason: 'stalled', result: {} });
      await engine.waitFor(slow.id);

      const who = {
        entityRef: 'component:default/payments',
        requestedBy: 'user:default/alice',
      };
      expect(await auditTrail(auditor)).toEqual([
        {
          eventId: 'operation-submit',
          meta: {
            ...who,
            kind: 'deploy',
            target: 'local/staging/a',
            environment: 'staging',
            reason: 'release',
          },
          ended: 'success',
          end: { operationId: ok.id },
          error: undefined,
        },
        {
          eventId: 'operation-run',
          meta: {
            ...who,
            kind: 'deploy',
            target: 'local/staging/a',
            environment: 'staging',
            reason: 'release',
            operationId: ok.id,
            runner: engine.instanceId,
            resumed: false,
          },
          ended: 'success',
          end: { outcome: 'succeeded', reason: 'rolled out' },
          error: undefined,
        },
        expect.objectContaining({
          eventId: 'operation-submit',
          meta: { ...who, kind: 'backup', target: 'db' },
          ended: 'success',
        }),
        expect.objectContaining({
          eventId: 'operation-run',
          meta: expect.objectContaining({ kind: 'backup', target: 'db' }),
          ended: 'fail',
          end: { outcome: 'failed', reason: 'pg_dump exited with 1' },
          error: 'failed: pg_dump exited with 1',
        }),
        expect.objectContaining({
          eventId: 'operation-submit',
          meta: expect.objectContaining({ target: 'local/staging/slow' }),
          ended: 'success',
        }),
        expect.objectContaining({
          eventId: 'operation-run',
          meta: expect.objectContaining({ operationId: slow.id }),
          ended: 'fail',
          end: { outcome: 'rolled-back', reason: 'stalled' },
        }),
        expect.objectContaining({
          eventId: 'operation-submit',
          meta: expect.objectContaining({ target: 'local/staging/slow' }),
          ended: 'fail',
          error: expect.stringContaining('local/staging/slow'),
        }),
      ]);
    },
  );
});

describe('OperationEngine audit actor', () => {
  it.each(databases.eachSupportedId())(
    'hands the auditor the request of the route that submitted (both events), none from a schedule, on %p',
    async databaseId => {
      const auditor = mockServices.auditor.mock();
      const engine = testEngine(await migrated(databaseId), { auditor });
      engine.register('deploy', {
        run: async () => ({ status: 'succeeded', reason: 'ok', result: {} }),
      });
      const request = { ip: '127.0.0.1' } as any;
      const http = await withAuditRequest(request, () =>
        engine.submit(deploy('local/staging/http')),
      );
      await engine.waitFor(http.id);
      const scheduled = await engine.submit({
        ...deploy('local/staging/scheduled'),
        requestedBy: 'shipshape:restore-drill-schedule',
      });
      await engine.waitFor(scheduled.id);
      expect(
        auditor.createEvent.mock.calls.map(([o]) => [
          o.eventId,
          o.meta?.target,
          o.request,
        ]),
      ).toEqual([
        ['operation-submit', 'local/staging/http', request],
        ['operation-run', 'local/staging/http', request],
        ['operation-submit', 'local/staging/scheduled', undefined],
        ['operation-run', 'local/staging/scheduled', undefined],
      ]);
    },
  );
});

describe('OperationEngine fencing', () => {
  it.each(databases.eachSupportedId())(
    'stops a run whose claim was taken over and never records its outcome, on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const auditor = mockServices.auditor.mock();
      const engine = testEngine(knex, {
        auditor,
        instanceId: 'replica-a',
        heartbeatMs: 50,
        staleAfterMs: 60_000,
      });
      let reached!: () => void;
      const running = new Promise<void>(r => {
        reached = r;
      });
      let seen: unknown;
      engine.register('deploy', {
        run: async ctx => {
          await ctx.log('patching');
          reached();
          // A handler that ignores its signal and answers late: its outcome must be refused.
          await new Promise(r => ctx.signal.addEventListener('abort', r));
          seen = ctx.signal.reason;
          return { status: 'succeeded', reason: 'late', result: {} };
        },
      });
      await engine.start();
      try {
        const op = await engine.submit(deploy('local/staging/fenced'));
        await running;
        // Another replica takes it over (as if replica-a had been frozen past the threshold);
        // retried, since replica-a's own beat (every 50 ms) may refresh the heartbeat between.
        let taken;
        for (let i = 0; !taken && i < 50; i++) {
          await knex('shipshape_operations')
            .where({ id: op.id })
            .update({ heartbeat_at: new Date(Date.now() - 120_000) });
          [taken] = await OperationStore.create(knex).claimOrphans(
            'replica-b',
            60_000,
          );
        }
        expect(taken?.claimGeneration).toBe(op.claimGeneration + 1);
        const after = await engine.waitFor(op.id); // the next beat finds the claim lost
        expect(seen).toBeInstanceOf(ClaimLostError);
        expect(after).toMatchObject({
          status: 'running',
          claimedBy: 'replica-b',
        });
        expect(after.outcomeReason).toBeUndefined();
        expect((await engine.store.getLog(op.id)).map(l => l.message)).toEqual([
          'patching',
        ]);
        const run = await auditTrail(auditor);
        expect(run[1]).toMatchObject({
          eventId: 'operation-run',
          ended: 'fail',
          end: { outcome: 'claim-lost' },
          error: expect.stringContaining(
            `claim ${op.claimGeneration} was lost`,
          ),
        });
      } finally {
        await engine.stop();
      }
    },
  );
});
