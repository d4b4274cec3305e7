import {
  DiscoveryService,
  RootConfigService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { isDnsLabel } from '@shipshape/plugin-shipshape-common';
import { execFile } from 'child_process';
import fs from 'fs/promises';
import path from 'path';
import { promisify } from 'util';
import { examples } from './publishLocal.examples';

const execFileAsync = promisify(execFile);

/** The config key naming the directory that local repositories are created in. */
export const LOCAL_PUBLISH_DIRECTORY_KEY = 'shipshape.localPublish.directory';

export interface PublishLocalActionOptions {
  config: RootConfigService;
  discovery: DiscoveryService;
  /** Base of relative directories; the backend's working directory by default. */
  cwd?: string;
  /** The git executable (default `git` on the PATH). */
  gitBinary?: string;
}

/** Who the commit is by: the initiating user's profile when the catalog has one. */
function commitAuthor(user?: {
  ref?: string;
  entity?: { metadata: { name: string }; spec?: any };
}): { name: string; email: string } {
  const profile = user?.entity?.spec?.profile ?? {};
  const refName = user?.ref?.split('/').pop();
  const name =
    (typeof profile.displayName === 'string' && profile.displayName) ||
    user?.entity?.metadata.name ||
    refName ||
    'Shipshape scaffolder';
  const email =
    (typeof profile.email === 'string' && profile.email) ||
    `${(user?.entity?.metadata.name ?? refName ?? 'scaffolder').replace(
      /[^A-Za-z0-9._-]/g,
      '-',
    )}@users.noreply.shipshape.local`;
  return { name, email };
}

/**
 * `shipshape:publish:local`: the offline demo's stand-in for publish:github. Copies the
 * workspace's sourcePath into `<shipshape.localPublish.directory>/<repoName>`, makes it a git
 * repository with one commit and returns URLs of the shipshape backend's read-only
 * `/local-repos` route, which the catalog can read (its UrlReader cannot read file: URLs).
 * Never overwrites: a repository that already exists is refused.
 */
export function createPublishLocalAction(options: PublishLocalActionOptions) {
  const git = options.gitBinary ?? 'git';
  return createTemplateAction({
    id: 'shipshape:publish:local',
    description:
      'Publishes the workspace to a new local git repository (offline demo) served read-only by the shipshape backend, for catalog:register.',
    examples,
    schema: {
      input: {
        sourcePath: z =>
          z
            .string({
              description:
                'Directory of the workspace to publish (default: the whole workspace)',
            })
            .optional(),
        repoName: z =>
          z.string({
            description:
              'Name of the new repository: a lower-case DNS-1123 label, at most 63 characters',
          }),
        defaultBranch: z =>
          z
            .string({ description: 'Branch of the commit (default main)' })
            .optional(),
        commitMessage: z =>
          z.string({ description: 'Message of the initial commit' }).optional(),
      },
      output: {
        repoContentsUrl: z =>
          z.string({ description: 'URL of the repository contents' }),
        catalogInfoUrl: z =>
          z.string({
            description: "URL of the repository's catalog-info.yaml",
          }),
        localPath: z =>
          z.string({ description: 'Where the repository was created' }),
      },
    },
    async handler(ctx) {
      const { repoName } = ctx.input;
      const branch = ctx.input.defaultBranch ?? 'main';
      if (!isDnsLabel(repoName)) {
        throw new InputError(
          `repoName "${repoName}" is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`,
        );
      }
      if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(branch)) {
        throw new InputError(`defaultBranch "${branch}" is not a branch name`);
      }
      const configured = options.config.getOptionalString(
        LOCAL_PUBLISH_DIRECTORY_KEY,
      );
      if (!configured) {
        throw new InputError(
          `shipshape:publish:local is disabled: set ${LOCAL_PUBLISH_DIRECTORY_KEY} in app-config (the directory local repositories are created in)`,
        );
      }
      const root = path.resolve(options.cwd ?? process.cwd(), configured);
      const source = resolveSafeChildPath(
        ctx.workspacePath,
        ctx.input.sourcePath ?? '.',
      );
      const sourceStat = await fs.stat(source).catch(() => undefined);
      if (!sourceStat?.isDirectory()) {
        throw new NotFoundError(
          `sourcePath "${
            ctx.input.sourcePath ?? '.'
          }" is not a directory of the workspace`,
        );
      }

      await fs.mkdir(root, { recursive: true });
      const target = path.join(root, repoName);
      try {
        // not recursive: fails if the repository exists, so nothing is ever overwritten
        await fs.mkdir(target);
      } catch (e: any) {
        if (e?.code === 'EEXIST') {
          throw new ConflictError(
            `a local repository named "${repoName}" already exists in ${LOCAL_PUBLISH_DIRECTORY_KEY}; choose another name`,
          );
        }
        throw e;
      }

      const author = commitAuthor(ctx.user as any);
      try {
        // into the (new, empty) directory created above, entry by entry
        for (const entry of await fs.readdir(source)) {
          if (entry === '.git') continue;
          await fs.cp(path.join(source, entry), path.join(target, entry), {
            recursive: true,
            errorOnExist: true,
            force: false,
            verbatimSymlinks: true,
          });
        }
        const env = {
          ...process.env,
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_COMMITTER_NAME: 'Shipshape scaffolder',
          GIT_COMMITTER_EMAIL: 'scaffolder@users.noreply.shipshape.local',
          // no user or system git config: hooks, signing or templates of the host do not apply
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_CONFIG_NOSYSTEM: '1',
        };
        const run = (args: string[]) =>
          execFileAsync(git, args, { cwd: target, env, timeout: 60_000 });
        await run(['init', '--quiet', `--initial-branch=${branch}`]);
        await run(['add', '--all']);
        const message =
          ctx.input.commitMessage ??
          `Initial commit from template ${
            ctx.templateInfo?.entityRef ?? 'shipshape'
          }`;
        await run(['commit', '--quiet', '--no-verify', '-m', message]);
        const { stdout } = await run(['rev-parse', 'HEAD']);
        ctx.logger.info(
          `Published ${repoName} to ${target} (commit ${stdout.trim()} by ${
            author.name
          })`,
        );
      } catch (e) {
        // only what this action created is removed, so that a retry can succeed
        await fs.rm(target, { recursive: true, force: true });
        throw e;
      }

      const hasCatalogInfo = await fs
        .stat(path.join(target, 'catalog-info.yaml'))
        .then(s => s.isFile())
        .catch(() => false);
      if (!hasCatalogInfo) {
        ctx.logger.warn(
          `${repoName} has no catalog-info.yaml at its root; catalog:register will not find it`,
        );
      }
      const base = await options.discovery.getExternalBaseUrl('shipshape');
      const repoContentsUrl = `${base}/local-repos/${repoName}`;
      ctx.output('repoContentsUrl', repoContentsUrl);
      ctx.output('catalogInfoUrl', `${repoContentsUrl}/catalog-info.yaml`);
      ctx.output('localPath', target);
    },
  });
}
