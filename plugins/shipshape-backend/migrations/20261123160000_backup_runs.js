// @ts-check

/**
 * Backups: in-cluster runs and restart handling (docs/backup.md).
 *
 * `method`: 'pg_dump' (the backend dumps, stores and verifies) or 'in-cluster' (a Job made
 * from the service's backup CronJob; `location` names it). `step`: the step a running
 * backup has reached, kept so an interrupted run can say how far it got. `owner` is the
 * backend instance running it and `heartbeat_at` its lease: a restarted instance fails its
 * own running rows at once, and any instance fails rows whose heartbeat stopped.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('shipshape_backups', table => {
    table.string('method').notNullable().defaultTo('pg_dump');
    table.string('step');
    table.text('location');
    table.string('owner');
    table.timestamp('heartbeat_at', { useTz: true });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('shipshape_backups', table => {
    table.dropColumn('method');
    table.dropColumn('step');
    table.dropColumn('location');
    table.dropColumn('owner');
    table.dropColumn('heartbeat_at');
  });
};
