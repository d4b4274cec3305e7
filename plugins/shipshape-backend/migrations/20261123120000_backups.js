// @ts-check

/**
 * Backups and restore drills (docs/backup.md).
 *
 * `shipshape_backups`: one row per backup attempt. `status` is running, verified or failed;
 * `failed_step` names the step that failed (dump, upload, verify, commit). The unique
 * partial index lets at most one backup per target be running, enforced by the database
 * itself, so also across backend replicas (PostgreSQL and SQLite both support it).
 *
 * `shipshape_restore_drills`: one row per drill of a backup, with the measured restore
 * duration (observed RTO) and the backup's age when restored (achievable RPO).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('shipshape_backups', table => {
    table.string('id').primary();
    table.string('target').notNullable();
    table.string('entity_ref').notNullable();
    table.string('status').notNullable();
    table.string('failed_step');
    table.text('error');
    table.string('storage_type').notNullable();
    table.text('storage_key').notNullable();
    table.bigInteger('size_bytes');
    table.string('sha256');
    table.integer('duration_ms');
    table.string('requested_by').notNullable();
    table.text('reason');
    table.text('tables');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true });
    table.timestamp('deleted_at', { useTz: true });
    table.index(['target', 'started_at']);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX shipshape_backups_running_target_uq ON shipshape_backups (target) WHERE status = 'running'`,
  );
  await knex.schema.createTable('shipshape_restore_drills', table => {
    table.string('id').primary();
    table.string('backup_id').notNullable();
    table.string('target').notNullable();
    table.string('entity_ref').notNullable();
    table.string('status').notNullable();
    table.string('failed_step');
    table.text('error');
    table.string('requested_by').notNullable();
    table.integer('restore_ms');
    table.integer('backup_age_seconds');
    table.text('comparison');
    table.string('database_name');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true });
    table.index(['target', 'started_at']);
    table.index(['backup_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('shipshape_restore_drills');
  await knex.raw('DROP INDEX shipshape_backups_running_target_uq');
  await knex.schema.dropTable('shipshape_backups');
};
