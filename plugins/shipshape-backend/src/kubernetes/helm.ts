import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { execFile } from 'child_process';
import fs from 'fs/promises';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import zlib from 'zlib';
import { ClusterClient, EnvironmentConfig } from './types';

/**
 * Helm 3 release records (storage driver `secret`, Helm's default): one Secret per revision,
 * `sh.helm.release.v1.<release>.v<revision>`, labelled `owner=helm,name=<release>`, whose
 * `release` is base64(gzip(JSON)). Read here; written only by the `helm` binary.
 */
export interface HelmRelease {
  name: string;
  namespace: string;
  version: number;
  info: {
    status: string;
    description?: string;
    first_deployed?: string;
    last_deployed?: string;
  };
  chart: {
    metadata: {
      name: string;
      version: string;
      appVersion?: string;
      dependencies?: unknown[];
      [key: string]: unknown;
    };
    templates?: Array<{ name: string; data: string }>;
    files?: Array<{ name: string; data: string }>;
    values?: Record<string, unknown>;
    schema?: string;
  };
  config?: Record<string, unknown>;
  manifest?: string;
}

/** What the portal shows of one revision: never values nor manifests (they may hold secrets). */
export interface HelmRevision {
  revision: number;
  status: string;
  description: string;
  updated?: string;
  chart: string;
  appVersion?: string;
  /** The container images of the release's workloads, `<workload>: <image>`. */
  images: Array<{ workload: string; image: string }>;
}

/** How many revisions Helm keeps; the golden path's release.yaml passes the same. */
export const HELM_HISTORY_MAX = 20;

export function decodeRelease(data: string): HelmRelease {
  // The API's base64 of Helm's base64 of (usually) gzipped JSON.
  const inner = Buffer.from(Buffer.from(data, 'base64').toString(), 'base64');
  const json =
    inner[0] === 0x1f && inner[1] === 0x8b ? zlib.gunzipSync(inner) : inner;
  return JSON.parse(json.toString('utf8'));
}

/** The release's records in its namespace, oldest first; [] when Helm does not manage it. */
export async function readReleases(
  client: ClusterClient,
  namespace: string,
  release: string,
): Promise<HelmRelease[]> {
  let list: Awaited<ReturnType<typeof client.core.listNamespacedSecret>>;
  try {
    list = await client.core.listNamespacedSecret({
      namespace,
      labelSelector: `owner=helm,name=${release}`,
    });
  } catch (e) {
    if ((e as { code?: number }).code !== 403) throw e;
    throw new NotAllowedError(
      `The operator token of cluster ${client.cluster} may not list Secrets in namespace ${namespace}, so Shipshape cannot read Helm's release records of ${release} (whether Helm manages it, and its history): bind deploy/rbac/operator-helm.yaml's Role to it in that namespace, as in every service namespace (docs/install.md, "Kubernetes RBAC"); nothing was changed`,
    );
  }
  return list.items
    .filter(s => s.type === 'helm.sh/release.v1' && s.data?.release)
    .map(s => decodeRelease(s.data!.release))
    .filter(r => r.name === release)
    .sort((a, b) => a.version - b.version);
}

/** The workloads' container images a revision's manifest holds, by workload name. */
export function manifestImages(
  manifest: string | undefined,
): Array<{ workload: string; image: string }> {
  const out: Array<{ workload: string; image: string }> = [];
  for (const doc of YAML.parseAllDocuments(manifest ?? '')) {
    const o = doc.toJSON() as any;
    if (!o || !['Deployment', 'Rollout', 'StatefulSet'].includes(o.kind))
      continue;
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      if (typeof c?.image === 'string')
        out.push({ workload: o.metadata?.name, image: c.image });
    }
  }
  return out;
}

export function revisionOfRelease(r: HelmRelease): HelmRevision {
  return {
    revision: r.version,
    status: r.info.status,
    description: r.info.description ?? '',
    updated: r.info.last_deployed,
    chart: `${r.chart.metadata.name}-${r.chart.metadata.version}`,
    appVersion: r.chart.metadata.appVersion,
    images: manifestImages(r.manifest),
  };
}

