import path from 'path';
import { databases, migrated } from './__testUtils__/databases';
import { replicaHarness } from './__testUtils__/replicas';

/**
 * Split brain, for real: two replicas (two Node processes) run the engine on one PostgreSQL
 * database. The first is frozen (SIGSTOP) mid-run past the takeover threshold, the second takes
 * the operation over and finishes it, then the first is resumed (SIGCONT). Needs the test
 * PostgreSQL (scripts/test.sh sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 */
jest.setTimeout(120_000);

const REPLICA = path.join(__dirname, '__testUtils__/fencingReplica.ts');
const STEPS = 8;

const postgres = databases
  .eachSupportedId()
  .filter(([id]) => id === 'POSTGRES_15');

(postgres.length ? describe : describe.skip)('operations fencing', () => {
  const harness = replicaHarness();
  afterAll(() => harness.stopAll());

  it('a replica frozen past the threshold loses its claim: one outcome, each step once', async () => {
    const knex = await migrated('POSTGRES_15');
    await knex.schema.createTable('fencing_markers', t => {
      t.text('operation_id');
      t.integer('step');
      t.text('runner');
      t.timestamp('at', { useTz: true }).defaultTo(knex.fn.now());
    });
    // The children connect to the same fresh database the test created.
    const url = new URL(
      process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING!,
    );
    url.pathname = `/${
      (await knex.raw('select current_database() as db')).rows[0].db
    }`;
    const { note, has, waitFor, start, timeline } = harness;
    const replica = (name: string, submit?: string) =>
      start(REPLICA, name, {
        FENCING_DB: JSON.stringify({ connectionString: String(url) }),
        FENCING_NAME: name,
        FENCING_SUBMIT: submit ?? '',
        FENCING_STEPS: String(STEPS),
        FENCING_STEP_MS: '300',
      });

    const a = replica('replica-a', 'local/staging/fencing');
    const b = replica('replica-b');
    await waitFor(
      'both replicas to start',
      () => has('replica-a', 'started') && has('replica-b', 'started'),
    );
    await waitFor('replica-a to finish step 2', () =>
      has('replica-a', 'step-done', e => e.step === 2),
    );
    a.kill('SIGSTOP');
    note('SIGSTOP replica-a');
    const id = String(has('replica-a', 'submitted')!.id);
    const row = () => knex('shipshape_operations').where({ id }).first();
    await waitFor(
      'replica-b to take over',
      async () => (await row()).claimed_by === 'replica-b',
    );
    note('takeover seen in the database', {
      generation: (await row()).claim_generation,
    });
    await waitFor(
      'replica-b to finish',
      async () => (await row()).status !== 'running',
    );
    note('outcome recorded', { status: (await row()).status });
    a.kill('SIGCONT');
    note('SIGCONT replica-a');
    await waitFor('replica-a to be refused', () =>
      has('replica-a', 'write-refused'),
    );
    await waitFor('replica-a to stop its run', () =>
      has('replica-a', 'engine-log', e =>
        String(e.message).includes('this run stopped'),
      ),
    );
    await new Promise(r => setTimeout(r, 1_000)); // anything else replica-a would still do
    note('end');

    // eslint-disable-next-line no-console
    console.log(
      `fencing timeline (heartbeat 200 ms, takeover after 1500 ms):\n${timeline(
        e => e.event !== 'engine-log' || e.level !== 'info',
      ).join('\n')}`,
    );

    // One outcome, recorded by the replica that holds the claim.
    const done = await row();
    expect(done).toMatchObject({
      status: 'succeeded',
      claimed_by: 'replica-b',
      claim_generation: 2,
      outcome_reason: `${STEPS} steps`,
    });
    expect(has('replica-a', 'handler-return')).toBeUndefined();
    expect(has('replica-b', 'handler-start')).toMatchObject({
      resumed: true,
      from: 3,
      generation: 2,
    });
    // Each step's side effect happened exactly once: no double deploy.
    const markers = await knex('fencing_markers')
      .where({ operation_id: id })
      .orderBy('step');
    expect(markers.map(m => [m.step, m.runner])).toEqual(
      Array.from({ length: STEPS }, (_, i) => [
        i + 1,
        i < 2 ? 'replica-a' : 'replica-b',
      ]),
    );
    // replica-a's write after resuming was refused, and its run stopped without an outcome.
    const refused = has('replica-a', 'write-refused')!;
    expect(refused.at).toBeGreaterThan(has('test', 'SIGCONT replica-a')!.at);
    expect(refused.step).toBe(3); // its step-3 marker: the side effect was never made
    expect(String(refused.error)).toContain(
      `Operation ${id}: claim 1 was lost`,
    );
    const log = (
      await knex('shipshape_operation_log')
        .where({ operation_id: id })
        .orderBy('seq')
    ).map(l => l.message);
    // Nothing of replica-a's after the takeover: its log ends where replica-b's begins.
    expect(log.filter(m => m.includes('replica-a'))).toEqual([
      'step 1 done by replica-a',
      'step 2 done by replica-a',
      'Runner replica-a stopped; resumed by replica-b',
    ]);
    expect(log.slice(-STEPS + 1)).toEqual([
      ...Array.from(
        { length: STEPS - 2 },
        (_, i) => `step ${i + 3} done by replica-b`,
      ),
      `Finished: succeeded: ${STEPS} steps`,
    ]);
    expect(log.filter(m => m.startsWith('Finished'))).toEqual([
      `Finished: succeeded: ${STEPS} steps`,
    ]);
    expect(b.exitCode).toBeNull();
  });
});
