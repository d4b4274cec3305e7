import { Entity } from '@backstage/catalog-model';
import {
  cronJobBackupKey,
  CRONJOB_BACKUP_LAYOUT,
  SHIPSHAPE_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Notification, startNotifyBackend } from './__testUtils__/backend';

jest.setTimeout(120_000);

const stack = readLocalStack();
const PW_ENV = 'SHIPSHAPE_TEST_NOTIFY_PG_PASSWORD';
const DRILL_PW_ENV = 'SHIPSHAPE_TEST_NOTIFY_DRILL_PASSWORD';
process.env[DRILL_PW_ENV] = stack.postgres.drillPassword;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-notify-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      namespace: 'default',
      annotations: { [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'payments-db' },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  },
];

describe('notifications of failed operations (real notifications backend)', () => {
  let backend: Awaited<ReturnType<typeof startNotifyBackend>>;

  beforeAll(async () => {
    backend = await startNotifyBackend({
      entities,
      config: {
        shipshape: {
          backup: {
            binDir: stack.postgres.binDir,
            storage: { type: 'local', directory: dir },
            drill: { connection: stackDrillConnection(DRILL_PW_ENV) },
            targets: [
              {
                name: 'payments-db',
                connection: stackPaymentsConnection(PW_ENV),
                allowedEntities: ['component:default/payments-api'],
              },
            ],
          },
        },
      },
    });
  });

  const ENTITY_API = '/entities/component/default/payments-api';

  /** Starts a backup (`backups`) or drill (`restore-drills`) of payments-api and runs it to its end. */
  const run = (what: string, body: object) =>
    backend.operation(`${ENTITY_API}/${what}`, body);

  /** Runs a backup of payments-api to its end; returns its status. */
  async function backup(): Promise<string> {
    return (await run('backups', { reason: 'notification test' })).status;
  }

  /**
   * The owner's notifications of one topic (`shipshape-backup`, `shipshape-restore-drill`:
   * a drill or backup also records a grade, whose notices have topics of their own), once
   * there are `want` and the newest has `title`.
   */
  async function inbox(
    want: number,
    title: string,
    topic = 'shipshape-backup',
  ) {
    const of = (list: Notification[]) =>
      list.filter(n => n.payload.topic === topic);
    return of(
      await backend.inbox(l => {
        const mine = of(l);
        return mine.length === want && mine[0]?.payload.title === title;
      }, 10),
    );
  }

  /** What a notice must never say: the password, the database host, the storage directory, a checksum. */
  function expectNoSecrets(payload: object) {
    const text = JSON.stringify(payload);
    expect(text).not.toContain('wrong-Secret-1a2b3c');
    expect(text).not.toContain(`${stack.postgres.host}:${stack.postgres.port}`);
    expect(text).not.toContain(dir);
    expect(text).not.toMatch(/[0-9a-f]{64}/i);
  }

  it('tells the owning group of a failed backup once, then of the recovery, in one notification', async () => {
    process.env[PW_ENV] = 'wrong-Secret-1a2b3c';
    expect(await backup()).toBe('failed');
    expect(await backup()).toBe('failed');
    let list = await inbox(1, 'Backup of payments-api failed');
    expect(list).toHaveLength(1); // two failures, one notification (same scope)
    const failed = list[0].payload;
    expect(failed).toMatchObject({
      title: 'Backup of payments-api failed',
      link: '/catalog/default/component/payments-api',
      severity: 'high',
    });
    expect(failed.scope).toMatch(
      /^shipshape:backup:component:default\/payments-api:/,
    );
    expect(failed.description).toMatch(
      /^failed at .*password authentication failed/,
    );
    expectNoSecrets(failed);

    process.env[PW_ENV] = stack.postgres.password;
    expect(await backup()).toBe('succeeded');
    list = await inbox(1, 'Backup of payments-api succeeded again');
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: 'Backup of payments-api succeeded again',
      severity: 'normal',
      scope: failed.scope,
    });
  });

  it('tells the owning group of a failed restore drill once, then of the recovery, in one notification', async () => {
    process.env[PW_ENV] = stack.postgres.password;
    const gone = await run('backups', { reason: 'drill notification test' });
    const good = await run('backups', { reason: 'drill notification test' });
    expect([gone.status, good.status]).toEqual(['succeeded', 'succeeded']);
    // the first backup's stored object is removed behind the portal's back
    const { body } = await backend.get(`${ENTITY_API}/backups`);
    const { storageKey } = body.items.find((b: any) => b.id === gone.id);
    expect(fs.existsSync(path.join(dir, storageKey))).toBe(true);
    fs.rmSync(path.join(dir, storageKey));

    expect((await run('restore-drills', { backupId: gone.id })).status).toBe(
      'failed',
    );
    expect((await run('restore-drills', { backupId: gone.id })).status).toBe(
      'failed',
    );
    const title = 'Restore drill of payments-api failed';
    let list = await inbox(1, title, 'shipshape-restore-drill');
    expect(list).toHaveLength(1); // two failed drills, one notification
    const failed = list[0].payload;
    expect(failed).toMatchObject({
      title,
      link: '/catalog/default/component/payments-api',
      severity: 'high',
      scope:
        'shipshape:restore-drill:component:default/payments-api:restore-drill:payments-db',
    });
    expect(failed.description).toMatch(/^failed at \w+: /);
    expectNoSecrets(failed);

    expect((await run('restore-drills', { backupId: good.id })).status).toBe(
      'succeeded',
    );
    const back = 'Restore drill of payments-api succeeded again';
    list = await inbox(1, back, 'shipshape-restore-drill');
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: back,
      severity: 'normal',
      scope: failed.scope,
    });
    expect(list[0].payload.description).toMatch(/^Recovered: /);
  });

  it('tells the owning group of a corrupted CronJob backup found by the discovery pass, once, without its location or checksum', async () => {
    // A real dump, stored under the CronJob layout with its manifest, then one byte changed
    const [dumped] = fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter(f => f.isFile() && f.name.endsWith('.dump'));
    const bytes = fs.readFileSync(path.join(dumped.parentPath, dumped.name));
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const key = cronJobBackupKey('payments-db', 'production', at);
    const manifest = {
      format: CRONJOB_BACKUP_LAYOUT.format,
      target: 'payments-db',
      environment: 'production',
      service: 'payments-api',
      database: 'payments',
      serverVersion: '15',
      startedAt: at.toISOString(),
      finishedAt: at.toISOString(),
      sizeBytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      tables: [],
    };
    bytes[bytes.length >> 1] ^= 0xff;
    fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    fs.writeFileSync(path.join(dir, key), bytes);
    fs.writeFileSync(
      path.join(dir, key + CRONJOB_BACKUP_LAYOUT.manifestSuffix),
      JSON.stringify(manifest),
    );

    await backend.task('shipshape-cronjob-backup-discovery');
    await backend.task('shipshape-cronjob-backup-discovery'); // the next pass knows it: no new notice

    const title = 'Backup of payments-api in production failed';
    const list = await inbox(1, title);
    expect(list).toHaveLength(1); // the backup incident's one notification, now this failure
    const failed = list[0].payload;
    expect(failed).toMatchObject({
      title,
      link: '/catalog/default/component/payments-api',
      severity: 'high',
      scope:
        'shipshape:backup:component:default/payments-api:backup:payments-db',
    });
    expect(failed.description).toMatch(
      /^failed at verify: stored object differs from what was dumped/,
    );
    expectNoSecrets(failed);
    expect(JSON.stringify(failed)).not.toContain(key);
  });
});

describe('with shipshape.notifications.enabled: false', () => {
  it('tells no one of a failed backup', async () => {
    const backend = await startNotifyBackend({
      entities,
      config: {
        shipshape: {
          notifications: { enabled: false },
          backup: {
            binDir: stack.postgres.binDir,
            storage: { type: 'local', directory: dir },
            targets: [
              {
                name: 'payments-db',
                connection: stackPaymentsConnection(PW_ENV),
                allowedEntities: ['component:default/payments-api'],
              },
            ],
          },
        },
      },
    });
    process.env[PW_ENV] = 'wrong-Secret-1a2b3c';
    const op = await backend.operation(
      '/entities/component/default/payments-api/backups',
      { reason: 'notifications off' },
    );
    expect(op.status).toBe('failed');
    // enabled, the notice is in the inbox within a second or two (the tests above)
    const list = await backend.inbox(() => false, 5);
    expect(list.filter(n => n.payload.topic === 'shipshape-backup')).toEqual(
      [],
    );
  });
});
