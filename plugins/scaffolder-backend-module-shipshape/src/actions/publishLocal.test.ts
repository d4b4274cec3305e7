import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from './__testUtils__/actionContext';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './publishLocal.examples';

describe('shipshape:publish:local', () => {
  let tmp: string;
  let workspace: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-local-'));
    workspace = path.join(tmp, 'workspace');
    fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-worker\n',
    );
    fs.writeFileSync(path.join(workspace, 'src', 'index.ts'), 'export {};\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function makeAction(directory: string | undefined) {
    return createPublishLocalAction({
      config: mockServices.rootConfig({
        data: directory ? { shipshape: { localPublish: { directory } } } : {},
      }),
      discovery: {
        getBaseUrl: async id => `http://127.0.0.1:7007/api/${id}`,
        getExternalBaseUrl: async id => `http://localhost:7007/api/${id}`,
      },
      cwd: tmp,
    });
  }

  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

  it('runs its example: copies the workspace into a new git repository with one commit', async () => {
    const input = yaml.parse(examples[0].example).steps[0].input;
    const ctx = createMockActionContext({
      input,
      workspacePath: workspace,
      user: {
        ref: 'user:default/jane',
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'jane' },
          spec: {
            profile: { displayName: 'Jane Doe', email: 'jane@example.com' },
          },
        },
      },
    });
    // relative to cwd, as app-config's ../../.data/repos is to packages/backend
    await makeAction('repos').handler(ctx);

    const repo = path.join(tmp, 'repos', 'payments-worker');
    expect(fs.readFileSync(path.join(repo, 'src', 'index.ts'), 'utf8')).toBe(
      'export {};\n',
    );
    expect(git(repo, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(git(repo, 'log', '-1', '--format=%an <%ae>')).toBe(
      'Jane Doe <jane@example.com>',
    );
    expect(git(repo, 'branch', '--show-current')).toBe('main');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'ls-files').split('\n').sort()).toEqual([
      'catalog-info.yaml',
      'src/index.ts',
    ]);
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      'http://localhost:7007/api/shipshape/local-repos/payments-worker',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoUrl',
      'http://localhost:7007/api/shipshape/local-repos/payments-worker/catalog-info.yaml',
    );
  });

  it('uses the user ref as author when the catalog has no profile', async () => {
    const ctx = createMockActionContext({
      input: { repoName: 'svc-b' },
      workspacePath: workspace,
      user: { ref: 'user:default/guest' },
    });
    await makeAction(path.join(tmp, 'abs')).handler(ctx);
    expect(
      git(path.join(tmp, 'abs', 'svc-b'), 'log', '-1', '--format=%an <%ae>'),
    ).toBe('guest <guest@users.noreply.shipshape.local>');
  });

  it('refuses to overwrite an existing repository and leaves it untouched', async () => {
    const existing = path.join(tmp, 'repos', 'svc-a');
    fs.mkdirSync(existing, { recursive: true });
    fs.writeFileSync(path.join(existing, 'keep.txt'), 'mine');
    const ctx = createMockActionContext({
      input: { repoName: 'svc-a', sourcePath: './' },
      workspacePath: workspace,
    });
    await expect(makeAction('repos').handler(ctx)).rejects.toThrow(
      /a local repository named "svc-a" already exists/,
    );
    expect(fs.readdirSync(existing)).toEqual(['keep.txt']);
    expect(fs.readFileSync(path.join(existing, 'keep.txt'), 'utf8')).toBe(
      'mine',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it.each([
    ['../escape'],
    ['Upper'],
    ['-lead'],
    ['a'.repeat(64)],
    ['has space'],
    ['a/b'],
  ])('refuses the repoName %j before writing anything', async repoName => {
    const ctx = createMockActionContext({
      input: { repoName },
      workspacePath: workspace,
    });
    await expect(makeAction('repos').handler(ctx)).rejects.toThrow(
      /is not a DNS-1123 label/,
    );
    expect(fs.existsSync(path.join(tmp, 'repos'))).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'escape'))).toBe(false);
  });

  it('refuses with a precise error when the directory is not configured', async () => {
    const ctx = createMockActionContext({
      input: { repoName: 'svc-c' },
      workspacePath: workspace,
    });
    await expect(makeAction(undefined).handler(ctx)).rejects.toThrow(
      'shipshape:publish:local is disabled: set shipshape.localPublish.directory in app-config',
    );
  });

  it('refuses a sourcePath outside the workspace', async () => {
    const ctx = createMockActionContext({
      input: { repoName: 'svc-d', sourcePath: '../' },
      workspacePath: workspace,
    });
    await expect(makeAction('repos').handler(ctx)).rejects.toThrow(/outside/i);
    expect(fs.existsSync(path.join(tmp, 'repos', 'svc-d'))).toBe(false);
  });

  it('removes what it created when git fails, so a retry can succeed', async () => {
    const action = createPublishLocalAction({
      config: mockServices.rootConfig({
        data: { shipshape: { localPublish: { directory: 'repos' } } },
      }),
      discovery: {
        getBaseUrl: async id => `http://127.0.0.1:7007/api/${id}`,
        getExternalBaseUrl: async id => `http://localhost:7007/api/${id}`,
      },
      cwd: tmp,
      gitBinary: path.join(tmp, 'no-such-git'),
    });
    const ctx = createMockActionContext({
      input: { repoName: 'svc-e' },
      workspacePath: workspace,
    });
    await expect(action.handler(ctx)).rejects.toThrow(/ENOENT/);
    expect(fs.existsSync(path.join(tmp, 'repos', 'svc-e'))).toBe(false);
  });
});
