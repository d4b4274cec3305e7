// @ts-check

/**
 * Operations (deploy, rollback, backup, restore drill) and their log: the one audit trail
 * shared by the entity page's buttons and the scaffolder actions.
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
        'what it acts on, e.g. environment/namespace/deployment or a backup target',
      );
    table
      .string('status', 16)
      .notNullable()
      .comment('queued | running | succeeded | failed | rolled-back');
    table.string('requested_by', 255).notNullable();
    table.text('reason');
    table.text('input').notNullable().comment('JSON');
    table.text('result').comment('JSON');
    table.string('claimed_by', 64).comment('the backend instance running it');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true });
    table.index(
      ['entity_ref', 'created_at'],
      'shipshape_operations_entity_idx',
    );
    table.index(['target', 'status'], 'shipshape_operations_target_idx');
  });
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
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('shipshape_operation_log');
  await knex.schema.dropTable('shipshape_operations');
};
