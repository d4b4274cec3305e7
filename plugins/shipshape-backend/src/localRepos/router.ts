import {
  HttpRouterService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CustomErrorBase, InputError, NotFoundError } from '@backstage/errors';
import { isDnsLabel } from '@shipshape/plugin-shipshape-common';
import express from 'express';
import fs from 'fs/promises';
import path from 'path';
import { GetLocalRepoFile } from '../schema/openapi';
import { ShipshapeApiRouter, createFeatureRouter } from '../schema/router';

/** The config key naming the directory of the local repositories (offline demo). */
export const LOCAL_PUBLISH_DIRECTORY_KEY = 'shipshape.localPublish.directory';

/** Larger files are not served (a catalog file or source file is far smaller). */
const MAX_BYTES = 5 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

export interface LocalReposRouterDeps {
  /** `shipshape.localPublish.directory` (plugin.ts reads it); unset: nothing is served. */
  directory?: string;
  logger: LoggerService;
  httpRouter: Pick<HttpRouterService, 'addAuthPolicy'>;
  /** Base of a relative directory; the backend's working directory by default. */
  cwd?: string;
}

/** A file over MAX_BYTES: 413 with the Backstage error body (the error handler reads statusCode). */
class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

/** A file that is not text: 415 with the Backstage error body. */
class UnsupportedMediaTypeError extends CustomErrorBase {
  name = 'UnsupportedMediaTypeError' as const;
  statusCode = 415;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The path inside the repository of a request to `/local-repos/:repo/:path*` (openapi.yaml's
 * `{path}*`): everything after the repository's segment, each segment decoded as Express
 * decodes a parameter (so `..%2Fx` is `../x`). Express names only its first segment `path`.
 */
function pathInRepository(urlPath: string): string {
  const [, , , ...rest] = urlPath.split('/'); // '', 'local-repos', repo, ...the path
  try {
    return rest.map(decodeURIComponent).join('/');
  } catch {
    throw new InputError('the path is not a valid URL path');
  }
}

/**
 * OFFLINE DEMO ONLY. `GET /local-repos/:repo/*path` serves, read-only and without
 * authentication, the files of the git repositories that the scaffolder action
 * shipshape:publish:local creates in `shipshape.localPublish.directory`, so that the
 * catalog's UrlReader (which cannot read file: URLs) can register them. Enabled only when
 * that key is set. Only regular text files inside a repository are served (never `.git`),
 * as text (never HTML); a directory answers with a plain-text listing.
 */
export function createLocalReposRouter(
  deps: LocalReposRouterDeps,
): ShipshapeApiRouter {
  const router = createFeatureRouter();
  const configured = deps.directory;
  if (!configured) return router;
  const root = path.resolve(deps.cwd ?? process.cwd(), configured);
  // the catalog reads these files without user credentials
  deps.httpRouter.addAuthPolicy({
    path: '/local-repos',
    allow: 'unauthenticated',
  });
  deps.logger.warn(
    `Serving the local repositories in ${root} unauthenticated at /local-repos (offline demo; unset ${LOCAL_PUBLISH_DIRECTORY_KEY} in production)`,
  );

  /** Serves `rel` (a directory listing or a text file) of local repository `repo`. */
  async function serve(
    repo: string,
    rel: string,
    res: express.Response<GetLocalRepoFile['response']>,
  ) {
    if (!isDnsLabel(repo)) {
      throw new InputError(`repository name "${repo}" is not a DNS-1123 label`);
    }
    if (rel.includes('\0')) {
      throw new InputError('the path contains a NUL byte');
    }
    const notFound = () =>
      new NotFoundError(`no file "${rel}" in local repository "${repo}"`);
    const segments = rel.split(/[\\/]/);
    if (segments.includes('..') || segments.includes('.git')) throw notFound();

    // resolve symlinks, then check the real path is still inside the repository
    const repoDir = await fs
      .realpath(path.join(root, repo))
      .catch(() => undefined);
    const realRoot = await fs.realpath(root).catch(() => undefined);
    if (!repoDir || !realRoot || !isInside(realRoot, repoDir)) {
      throw new NotFoundError(`no local repository "${repo}"`);
    }
    const requested = path.resolve(repoDir, rel);
    if (!isInside(repoDir, requested)) throw notFound();
    const real = await fs.realpath(requested).catch(() => undefined);
    if (!real || !isInside(repoDir, real)) throw notFound();
    if (path.relative(repoDir, real).split(path.sep).includes('.git')) {
      throw notFound();
    }
    const stat = await fs.stat(real);

    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'no-store');
    if (stat.isDirectory()) {
      const entries = await fs.readdir(real, { withFileTypes: true });
      const lines = entries
        .filter(e => e.name !== '.git' && (e.isFile() || e.isDirectory()))
        .map(e => (e.isDirectory() ? `${e.name}/` : e.name))
        .sort();
      res.type('text/plain; charset=utf-8').send(`${lines.join('\n')}\n`);
      return;
    }
    if (!stat.isFile()) throw notFound();
    if (stat.size > MAX_BYTES) {
      throw new PayloadTooLargeError(
        `"${rel}" is larger than ${MAX_BYTES} bytes`,
      );
    }
    const content = await fs.readFile(real);
    if (content.includes(0)) {
      throw new UnsupportedMediaTypeError(
        `"${rel}" is not a text file; only text files are served`,
      );
    }
    const type =
      CONTENT_TYPES[path.extname(real).toLowerCase()] ??
      'text/plain; charset=utf-8';
    res.setHeader('Content-Type', type);
    // the bytes as stored (a text file need not be UTF-8): not a string the type could name
    res.end(content);
  }

  router.get('/local-repos/:repo', (req, res) =>
    serve(req.params.repo, '', res),
  );
  router.get('/local-repos/:repo/:path*', (req, res) =>
    serve(req.params.repo, pathInRepository(req.path), res),
  );
  return router;
}