function describeRelease(
  place: Pick<EnvironmentConfig, 'namespace' | 'release'>,
) {
  return `Helm release ${place.namespace}/${place.release}`;
}

/**
 * The release the portal deploys to: its newest revision, made from the service's golden-path
 * chart (named after the release, with `image.repository` and `image.tag` values and no
 * subcharts, which a release record does not keep), and no Helm operation under way.
 */
export function assertDeployableRelease(
  place: Pick<EnvironmentConfig, 'name' | 'namespace' | 'release'>,
  records: HelmRelease[],
): HelmRelease {
  const latest = records[records.length - 1];
  assertGoldenPathChart(place, latest);
  if (latest.info.status.startsWith('pending-')) {
    throw new ConflictError(
      `${describeRelease(place)} is ${latest.info.status} at revision ${
        latest.version
      }: another Helm operation is under way or was interrupted; wait for it, or finish it with \`helm rollback ${
        place.release
      } -n ${place.namespace}\`; nothing was changed`,
    );
  }
  return latest;
}

export function assertGoldenPathChart(
  place: Pick<EnvironmentConfig, 'name' | 'namespace' | 'release'>,
  r: HelmRelease,
): void {
  const meta = r.chart.metadata;
  const image = (r.chart.values?.image ?? {}) as Record<string, unknown>;
  const problems = [
    meta.name !== place.release &&
      `its chart is '${meta.name}', not the service's chart '${place.release}'`,
    (typeof image.repository !== 'string' || !('tag' in image)) &&
      'its chart has no image.repository/image.tag values',
    (meta.dependencies?.length ?? 0) > 0 &&
      'its chart has subcharts, which a Helm release record does not keep',
  ].filter(Boolean);
  if (problems.length) {
    throw new ConflictError(
      `${describeRelease(place)} (environment ${place.name}) revision ${
        r.version
      } was installed from chart ${meta.name}-${meta.version}; ${problems.join(
        '; ',
      )}. The portal deploys only releases of the golden-path chart: release it with the workflow that installed it, or reinstall it from the service's chart; nothing was changed`,
    );
  }
}

/** The revision a rollback goes to: the named one (it must exist) or the one before the newest. */
export function rollbackTarget(
  place: Pick<EnvironmentConfig, 'name' | 'namespace' | 'release'>,
  records: HelmRelease[],
  revision?: number,
): HelmRelease {
  const latest = records[records.length - 1];
  const available = records.map(r => r.version).join(', ');
  const target =
    revision === undefined
      ? [...records].reverse().find(r => r.version < latest.version)
      : records.find(r => r.version === revision);
  if (!target) {
    if (revision === undefined) {
      throw new InputError(
        `${describeRelease(place)} has no revision before ${
          latest.version
        } to roll back to (available: ${available}); nothing was changed`,
      );
    }
    throw new NotFoundError(
      `revision: ${describeRelease(place)} (environment ${
        place.name
      }) has no revision ${revision} (available: ${available}; see its deploy history); nothing was changed`,
    );
  }
  assertGoldenPathChart(place, target);
  return target;
}

/** The chart's image values for an image reference (the golden-path chart's image helper). */
export function imageValues(image: string): string[] {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repository =
    colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = colon > lastSlash ? withoutDigest.slice(colon + 1) : undefined;
  const digest = image.includes('@') ? image.split('@')[1] : '';
  if (!tag) {
    throw new InputError(
      `image: '${image}' has no tag; the service's chart needs one (image.tag), with or without a digest`,
    );
  }
  return [
    `--set-string=image.repository=${repository}`,
    `--set-string=image.tag=${tag}`,
    `--set-string=image.digest=${digest}`,
  ];
}

