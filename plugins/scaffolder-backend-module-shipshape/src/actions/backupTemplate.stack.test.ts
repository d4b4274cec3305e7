import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { ScmIntegrations } from '@backstage/integration';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import { REPO } from '@internal/shipshape-test-utils';
import { startBackupBackend } from './__testUtils__/backupBackend';
import { createBackupAction, createRestoreDrillAction } from './backup';

jest.setTimeout(120_000);

// templates/backup-database run by the real scaffolder engine (NunjucksWorkflowRunner, as
// templates/scripts/run-scaffolder.mjs loads it) with the real backup actions calling a real
// Shipshape backend (backups of the local stack's PostgreSQL).
const templateFile = path.join(REPO, 'templates/backup-database/template.yaml');
const template = YAML.parse(fs.readFileSync(templateFile, 'utf8'));
const backendDir = path.dirname(
  require.resolve('@backstage/plugin-scaffolder-backend/package.json'),
);
// Not exported by the package: the engine the scaffolder backend runs, loaded by file.
const { NunjucksWorkflowRunner } = require(path.join(
  backendDir,
  'dist/scaffolder/tasks/NunjucksWorkflowRunner.cjs.js',
));
const { templateEntityV1beta3Validator } = require(require.resolve(
  '@backstage/plugin-scaffolder-common',
  { paths: [backendDir] },
));

const OWNER = 'user:default/owner-user';

describe('templates/backup-database', () => {
  let deps: Awaited<ReturnType<typeof startBackupBackend>>['deps'];

  const workDirs: string[] = [];
  const workDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-tpl-'));
    workDirs.push(d);
    return d;
  };
  beforeAll(async () => {
    ({ deps } = await startBackupBackend(OWNER, 'template'));
  });
  afterAll(() => {
    for (const d of workDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function run(
    parameters: Record<string, unknown>,
    opts: { dryRun?: boolean; user?: string } = {},
  ) {
    const actions = new Map(
      [createBackupAction(deps()), createRestoreDrillAction(deps())].map(a => [
        a.id,
        a,
      ]),
    );
    const logger = mockServices.logger.mock();
    (logger.child as jest.Mock).mockReturnValue(logger);
    const runner = new NunjucksWorkflowRunner({
      actionRegistry: { get: async (id: string) => actions.get(id) },
      integrations: ScmIntegrations.fromConfig(mockServices.rootConfig()),
      logger,
      workingDirectory: workDir(),
      metrics: {
        createCounter: () => ({ add() {} }),
        createHistogram: () => ({ record() {} }),
      },
    });
    const logs: string[] = [];
    const user = opts.user ?? OWNER;
    const { output } = await runner.execute({
      spec: {
        apiVersion: template.apiVersion,
        steps: template.spec.steps,
        output: template.spec.output,
        parameters,
        user: { ref: user },
        templateInfo: {
          entityRef: 'template:default/shipshape-backup-database',
          baseUrl: `file://${templateFile}`,
        },
      },
      isDryRun: Boolean(opts.dryRun),
      secrets: {},
      createdBy: user,
      cancelSignal: new AbortController().signal,
      getWorkspaceName: async () => `task-${Date.now()}`,
      getInitiatorCredentials: async () => mockCredentials.user(user),
      emitLog: async (message: string) => {
        logs.push(message);
      },
      getTaskState: async () => undefined,
      updateCheckpoint: async () => {},
      serializeWorkspace: async () => {},
      cleanWorkspace: async () => {},
      rehydrateWorkspace: async () => {},
      complete: async () => {},
    });
    return { output, logs: logs.join('\n') };
  }

  it('is a valid template registered in app-config like deploy-service', async () => {
    expect(await templateEntityV1beta3Validator.check(template)).toBe(true);
    const appConfig = fs.readFileSync(
      path.join(REPO, 'app-config.yaml'),
      'utf8',
    );
    expect(appConfig).toContain(
      'target: ../../templates/backup-database/template.yaml',
    );
    expect(
      template.spec.parameters[0].properties.entityRef['ui:options']
        .catalogFilter,
    ).toEqual([
      {
        kind: 'Component',
        'metadata.annotations.shipshape.dev/backup-target': { exists: true },
      },
    ]);
  });

  it('backs up now, then runs a restore drill', async () => {
    const backup = await run({
      entityRef: 'component:default/payments-api',
      action: 'backup',
      method: 'pg_dump',
      reason: 'before the schema migration',
    });
    expect(backup.output.text[0].content).toMatch(
      /^Backup: \*\*succeeded\*\* [0-9a-f-]{36}\s*$/,
    );
    expect(backup.logs).toMatch(/Backup [0-9a-f-]{36} verified: \d+ bytes/);

    const drill = await run({
      entityRef: 'component:default/payments-api',
      action: 'restore-drill',
    });
    expect(drill.output.text[0].content).toMatch(
      /^Restore drill: \*\*succeeded\*\* [0-9a-f-]{36}\s*$/,
    );
  });

  it('a dry run checks the permission and runs nothing', async () => {
    const dry = await run(
      { entityRef: 'component:default/payments-api', action: 'backup' },
      { dryRun: true },
    );
    expect(dry.output.text[0].content.trim()).toBe('Backup: **dry-run**');
    await expect(
      run(
        { entityRef: 'component:default/payments-api', action: 'backup' },
        { dryRun: true, user: 'user:default/stranger' },
      ),
    ).rejects.toThrow(
      'Shipshape answered 403: You may not back up component:default/payments-api (permission shipshape.operation.backup)',
    );
  });
});
