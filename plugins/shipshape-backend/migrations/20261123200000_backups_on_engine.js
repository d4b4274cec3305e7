// @ts-check

/**
 * Backups and restore drills run on the operations engine from here on: a record's id is its
 * operation's id, and the engine (not the record's `owner` / `heartbeat_at`, unused since)
 * says who runs it. A record still running without an operation was started by the code
 * before this one; nothing will ever end it, and it would hold its target's lock, so it is
 * failed here, saying why.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const withoutOperation = knex('shipshape_operations').select('id');
  for (const table of ['shipshape_backups', 'shipshape_restore_drills']) {
    await knex(table)
      .where({ status: 'running' })
      .whereNotIn('id', withoutOperation)
      .update({
        status: 'failed',
        failed_step: knex.raw('COALESCE(step, ?)', ['abandoned']),
        error: `abandoned: it was running when the backend was upgraded to run backups and drills on the operations engine${
          table === 'shipshape_restore_drills'
            ? '; its temporary database (database_name) may need dropping by hand'
            : ''
        }`,
        finished_at: new Date(),
      });
  }
};

/** @param {import('knex').Knex} _knex */
exports.down = async function down(_knex) {
  // Failing abandoned runs is not undone.
};
