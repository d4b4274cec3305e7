import { Entity } from '@backstage/catalog-model';
import { SHIPSHAPE_ANNOTATIONS as A } from '@shipshape/plugin-shipshape-common';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Notification, startNotifyBackend } from './__testUtils__/backend';

jest.setTimeout(240_000);

// DR grade notifications through the real shipshape and notifications backends: real backups
// of the stack's payments database (pg_dump, local storage, a second copy in another folder) and
// real restore drills; grades recorded after each operation, as the plugin does.
const stack = readLocalStack();
const PW_ENV = 'SHIPSHAPE_TEST_GRADE_NOTIFY_PG';
const DRILL_ENV = 'SHIPSHAPE_TEST_GRADE_NOTIFY_DRILL';
process.env[PW_ENV] = stack.postgres.password;
process.env[DRILL_ENV] = stack.postgres.drillPassword;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-grade-notify-'));
const primary = path.join(dir, 'primary');
const second = path.join(dir, 'second');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      namespace: 'default',
      annotations: {
        [A.backupTarget.name]: 'payments-db',
        [A.tier.name]: 'critical', // asks for a second backup copy
        [A.rpo.name]: '1m',
        [A.rto.name]: '1h',
        [A.runbook.name]: 'https://runbooks.example.test/payments',
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  },
];

describe('DR grade notifications (real notifications backend)', () => {
  let backend: Awaited<ReturnType<typeof startNotifyBackend>>;

  beforeAll(async () => {
    backend = await startNotifyBackend({
      entities,
      config: {
        shipshape: {
          backup: {
            binDir: stack.postgres.binDir,
            storage: { type: 'local', directory: primary },
            drill: { connection: stackDrillConnection(DRILL_ENV) },
            targets: [
              {
                name: 'payments-db',
                connection: stackPaymentsConnection(PW_ENV),
                allowedEntities: ['component:default/payments-api'],
                copyTo: { type: 'local', directory: second },
              },
            ],
          },
        },
      },
    });
  });

  /** Runs a backup (or a drill) of payments-api to its end; returns its status. */
  const run = async (what: 'backups' | 'restore-drills') =>
    (
      await backend.operation(
        `/entities/component/default/payments-api/${what}`,
        {},
      )
    ).status;
  const inbox = (ready: (list: Notification[]) => boolean) =>
    backend.inbox(ready);
  const titles = (list: Notification[]) =>
    list.map(n => n.payload.title).sort();
  const grade = async () =>
    (await backend.get('/entities/component/default/payments-api/dr-readiness'))
      .body;

  it('a lost second copy drops the grade and an aged backup breaches the RPO: one notification each, updated on recovery', async () => {
    expect(await run('backups')).toBe('succeeded');
    expect(await run('restore-drills')).toBe('succeeded');
    const before = await grade();
    expect(before.checks).toContainEqual(
      expect.objectContaining({ id: 'second-copy', status: 'pass' }),
    );
    expect(before.checks).toContainEqual(
      expect.objectContaining({ id: 'backup-fresh', status: 'pass' }),
    );
    expect(before.status).not.toBe('fail');
    const was = before.status;

    // the second location is gone (a file where its folder was): the next backup is verified,
    // its copy fails, the critical tier's second-copy check fails and the grade drops
    fs.rmSync(second, { recursive: true, force: true });
    fs.writeFileSync(second, 'not a folder');
    expect(await run('backups')).toBe('succeeded');
    const dropped = `DR readiness of payments-api in production dropped from ${was} to fail`;
    let list = await inbox(l => l.some(n => n.payload.title === dropped));
    expect(titles(list)).toEqual([dropped]);
    expect(list[0].payload).toMatchObject({
      link: '/catalog/default/component/payments-api',
      severity: 'high',
      topic: 'shipshape-dr-grade',
      scope: 'shipshape:dr-grade:component:default/payments-api:production',
    });
    expect(list[0].payload.description).toContain('Fix: Configure a second');
    expect(list[0].payload.description).not.toContain(dir);

    // the folder is back: the next backup's copy verifies, the same notification says so
    fs.rmSync(second);
    expect(await run('backups')).toBe('succeeded');
    const back = `DR readiness of payments-api in production is back to ${was}`;
    list = await inbox(l => l.some(n => n.payload.title === back));
    expect(titles(list)).toEqual([back]);
    const lastBackup = Date.now();

    // nothing backs up for longer than the RPO (1m); the next grading (here after a restore
    // drill; in a portal also the scheduled pass, every 15 min) finds the RPO breached
    await new Promise(r =>
      setTimeout(r, Math.max(0, lastBackup + 61_000 - Date.now())),
    );
    expect(await run('restore-drills')).toBe('succeeded');
    const breached =
      'RPO breached: payments-api in production has no verified backup within its RPO';
    list = await inbox(l => l.some(n => n.payload.title === breached));
    expect(titles(list)).toEqual([back, breached].sort());
    const rpo = list.find(n => n.payload.title === breached)!.payload;
    expect(rpo).toMatchObject({
      severity: 'high',
      topic: 'shipshape-rpo',
      scope: 'shipshape:rpo:component:default/payments-api:production',
    });
    expect(rpo.description).toMatch(
      /older than the RPO of 1m\. Fix: Back up now/,
    );
    expect(rpo.description).not.toContain(dir);

    // a backup: the RPO notification turns into the recovery; still two notifications in all
    expect(await run('backups')).toBe('succeeded');
    const recovered = 'payments-api in production is within its RPO again';
    list = await inbox(l => l.some(n => n.payload.title === recovered));
    expect(titles(list)).toEqual([back, recovered].sort());
  });
});
