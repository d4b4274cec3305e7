import { mockCredentials } from '@backstage/backend-test-utils';
import { readLocalStack } from '@internal/shipshape-test-utils';
import { createMockActionContext } from './__testUtils__/actionContext';
import { startBackupBackend } from './__testUtils__/backupBackend';
import { createBackupAction, createRestoreDrillAction } from './backup';

jest.setTimeout(120_000);

// The real Shipshape backend (backups against the local stack's PostgreSQL), called by the
// actions over HTTP as the initiating user.
describe('shipshape:backup:create and shipshape:backup:restore-drill', () => {
  const OWNER = 'user:default/owner-user';
  let baseUrl: string;
  let deps: Awaited<ReturnType<typeof startBackupBackend>>['deps'];

  beforeAll(async () => {
    ({ baseUrl, deps } = await startBackupBackend(OWNER, 'action'));
  });

  it('backs up and drills as the owner', async () => {
    const ctx = createMockActionContext({
      input: { entityRef: 'component:default/payments-api', reason: 'test' },
    });
    ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    const taskLog: string[] = [];
    jest
      .spyOn(ctx.logger, 'info')
      .mockImplementation(((m: string) => taskLog.push(m)) as any);
    await createBackupAction(deps()).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'succeeded');
    expect(ctx.output).toHaveBeenCalledWith('verifiedAt', expect.any(String));
    // the operation's log, streamed into the task log as the backend wrote it
    expect(taskLog).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Dumping payments-db \(pg_dump -Fc\) to /),
        expect.stringMatching(
          /^Verified and committed: \d+ bytes, sha256 [0-9a-f]{64}/,
        ),
        expect.stringMatching(/^Finished: succeeded: verified: /),
      ]),
    );
    const backupId = (ctx.output as jest.Mock).mock.calls.find(
      c => c[0] === 'backupId',
    )[1];

    const drill = createMockActionContext({
      input: { entityRef: 'component:default/payments-api', backupId },
    });
    drill.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    await createRestoreDrillAction(deps()).handler(drill);
    expect(drill.output).toHaveBeenCalledWith('status', 'succeeded');
    expect(drill.output).toHaveBeenCalledWith('restoreMs', expect.any(Number));
  });

  it("a task's log and outputs carry no password or key of the run", async () => {
    const stack = readLocalStack();
    const secrets: Record<string, string> = {
      'PostgreSQL password': stack.postgres.password,
      'drill role password': stack.postgres.drillPassword,
      'PostgreSQL superuser password': stack.postgres.superuserPassword,
      'S3 access key id': stack.s3.accessKeyId,
      'S3 secret access key': stack.s3.secretAccessKey,
    };
    const task: string[] = [];
    /** A context whose every log line and output is kept in `task`. */
    const context = <I extends { entityRef: string }>(input: I) => {
      const ctx = createMockActionContext({ input });
      ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
      for (const level of ['debug', 'info', 'warn', 'error'] as const) {
        jest
          .spyOn(ctx.logger, level)
          .mockImplementation(((...args: unknown[]) =>
            task.push(JSON.stringify(args))) as any);
      }
      (ctx.output as jest.Mock).mockImplementation((...args: unknown[]) =>
        task.push(JSON.stringify(args)),
      );
      return ctx;
    };
    const backup = context({ entityRef: 'component:default/payments-api' });
    await createBackupAction(deps()).handler(backup);
    expect(backup.output).toHaveBeenCalledWith('status', 'succeeded');
    const drill = context({ entityRef: 'component:default/payments-api' });
    await createRestoreDrillAction(deps()).handler(drill);
    expect(drill.output).toHaveBeenCalledWith('status', 'succeeded');
    const text = task.join('\n');
    expect(text).toMatch(/Verified and committed: \d+ bytes/); // the streamed log is in it
    expect(
      Object.entries(secrets)
        .filter(([, value]) => text.includes(value))
        .map(([what]) => what),
    ).toEqual([]);
  });

  it('a dry run checks entity, target and permission, and starts nothing', async () => {
    const history = async () => {
      const res = await fetch(
        `${baseUrl}/entities/component/default/payments-api/backups`,
        { headers: { Authorization: mockCredentials.user.header(OWNER) } },
      );
      return ((await res.json()) as any).items.length;
    };
    const before = await history();
    // createMockActionContext ignores isDryRun; the scaffolder sets it on the context.
    const ctx = Object.assign(
      createMockActionContext({
        input: { entityRef: 'component:default/payments-api', reason: 'dry' },
      }),
      { isDryRun: true },
    );
    ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    await createBackupAction(deps()).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'dry-run');
    expect(ctx.output).not.toHaveBeenCalledWith('backupId', expect.anything());
    expect(await history()).toBe(before);

    const stranger = Object.assign(
      createMockActionContext({
        input: { entityRef: 'component:default/payments-api' },
      }),
      { isDryRun: true },
    );
    stranger.getInitiatorCredentials = async () =>
      mockCredentials.user('user:default/stranger');
    await expect(
      createRestoreDrillAction(deps()).handler(stranger),
    ).rejects.toThrow(
      'Shipshape answered 403: You may not run a restore drill of component:default/payments-api (permission shipshape.operation.backup)',
    );
  });

  it('fails with the backend message for a user without the permission', async () => {
    const ctx = createMockActionContext({
      input: { entityRef: 'component:default/payments-api' },
    });
    ctx.getInitiatorCredentials = async () =>
      mockCredentials.user('user:default/stranger');
    await expect(createBackupAction(deps()).handler(ctx)).rejects.toThrow(
      'Shipshape answered 403: You may not back up component:default/payments-api (permission shipshape.operation.backup)',
    );
  });
});
