// @ts-check

/**
 * Second copies of verified backups (target copyTo): one row per copy attempt, with the
 * location, size and SHA-256 re-read there, and verified_at or the failed step and error.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('shipshape_backup_copies', table => {
    table.increments('id');
    table.string('backup_id').notNullable();
    table.string('target').notNullable();
    table.string('location').notNullable();
    table.string('status').notNullable(); // verified | failed | deleted
    table.bigInteger('size_bytes').nullable();
    table.string('sha256').nullable();
    table.string('failed_step').nullable();
    table.text('error').nullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('verified_at', { useTz: true }).nullable();
    table.index(['backup_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('shipshape_backup_copies');
};
