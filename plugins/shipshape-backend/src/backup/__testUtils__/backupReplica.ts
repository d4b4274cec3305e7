/**
 * One backend replica for backup/fencingSigstop.stack.test.ts, run as its own Node process: the
 * operations engine (heartbeat 200 ms, takeover after 1.5 s) and the real BackupService on the
 * test PostgreSQL database, backing up with the `shipshape.backup` config it is given. Prints
 * each thing that happens as one JSON line (operations/__testUtils__/replicas.ts).
 *
 * Env: REPLICA_DB (knex connection, JSON), REPLICA_NAME (instance name), REPLICA_BACKUP (the
 * `shipshape.backup` config, JSON), REPLICA_SUBMIT (a target: back it up once at start).
 */
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { OperationEngine } from '../../operations/engine';
import { OperationStore } from '../../operations/store';
import { replicaReporter } from '../../operations/__testUtils__/replicas';
import { readBackupConfig } from '../config';
import { BackupService } from '../service';

const name = process.env.REPLICA_NAME!;
const { emit, logger, auditor } = replicaReporter(name);

async function main() {
  const knex = knexFactory({
    client: 'pg',
    connection: JSON.parse(process.env.REPLICA_DB!),
    pool: { min: 0, max: 4 },
  });
  const config = readBackupConfig(
    new ConfigReader({
      shipshape: { backup: JSON.parse(process.env.REPLICA_BACKUP!) },
    }),
  )!;
  const engine = OperationEngine.create({
    store: OperationStore.create(knex),
    logger,
    auditor,
    instanceId: name,
    heartbeatMs: 200,
    staleAfterMs: 1_500,
  });
  const service = BackupService.create({
    config,
    knex,
    logger,
    engine,
  }).registerOperations();
  await engine.start();
  emit('started');
  process.on('SIGTERM', async () => {
    await engine.stop();
    await knex.destroy();
    process.exit(0);
  });
  const submit = process.env.REPLICA_SUBMIT;
  if (submit) {
    const target = config.targets.get(submit)!;
    const { record, done } = await service.startBackup({
      target,
      entityRef: target.allowedEntities[0],
      requestedBy: 'user:default/test',
    });
    emit('submitted', { id: record.id, key: record.storageKey });
    const end = await done;
    emit('backup-done', {
      id: end.id,
      status: end.status,
      verifiedAt: end.verifiedAt,
    });
  }
}

main().catch(e => {
  emit('crashed', { error: String(e) });
  process.exit(1);
});
