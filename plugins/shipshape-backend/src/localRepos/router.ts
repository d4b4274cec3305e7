import {
  HttpRouterService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import { GetLocalRepoFile } from '../schema/openapi';
import { ShipshapeApiRouter, createFeatureRouter } from '../schema/router';
import { LOCAL_PUBLISH_DIRECTORY_KEY, LocalReposService } from './service';

export interface LocalReposRouterDeps {
  /** Built by plugin.ts when `shipshape.localPublish.directory` is set; unset: nothing is served. */
  service?: LocalReposService;
  logger: LoggerService;
  httpRouter: Pick<HttpRouterService, 'addAuthPolicy'>;
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
 * authentication, the files of the local repositories (LocalReposService), so that the
 * catalog's UrlReader (which cannot read file: URLs) can register them. Enabled only when
 * `shipshape.localPublish.directory` is set. Files are served as text (never HTML); a directory
 * answers with a plain-text listing.
 */
export function createLocalReposRouter(
  deps: LocalReposRouterDeps,
): ShipshapeApiRouter {
  const router = createFeatureRouter();
  const { service } = deps;
  if (!service) return router;
  // the catalog reads these files without user credentials
  deps.httpRouter.addAuthPolicy({
    path: '/local-repos',
    allow: 'unauthenticated',
  });
  deps.logger.warn(
    `Serving the local repositories in ${service.root} unauthenticated at /local-repos (offline demo; unset ${LOCAL_PUBLISH_DIRECTORY_KEY} in production)`,
  );

  /** Answers with `rel` (a directory listing or a text file) of local repository `repo`. */
  const serve = async (
    repo: string,
    rel: string,
    res: express.Response<GetLocalRepoFile['response']>,
  ) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'no-store');
    const found = await service.read(repo, rel);
    if ('listing' in found) {
      res
        .type('text/plain; charset=utf-8')
        .send(`${found.listing.join('\n')}\n`);
      return;
    }
    res.setHeader('Content-Type', found.contentType);
    // the bytes as stored: not a string the type could name
    res.end(found.content);
  };

  router.get('/local-repos/:repo', (req, res) =>
    serve(req.params.repo, '', res),
  );
  router.get('/local-repos/:repo/:path*', (req, res) =>
    serve(req.params.repo, pathInRepository(req.path), res),
  );
  return router;
}
