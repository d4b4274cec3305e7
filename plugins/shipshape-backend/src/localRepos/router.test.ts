import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';

jest.setTimeout(60_000);

describe('GET /local-repos/:repo/*path (offline demo)', () => {
  let tmp: string;
  let reposDir: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-repos-'));
    reposDir = path.join(tmp, 'repos');
    const repo = path.join(reposDir, 'svc-a');
    fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.writeFileSync(
      path.join(repo, 'catalog-info.yaml'),
      'kind: Component\nmetadata:\n  name: svc-a\n',
    );
    fs.writeFileSync(path.join(repo, 'src', 'index.ts'), 'export {};\n');
    fs.writeFileSync(
      path.join(repo, 'index.html'),
      '<script>alert(1)</script>',
    );
    fs.writeFileSync(
      path.join(repo, 'image.png'),
      Buffer.from([137, 80, 0, 1]),
    );
    fs.writeFileSync(path.join(repo, '.git', 'config'), '[core]\n');
    fs.mkdirSync(path.join(repo, 'docs', 'a b'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'docs', 'a b', 'c.md'), '# c\n');
    fs.writeFileSync(
      path.join(repo, 'big.txt'),
      'x'.repeat(5 * 1024 * 1024 + 1),
    );
    // outside every repository: must never be served
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'top secret');
    fs.writeFileSync(path.join(reposDir, 'root.txt'), 'not in a repo');
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(repo, 'link.txt'));
    fs.symlinkSync(tmp, path.join(reposDir, 'svc-link'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function start(directory?: string) {
    const { server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: directory ? { shipshape: { localPublish: { directory } } } : {},
        }),
      ],
    });
    return server;
  }

  it('serves a repository file without credentials, as text', async () => {
    const server = await start(reposDir);
    const res = await request(server).get(
      '/api/shipshape/local-repos/svc-a/catalog-info.yaml',
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/yaml; charset=utf-8');
    expect(res.text).toBe('kind: Component\nmetadata:\n  name: svc-a\n');

    const nested = await request(server).get(
      '/api/shipshape/local-repos/svc-a/src/index.ts',
    );
    expect(nested.status).toBe(200);
    expect(nested.text).toBe('export {};\n');
    // three segments deep, one of them encoded: the whole path after the repository
    const deep = await request(server).get(
      '/api/shipshape/local-repos/svc-a/docs/a%20b/c.md',
    );
    expect(deep.status).toBe(200);
    expect(deep.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(deep.text).toBe('# c\n');

    const html = await request(server).get(
      '/api/shipshape/local-repos/svc-a/index.html',
    );
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(html.headers['x-content-type-options']).toBe('nosniff');

    const listing = await request(server).get(
      '/api/shipshape/local-repos/svc-a',
    );
    expect(listing.status).toBe(200);
    expect(listing.text.split('\n')).toEqual(
      expect.arrayContaining(['catalog-info.yaml', 'src/']),
    );
    expect(listing.text).not.toContain('.git');
    const slash = await request(server).get(
      '/api/shipshape/local-repos/svc-a/src/',
    );
    expect(slash.status).toBe(200);
    expect(slash.text).toBe('index.ts\n');
  });

  it.each([
    ['..%2Fsecret.txt', '/svc-a/..%2Fsecret.txt'],
    ['..%2F..%2Fsecret.txt', '/svc-a/..%2F..%2Fsecret.txt'],
    ['repo ..', '/..%2F..%2Fsecret.txt'],
    ['encoded repo', '/%2E%2E/secret.txt'],
    ['a file beside the repositories', '/svc-a/..%2Froot.txt'],
    ['a symlink out of the repository', '/svc-a/link.txt'],
    ['a symlinked repository', '/svc-link/secret.txt'],
    ['.git', '/svc-a/.git/config'],
    ['a missing file', '/svc-a/missing.txt'],
    ['a missing repository', '/svc-z/catalog-info.yaml'],
  ])('serves nothing outside a repository: %s', async (_name, p) => {
    const server = await start(reposDir);
    const res = await request(server).get(`/api/shipshape/local-repos${p}`);
    expect([400, 404]).toContain(res.status);
    expect(res.text).not.toContain('top secret');
    expect(res.text).not.toContain('not in a repo');
    expect(res.text).not.toContain('[core]');
  });

  it.each([
    [
      'a binary file',
      '/svc-a/image.png',
      415,
      '"image.png" is not a text file; only text files are served',
    ],
    [
      'an invalid repository name',
      '/Bad_Name/catalog-info.yaml',
      400,
      'repository name "Bad_Name" is not a DNS-1123 label',
    ],
    [
      'a file over 5 MiB',
      '/svc-a/big.txt',
      413,
      `"big.txt" is larger than ${5 * 1024 * 1024} bytes`,
    ],
  ])('refuses %s with %p', async (_name, p, status, message) => {
    const server = await start(reposDir);
    const res = await request(server).get(`/api/shipshape/local-repos${p}`);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toBe(message);
  });

  it('is not there when shipshape.localPublish.directory is unset', async () => {
    const server = await start(undefined);
    const res = await request(server).get(
      '/api/shipshape/local-repos/svc-a/catalog-info.yaml',
    );
    // no route, and no unauthenticated policy: the request is refused before routing
    expect([401, 404]).toContain(res.status);
    expect(res.text).not.toContain('svc-a\n');
  });
});
