import { Knex } from 'knex';

/**
 * The operation of a backup or drill a test records by hand (a backup or drill is its
 * operation plus the artefact or results row keyed by its id). Its engine target carries the id,
 * so a `running` one does not hold the real target (`backup:<name>`) against the test's runs.
 */
export async function recordRun(
  knex: Knex,
  run: {
    id: string;
    kind: 'backup' | 'restore-drill';
    target: string;
    entityRef: string;
    requestedBy?: string;
    status?: 'running' | 'succeeded' | 'failed';
    at?: Date;
  },
): Promise<void> {
  const at = run.at ?? new Date();
  await knex('shipshape_operations').insert({
    id: run.id,
    kind: run.kind,
    entity_ref: run.entityRef,
    target: `${run.kind}:${run.target}@${run.id}`,
    status: run.status ?? 'running',
    requested_by: run.requestedBy ?? 'user:default/owner-user',
    input: JSON.stringify({ target: run.target }),
    created_at: at,
    updated_at: at,
  });
}
