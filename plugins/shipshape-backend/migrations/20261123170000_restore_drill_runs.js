// @ts-check

/**
 * Restore drills: restart handling, as backups have it (20261123160000_backup_runs.js).
 *
 * `step`: the step a running drill has reached (create-database, fetch, restore, checksum,
 * compare). `owner` is the backend instance running it and `heartbeat_at` its lease: a
 * restarted instance fails its own running drills at once, any instance fails drills whose
 * heartbeat stopped, and both drop the drill's temporary database (`database_name`) if they can.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('shipshape_restore_drills', table => {
    table.string('step');
    table.string('owner');
    table.timestamp('heartbeat_at', { useTz: true });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('shipshape_restore_drills', table => {
    table.dropColumn('step');
    table.dropColumn('owner');
    table.dropColumn('heartbeat_at');
  });
};
