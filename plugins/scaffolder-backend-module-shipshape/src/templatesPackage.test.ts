import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { REPO } from '@internal/shipshape-test-utils';

// The templates as an adopter gets them: @shipshape/templates packed by npm (which leaves
// every file named .gitignore out of a package), unpacked, and each service template run
// from the unpacked copy through the real scaffolder engine (run-scaffolder.mjs): the
// skeleton's `gitignore` is in the package and the fs:rename step makes it the service's
// .gitignore.
const run = promisify(execFile);
const RUNNER = path.join(REPO, 'templates/scripts/run-scaffolder.mjs');
const PARAMS = path.join(REPO, 'templates/scripts/params/standard-none.json');
const TEMPLATES = ['node-service', 'python-service'];

let work: string;
let unpacked: string;
let packed: string[];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-package-'));
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', work, '--loglevel=error'],
    { cwd: path.join(REPO, 'templates') },
  );
  const [pack] = JSON.parse(stdout);
  packed = pack.files.map((f: { path: string }) => f.path);
  await run('tar', ['-xzf', path.join(work, pack.filename), '-C', work]);
  unpacked = path.join(work, 'package');
}, 60_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(TEMPLATES)('the packed %s template', template => {
  it('holds the skeleton gitignore (npm would drop a .gitignore)', () => {
    expect(packed).toContain(`${template}/skeleton/gitignore`);
    expect(packed.filter(p => p.endsWith('.gitignore'))).toEqual([]);
  });

  it('scaffolds a service with its .gitignore and no stray gitignore', async () => {
    const out = path.join(work, `${template}-out`);
    await run(process.execPath, [
      RUNNER,
      path.join(unpacked, template),
      PARAMS,
      out,
    ]);
    expect(fs.readFileSync(path.join(out, '.gitignore'), 'utf8')).toBe(
      fs.readFileSync(
        path.join(REPO, 'templates', template, 'skeleton/gitignore'),
        'utf8',
      ),
    );
    expect(fs.existsSync(path.join(out, 'gitignore'))).toBe(false);
  }, 60_000);
});
