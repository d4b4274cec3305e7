import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { REPO } from '@internal/shipshape-test-utils';

// The real templates through the real scaffolder engine (templates/scripts/run-scaffolder.mjs:
// NunjucksWorkflowRunner, the real shipshape actions, stand-ins that record publish and
// register): a refused service fails at the check step and nothing after it runs.
const RUNNER = path.join(REPO, 'templates/scripts/run-scaffolder.mjs');
// a render fixture with the schema defaults the wizard adds (as render.mjs dumps them)
const good = {
  ...JSON.parse(
    fs.readFileSync(
      path.join(REPO, 'templates/scripts/params/standard-none.json'),
      'utf8',
    ),
  ),
  latencyThresholdMs: 300,
  environments: ['staging', 'production'],
  publishTarget: 'github',
};

async function runTemplate(template: string, parameters: object) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-check-'));
  const params = path.join(dir, 'params.json');
  fs.writeFileSync(params, JSON.stringify(parameters));
  const out = path.join(dir, 'out');
  const result = await promisify(execFile)(
    process.execPath,
    [RUNNER, path.join(REPO, 'templates', template), params, out],
    { cwd: REPO },
  ).then(
    r => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  const wrote = fs.existsSync(out);
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, report: JSON.parse(result.stdout), wrote };
}

describe.each(['python-service', 'node-service'])(
  'the %s template refuses on the server',
  template => {
    it('the same parameters with a free name are published and registered (the control)', async () => {
      const run = await runTemplate(template, good);
      expect(run.stderr).toBe('');
      expect(run.report.calls.map((c: { action: string }) => c.action)).toEqual(
        expect.arrayContaining(['publish:github', 'catalog:register']),
      );
      expect(run.wrote).toBe(true);
    }, 60_000);

    it.each([
      [
        'a taken name',
        { name: 'payments-api' },
        /name: payments-api is already in the catalog/,
      ],
      [
        'an owner that is not a Group',
        { owner: 'user:default/guest' },
        /owner: user:default\/guest is a user, not a Group/,
      ],
      [
        'a cost center outside the policy',
        { costCenter: 'CC-12' },
        /costCenter: Cost center outside the policy/,
      ],
    ])(
      '%s: fails at the check step, nothing published or registered',
      async (_what, change, message) => {
        const run = await runTemplate(template, { ...good, ...change });
        expect(run.code).toBe(1);
        expect(run.report.failed).toMatch(message);
        expect(run.stderr).toMatch(
          /^check failed InputError: The service cannot be created/m,
        );
        for (const step of [
          'contract',
          'fetch',
          'publish-github',
          'register-github',
        ]) {
          expect(run.stderr).toMatch(new RegExp(`^${step} skipped`, 'm'));
        }
        expect(run.report.calls).toEqual([]);
        expect(run.wrote).toBe(false);
      },
      60_000,
    );
  },
);