/** Writes the chart a release record holds back into a directory (for `helm upgrade`). */
export async function writeChart(r: HelmRelease, dir: string): Promise<void> {
  const write = async (name: string, data: Buffer | string) => {
    const file = path.join(dir, name);
    if (!file.startsWith(`${dir}${path.sep}`)) {
      throw new InputError(
        `Helm release record names a file outside its chart: ${name}`,
      );
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data, { mode: 0o600 });
  };
  await write('Chart.yaml', YAML.stringify(r.chart.metadata));
  await write('values.yaml', YAML.stringify(r.chart.values ?? {}));
  if (r.chart.schema) {
    await write('values.schema.json', Buffer.from(r.chart.schema, 'base64'));
  }
  for (const f of [...(r.chart.templates ?? []), ...(r.chart.files ?? [])]) {
    await write(f.name, Buffer.from(f.data, 'base64'));
  }
}

/**
 * The `helm` binary (v3, pinned by the toolchain and the backend image), run with argument
 * arrays and only the environment's operator credentials: a kubeconfig written for the one
 * call from the configured cluster and token (mode 600, in a private temporary directory,
 * deleted after), Helm's own config and cache in that directory, no inherited KUBECONFIG.
 */
export class HelmCli {
  constructor(
    private readonly binary: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `helm <args>` against the client's cluster; `prepare` may add files to the directory. */
  async run(
    client: ClusterClient,
    args: string[],
    options: {
      signal?: AbortSignal;
      prepare?: (dir: string) => Promise<string[]>;
    } = {},
  ): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shipshape-helm-'));
    const token = client.kubeConfig.getCurrentUser()?.token;
    try {
      const kubeconfig = path.join(dir, 'kubeconfig');
      await fs.writeFile(kubeconfig, client.kubeConfig.exportConfig(), {
        mode: 0o600,
      });
      const extra = options.prepare ? await options.prepare(dir) : [];
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: dir,
        HELM_CONFIG_HOME: path.join(dir, 'config'),
        HELM_CACHE_HOME: path.join(dir, 'cache'),
        HELM_DATA_HOME: path.join(dir, 'data'),
        HELM_DRIVER: 'secret',
      };
      return await new Promise<string>((resolve, reject) => {
        execFile(
          this.binary,
          [...args, ...extra, `--kubeconfig=${kubeconfig}`],
          {
            env,
            timeout: this.timeoutMs,
            maxBuffer: 16 * 1024 * 1024,
            signal: options.signal,
          },
          (error, stdout, stderr) => {
            if (!error) {
              resolve(stdout);
              return;
            }
            const said = (stderr || stdout || String(error.message))
              .split(kubeconfig)
              .join('<kubeconfig>');
            const shown = token ? said.split(token).join('<token>') : said;
            const e = new Error(
              `helm ${args[0]} failed: ${shown.trim().slice(-1000)}`,
            );
            (e as { code?: unknown }).code = (error as any).code;
            reject(e);
          },
        );
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * A new revision of the release from its own chart (as its newest record holds it) and its
   * own values, with only the image changed; `description` is what `helm history` shows.
   */
  async upgradeImage(
    client: ClusterClient,
    place: Pick<EnvironmentConfig, 'namespace' | 'release'>,
    current: HelmRelease,
    image: string,
    description: string,
    options: { dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<string> {
    return this.run(
      client,
      [
        'upgrade',
        place.release,
        '--namespace',
        place.namespace,
        '--reuse-values',
        ...imageValues(image),
        `--description=${description}`,
        `--history-max=${HELM_HISTORY_MAX}`,
        ...(options.dryRun ? ['--dry-run=server'] : []),
      ],
      {
        signal: options.signal,
        prepare: async dir => {
          const chart = path.join(dir, 'chart');
          await writeChart(current, chart);
          return [chart];
        },
      },
    );
  }

  /** `helm rollback <release> <revision>`: a new revision with that revision's chart and values. */
  async rollback(
    client: ClusterClient,
    place: Pick<EnvironmentConfig, 'namespace' | 'release'>,
    revision: number,
    signal?: AbortSignal,
  ): Promise<string> {
    return this.run(
      client,
      [
        'rollback',
        place.release,
        String(revision),
        '--namespace',
        place.namespace,
        `--history-max=${HELM_HISTORY_MAX}`,
      ],
      { signal },
    );
  }
}
