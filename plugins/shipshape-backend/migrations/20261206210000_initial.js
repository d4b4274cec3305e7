// @ts-check

/**
 * The plugin's schema (PostgreSQL and SQLite). It replaces the nine migrations written before
 * the first release (20261123000000_operations.js … 20261206180000_operations_fencing.js);
 * a database migrated by those must be dropped once (docs/operations.md, "Database").
 *
 * `shipshape_operations`: deploy, rollback, backup and restore drill, with their log: the one
 * audit trail of the entity page's buttons and the scaffolder actions (docs/operations.md).
 * A claim (first run, takeover, restart) sets `claimed_by`, `heartbeat_at` and increments
 * `claim_generation`, the run's fencing token: a runner writes only while the row still
 * carries its generation. The unique partial index `shipshape_operations_active_target_uq`
 * refuses a second queued or running operation on one target, across backend replicas; a
 * backup's or drill's target (`backup:<name>`, `restore-drill:<name>`) is guarded by it too.
 *
 * A backup or restore drill is one operation: its row is the record of the run (who, why,
 * status, times, log), and `step` (the step a run has reached, kept after it ends),
 * `failed_step` and `error` are written by the run (null for deploys and rollbacks).
 *
 * `shipshape_backups` (docs/backup.md): the facts of the artefact a backup run made, keyed by
 * its `operation_id`: `method` 'pg_dump', 'in-cluster' (`location` names the Job) or 'cronjob',
 * where it is stored, its size, checksum and tables, `taken_at` (when its data was taken: the
 * RPO counts from it), `verified_at` (the portal re-read and checked it) and `deleted_at`
 * (retention removed it).
 *
 * `shipshape_restore_drills`: a drill's results, keyed by its `operation_id`: the backup it
 * restored, `restore_ms` (the observed RTO), `backup_age_seconds` (the achievable RPO), the
 * row comparison and `database_name`, its temporary database.
 *
 * `shipshape_backup_copies`: one row per copy of a verified backup to its target's `copyTo`.
 *
 * `shipshape_dr_grades`: a row per entity and environment each time its DR grade (overall or
 * any check's status) differs from the previous row; `checks` is JSON [{ id, status }].
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('shipshape_operations', table => {
    table.string('id', 36).primary().notNullable();
    table
      .string('kind', 32)
      .notNullable()
      .comment('deploy | rollback | backup | restore-drill');
    table.string('entity_ref', 255).notNullable();
    table
      .string('target', 255)
      .notNullable()
      .comment(
        'what it acts on, e.g. environment/namespace/deployment or backup:<target>',
      );
    table
      .string('status', 16)
      .notNullable()
      .comment('queued | running | succeeded | failed | rolled-back');
    table.string('requested_by', 255).notNullable();
    table.text('reason');
    table.text('input').notNullable().comment('JSON');
    table.text('result').comment('JSON');
    table.text('outcome_reason');
    table
      .string('step', 32)
      .comment('backup and drill runs: the step reached, kept after the end');
    table.string('failed_step', 32);
    table.text('error').comment('backup and drill runs: why the run failed');
    table.string('claimed_by', 64).comment('the backend instance running it');
    table.integer('claim_generation').notNullable().defaultTo(0);
    table.timestamp('heartbeat_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true });
    table.index(
      ['entity_ref', 'created_at'],
      'shipshape_operations_entity_idx',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX shipshape_operations_active_target_uq ON shipshape_operations (target) WHERE status IN ('queued', 'running')`,
  );

  await knex.schema.createTable('shipshape_operation_log', table => {
    table.bigIncrements('seq').primary();
    table
      .string('operation_id', 36)
      .notNullable()
      .references('id')
      .inTable('shipshape_operations')
      .onDelete('CASCADE');
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('level', 8).notNullable();
    table.text('message').notNullable();
    table.index(['operation_id', 'seq'], 'shipshape_operation_log_op_idx');
  });

  await knex.schema.createTable('shipshape_backups', table => {
    table
      .string('operation_id', 36)
      .primary()
      .notNullable()
      .references('id')
      .inTable('shipshape_operations')
      .onDelete('CASCADE');
    table.string('target').notNullable();
    table.string('method').notNullable().defaultTo('pg_dump');
    table.string('storage_type').notNullable();
    table.text('storage_key').notNullable();
    table.text('location');
    table.bigInteger('size_bytes');
    table.string('sha256');
    table.integer('duration_ms');
    table.text('tables');
    table.timestamp('taken_at', { useTz: true }).notNullable();
    table.timestamp('verified_at', { useTz: true });
    table.timestamp('deleted_at', { useTz: true });
    table.index(['target', 'taken_at']);
  });

  await knex.schema.createTable('shipshape_restore_drills', table => {
    table
      .string('operation_id', 36)
      .primary()
      .notNullable()
      .references('id')
      .inTable('shipshape_operations')
      .onDelete('CASCADE');
    table.string('backup_id', 36).notNullable();
    table.string('target').notNullable();
    table.integer('restore_ms');
    table.integer('backup_age_seconds');
    table.text('comparison');
    table.string('database_name');
    table.index(['target']);
  });

  await knex.schema.createTable('shipshape_backup_copies', table => {
    table.increments('id');
    table.string('backup_id').notNullable();
    table.string('target').notNullable();
    table.string('location').notNullable();
    table.string('status').notNullable(); // verified | failed | deleted
    table.bigInteger('size_bytes');
    table.string('sha256');
    table.string('failed_step');
    table.text('error');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('verified_at', { useTz: true });
    table.index(['backup_id']);
  });

  await knex.schema.createTable('shipshape_dr_grades', table => {
    table.increments('id');
    table.string('entity_ref').notNullable();
    table.string('environment').notNullable();
    table.string('status').notNullable();
    table.text('checks').notNullable();
    table.timestamp('graded_at', { useTz: true }).notNullable();
    table.index(['entity_ref', 'environment', 'id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('shipshape_dr_grades');
  await knex.schema.dropTable('shipshape_backup_copies');
  await knex.schema.dropTable('shipshape_restore_drills');
  await knex.schema.dropTable('shipshape_backups');
  await knex.schema.dropTable('shipshape_operation_log');
  await knex.schema.dropTable('shipshape_operations');
};
