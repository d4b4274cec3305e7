// @ts-check

/**
 * DR readiness grades: one row per entity and environment (whose cluster was read) each time
 * its grade (the overall status or any check's status) differs from the previous row, so the
 * card can say what changed since.
 * `checks` is JSON: [{ id, status }] in the order evaluated.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
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
};
