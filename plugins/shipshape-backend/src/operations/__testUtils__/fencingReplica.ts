/**
 * One backend replica for operations/fencing.test.ts, run as its own Node process: an
 * operations engine on the test PostgreSQL database with short heartbeat and takeover
 * thresholds, and a 'deploy' handler whose every step writes a marker row under the run's
 * claim. Each thing that happens is printed as one JSON line on stdout for the test's timeline.
 *
 * Env: FENCING_DB (knex connection, JSON), FENCING_NAME (instance name), FENCING_SUBMIT (a
 * target: submit one operation on it at start), FENCING_STEPS, FENCING_STEP_MS.
 */
import knexFactory from 'knex';
import { ClaimLostError, OperationEngine } from '../engine';
import { OperationStore } from '../store';
import { replicaReporter } from './replicas';

const name = process.env.FENCING_NAME!;
const steps = Number(process.env.FENCING_STEPS ?? 8);
const stepMs = Number(process.env.FENCING_STEP_MS ?? 300);
const { emit, logger, auditor } = replicaReporter(name);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function main() {
  const knex = knexFactory({
    client: 'pg',
    connection: JSON.parse(process.env.FENCING_DB!),
    pool: { min: 0, max: 4 },
  });
  const engine = OperationEngine.create({
    store: OperationStore.create(knex),
    logger,
    auditor,
    instanceId: name,
    heartbeatMs: 200,
    staleAfterMs: 1_500,
  });
  engine.register('deploy', {
    async run(ctx) {
      const from = ((ctx.operation.result as any)?.step ?? 0) + 1;
      emit('handler-start', {
        resumed: ctx.resumed,
        from,
        generation: ctx.operation.claimGeneration,
      });
      let current = from;
      try {
        for (let step = from; step <= steps; step++) {
          current = step;
          await sleep(stepMs);
          // Deliberately no look at ctx.signal first: the database itself must refuse.
          await ctx.fenced(async tx => {
            await tx('fencing_markers').insert({
              operation_id: ctx.operation.id,
              step,
              runner: name,
            });
            await tx('shipshape_operations')
              .where({ id: ctx.operation.id })
              .update({ result: JSON.stringify({ step }) });
          });
          await ctx.log(`step ${step} done by ${name}`);
          emit('step-done', { step });
        }
      } catch (e) {
        emit(e instanceof ClaimLostError ? 'write-refused' : 'handler-error', {
          step: current,
          error: String(e),
          signalAborted: ctx.signal.aborted,
          signalReason: String(ctx.signal.reason ?? ''),
        });
        throw e;
      }
      emit('handler-return');
      return {
        status: 'succeeded',
        reason: `${steps} steps`,
        result: { steps },
      };
    },
  });
  await engine.start();
  emit('started');
  if (process.env.FENCING_SUBMIT) {
    const op = await engine.submit({
      kind: 'deploy',
      entityRef: 'component:default/fencing',
      target: process.env.FENCING_SUBMIT,
      requestedBy: 'user:default/test',
      input: {},
    });
    emit('submitted', { id: op.id, generation: op.claimGeneration });
  }
  process.on('SIGTERM', async () => {
    await engine.stop();
    await knex.destroy();
    process.exit(0);
  });
}

main().catch(e => {
  emit('crashed', { error: String(e) });
  process.exit(1);
});
