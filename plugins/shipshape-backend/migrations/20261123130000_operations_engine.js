// @ts-check

/**
 * The operations engine: a heartbeat so another backend instance can tell a live runner
 * from a dead one, and a unique partial index so two active operations on one target are
 * refused by the database itself (PostgreSQL and SQLite both support partial indexes),
 * also across backend replicas.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('shipshape_operations', table => {
    table.timestamp('heartbeat_at', { useTz: true });
    table.text('outcome_reason');
  });
  await knex.raw(
    `CREATE UNIQUE INDEX shipshape_operations_active_target_uq ON shipshape_operations (target) WHERE status IN ('queued', 'running')`,
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX shipshape_operations_active_target_uq');
  await knex.schema.alterTable('shipshape_operations', table => {
    table.dropColumn('heartbeat_at');
    table.dropColumn('outcome_reason');
  });
};
