import { CustomErrorBase, InputError, NotFoundError } from '@backstage/errors';
import { isDnsLabel } from '@shipshape/plugin-shipshape-common';
import fs from 'fs/promises';
import path from 'path';

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

/** What a path of a local repository holds: a directory's listing, or a text file's bytes. */
export type LocalRepoContent =
  | { listing: string[] }
  | {
      /** The bytes as stored (a text file need not be UTF-8). */
      content: Buffer;
      contentType: string;
    };

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * OFFLINE DEMO ONLY. Reads the git repositories that the scaffolder action
 * shipshape:publish:local creates in `shipshape.localPublish.directory`: only regular text
 * files inside a repository (never `.git`, never through a link leading out of it), and
 * directory listings.
 */
export class LocalReposService {
  private constructor(
    /** The directory of the repositories, absolute. */
    readonly root: string,
  ) {}

  /** `directory` as configured; a relative one is taken from `cwd` (the working directory). */
  static create(deps: { directory: string; cwd?: string }): LocalReposService {
    return new LocalReposService(
      path.resolve(deps.cwd ?? process.cwd(), deps.directory),
    );
  }

  /**
   * `rel` (a directory or a text file) of local repository `repo`: InputError for a bad name
   * or path, NotFoundError for what is not there or not served, 413 over MAX_BYTES, 415 for a
   * file that is not text.
   */
  async read(repo: string, rel: string): Promise<LocalRepoContent> {
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
      .realpath(path.join(this.root, repo))
      .catch(() => undefined);
    const realRoot = await fs.realpath(this.root).catch(() => undefined);
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
    if (stat.isDirectory()) {
      const entries = await fs.readdir(real, { withFileTypes: true });
      return {
        listing: entries
          .filter(e => e.name !== '.git' && (e.isFile() || e.isDirectory()))
          .map(e => (e.isDirectory() ? `${e.name}/` : e.name))
          .sort(),
      };
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
    const contentType =
      CONTENT_TYPES[path.extname(real).toLowerCase()] ??
      'text/plain; charset=utf-8';
    return { content, contentType };
  }
}
