import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The backend image's pg_dump/pg_restore (packages/backend/Dockerfile, ARG PG_MAJOR) must read
 * every archive a deployment writes: pg_restore --list refuses an archive of a newer pg_dump
 * ("unsupported version ... in file header"), so PG_MAJOR is at least the major of every
 * postgres image this repository ships or documents (the golden-path chart's backup.pgImage
 * among them). One fact: raising the chart's image without the Dockerfile fails here.
 */
const ROOT = path.resolve(
  resolvePackagePath('@internal/shipshape-test-utils'),
  '../..',
);

/** Where deployments' postgres images are set or documented. */
const SCANNED = ['templates', 'deploy', 'docs', 'README.md'];

function files(at: string): string[] {
  const stat = fs.statSync(at);
  if (!stat.isDirectory()) return [at];
  return fs
    .readdirSync(at)
    .filter(name => name !== 'node_modules')
    .flatMap(name => files(path.join(at, name)));
}

function scannedFiles(root: string): string[] {
  const appConfigs = fs
    .readdirSync(root)
    .filter(name => /^app-config.*\.yaml$/.test(name));
  return [...SCANNED, ...appConfigs]
    .map(name => path.join(root, name))
    .filter(p => fs.existsSync(p))
    .flatMap(files)
    .filter(p => /\.(ya?ml|md|json|tpl|njk)$/.test(p) || /Dockerfile/.test(p));
}

/** The Dockerfile's default PG_MAJOR. */
function dockerfilePgMajor(dockerfile: string): number {
  const m = dockerfile.match(/^ARG PG_MAJOR=(\d+)\s*$/m);
  if (!m)
    throw new Error('packages/backend/Dockerfile has no "ARG PG_MAJOR=<n>"');
  return Number(m[1]);
}

/** Every `postgres:<major>...` image reference, as "file:line: image". */
function postgresImages(
  root: string,
  paths: string[],
): { where: string; image: string; major: number }[] {
  return paths.flatMap(p =>
    fs
      .readFileSync(p, 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        [...line.matchAll(/\bpostgres:(\d+)[\w.-]*/g)].map(m => ({
          where: `${path.relative(root, p)}:${i + 1}`,
          image: m[0],
          major: Number(m[1]),
        })),
      ),
  );
}

/** What is wrong, one line each naming the file and line; empty when PG_MAJOR covers all. */
function pgToolsProblems(root: string, paths: string[]): string[] {
  const dockerfile = path.join(root, 'packages/backend/Dockerfile');
  const pgMajor = dockerfilePgMajor(fs.readFileSync(dockerfile, 'utf8'));
  const images = postgresImages(root, paths)
    .filter(i => i.major > pgMajor)
    .map(
      i =>
        `${i.where}: ${i.image} is newer than packages/backend/Dockerfile's PG_MAJOR=${pgMajor}: raise PG_MAJOR to ${i.major}`,
    );
  // the client version the docs name for the image must be the Dockerfile's
  const named = paths.flatMap(p =>
    fs
      .readFileSync(p, 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        [
          ...line.matchAll(
            /postgresql-client-(\d+)|\/usr\/lib\/postgresql\/(\d+)\/bin/g,
          ),
        ]
          .filter(m => Number(m[1] ?? m[2]) !== pgMajor)
          .map(
            m =>
              `${path.relative(root, p)}:${i + 1}: names ${
                m[0]
              }, the image has PG_MAJOR=${pgMajor}`,
          ),
      ),
  );
  return [...images, ...named];
}

describe("the backend image's pg_dump/pg_restore", () => {
  it('is the highest postgres major the repository ships or documents', () => {
    const paths = scannedFiles(ROOT);
    const images = postgresImages(ROOT, paths);
    // the chart's default backup image is among them (else the scan missed it)
    expect(images.map(i => i.where)).toContain(
      'templates/_shared/skeleton/chart/values.yaml:176',
    );
    expect(pgToolsProblems(ROOT, paths)).toEqual([]);
    expect(
      dockerfilePgMajor(
        fs.readFileSync(path.join(ROOT, 'packages/backend/Dockerfile'), 'utf8'),
      ),
    ).toBe(Math.max(...images.map(i => i.major)));
  });

  it('names the file, the image and the fix when a chart image is newer', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgtools-'));
    try {
      fs.mkdirSync(path.join(tmp, 'packages/backend'), { recursive: true });
      fs.writeFileSync(
        path.join(tmp, 'packages/backend/Dockerfile'),
        'FROM node:22-bookworm-slim\nARG PG_MAJOR=15\n',
      );
      fs.mkdirSync(path.join(tmp, 'templates/chart'), { recursive: true });
      fs.writeFileSync(
        path.join(tmp, 'templates/chart/values.yaml'),
        'backup:\n  pgImage: postgres:16.4-bookworm\n',
      );
      fs.writeFileSync(
        path.join(tmp, 'README.md'),
        'the image has `postgresql-client-14`\n',
      );
      expect(pgToolsProblems(tmp, scannedFiles(tmp))).toEqual([
        "templates/chart/values.yaml:2: postgres:16.4-bookworm is newer than packages/backend/Dockerfile's PG_MAJOR=15: raise PG_MAJOR to 16",
        'README.md:1: names postgresql-client-14, the image has PG_MAJOR=15',
      ]);
      fs.writeFileSync(
        path.join(tmp, 'packages/backend/Dockerfile'),
        'FROM x\n',
      );
      expect(() => pgToolsProblems(tmp, scannedFiles(tmp))).toThrow(
        'packages/backend/Dockerfile has no "ARG PG_MAJOR=<n>"',
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
