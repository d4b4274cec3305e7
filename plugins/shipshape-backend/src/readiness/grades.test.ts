import { DrReadiness } from '@shipshape/plugin-shipshape-common';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { GradeStore } from './grades';

jest.setTimeout(60_000);

const REF = 'component:default/orders-api';

function readiness(status: 'pass' | 'warn' | 'fail', pdb: string): DrReadiness {
  return {
    status,
    checks: [
      { id: 'pdb', status: pdb, title: 'PDB', message: `pdb ${pdb}` },
      { id: 'replicas', status: 'pass', title: 'Replicas', message: '3' },
    ],
  } as unknown as DrReadiness;
}

describe('GradeStore', () => {
  it.each(databases.eachSupportedId())(
    'reads without writing, and records a grade only when it changes; on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const grades = new GradeStore(knex);
      const rows = () => knex('shipshape_dr_grades').where({ entity_ref: REF });
      const t0 = new Date('2026-12-01T10:00:00Z');
      const t1 = new Date('2026-12-01T11:00:00Z');
      const t2 = new Date('2026-12-01T12:00:00Z');

      // A read of a never-recorded grade: dated now, nothing before it, nothing written.
      const read = await grades.history(
        REF,
        'production',
        readiness('fail', 'fail'),
        t0,
      );
      expect(read).toEqual({
        isRecorded: false,
        gradedAt: t0.toISOString(),
        previous: undefined,
        changes: [],
      });
      expect(await rows()).toHaveLength(0);

      await grades.record(REF, 'production', readiness('fail', 'fail'), t0);
      // The same grade again: not recorded twice, dated when first recorded.
      expect(
        await grades.record(REF, 'production', readiness('fail', 'fail'), t1),
      ).toMatchObject({ gradedAt: t0.toISOString(), changes: [] });
      expect(await rows()).toHaveLength(1);

      // A changed grade, read: the change from the recorded one, still nothing written.
      const changed = await grades.history(
        REF,
        'production',
        readiness('pass', 'pass'),
        t2,
      );
      expect(changed).toEqual({
        isRecorded: false,
        gradedAt: t2.toISOString(),
        previous: { status: 'fail', gradedAt: t0.toISOString() },
        changes: [{ id: 'pdb', from: 'fail', to: 'pass' }],
      });
      expect(await rows()).toHaveLength(1);

      // Recorded: the read now says so, with the same change.
      await grades.record(REF, 'production', readiness('pass', 'pass'), t2);
      expect(
        await grades.history(REF, 'production', readiness('pass', 'pass')),
      ).toEqual({ ...changed, isRecorded: true });
      expect(await rows()).toHaveLength(2);
      // Another environment has its own history.
      expect(
        (await grades.history(REF, 'staging', readiness('pass', 'pass'), t2))
          .previous,
      ).toBeUndefined();
    },
  );
});
