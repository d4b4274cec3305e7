// @ts-check

/**
 * Fencing of the operations engine: every claim of an operation (a first run, a takeover, a
 * restarted replica taking its run back) increments `claim_generation`. A runner writes its
 * log, progress, heartbeat and outcome only while the row still carries its generation, so a
 * replica that lost its claim (paused, partitioned from the database) cannot record anything.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('shipshape_operations', table => {
    table.integer('claim_generation').notNullable().defaultTo(0);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('shipshape_operations', table => {
    table.dropColumn('claim_generation');
  });
};
