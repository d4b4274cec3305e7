import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import fs from 'fs';
import { isDnsLabel } from '@shipshape/plugin-shipshape-common';
import { withDeadline } from '../http/deadline';
import { WorkloadRef, resolvePlacement } from './placement';
import {
  ClusterClient,
  ClusterConfig,
  EnvironmentConfig,
  EnvironmentSettings,
} from './types';

/** `sharedNamespaces` of a per-service environment, kubernetes-id → namespace. */
function sharedNamespacesOf(
  e: Config,
  name: string,
  namespacePerService: boolean,
): Map<string, string> | undefined {
  const shared = e.getOptionalConfigArray('sharedNamespaces');
  if (!shared) return undefined;
  const key = `shipshape.environments[name=${name}].sharedNamespaces`;
  if (!namespacePerService) {
    throw new InputError(
      `${key}: only an environment with namespacePerService: true has shared namespaces; one with a fixed namespace runs every service there`,
    );
  }
  const byService = new Map<string, string>();
  for (const s of shared) {
    const namespace = s.getString('namespace');
    if (!isDnsLabel(namespace)) {
      throw new InputError(
        `${key}: namespace '${namespace}' is not a Kubernetes namespace name (lowercase letters, digits and '-')`,
      );
    }
    for (const service of s.getStringArray('services')) {
      const other = byService.get(service);
      if (other && other !== namespace) {
        throw new InputError(
          `${key}: service ${service} is listed in namespace '${other}' and in '${namespace}'; list it once`,
        );
      }
      byService.set(service, namespace);
    }
  }
  return byService;
}

function fileToken(path: string): () => string | undefined {
  // Re-read on use: projected / rotated tokens change on disk.
  return () => fs.readFileSync(path, 'utf8').trim() || undefined;
}

/** A line naming `key` when it names a token file that is not there (each use would fail). */
function missingTokenFile(config: Config, fileKey: string, key: string) {
  const file = config.getOptionalString(fileKey);
  return file && !fs.existsSync(file)
    ? [`${key}.${fileKey} is '${file}', which does not exist`]
    : [];
}

function optionalToken(
  config: Config | undefined,
  valueKey: string,
  fileKey: string,
): (() => string | undefined) | undefined {
  if (!config) return undefined;
  const value = config.getOptionalString(valueKey);
  if (value) return () => value;
  const file = config.getOptionalString(fileKey);
  if (file) return fileToken(file);
  return undefined;
}

/**
 * The portal's one Kubernetes configuration (the stock plugin's
 * `kubernetes.clusterLocatorMethods`, type `config`) plus Shipshape's environment →
 * cluster/namespace mapping and the separate operator (write) tokens. Only the URLs
 * configured here are ever called.
 */
export class KubernetesClusters {
  private readonly readers = new Map<string, ClusterClient>();

  private constructor(
    private readonly clusters: Map<string, ClusterConfig>,
    private readonly envs: Map<string, EnvironmentSettings>,
    /** Deadline of every request to a cluster (`shipshape.kubernetes.requestTimeoutSeconds`). */
    readonly requestTimeoutMs: number,
    /** Operator-token lines found while reading the config (see `startupErrors`). */
    private readonly tokenErrors: string[] = [],
  ) {}

  static fromConfig(config: Config): KubernetesClusters {
    const operatorByCluster = new Map<string, Config>();
    const tokenErrors: string[] = [];
    for (const c of config.getOptionalConfigArray(
      'shipshape.kubernetes.clusters',
    ) ?? []) {
      const name = c.getString('name');
      operatorByCluster.set(name, c);
      tokenErrors.push(
        ...missingTokenFile(
          c,
          'operatorServiceAccountTokenFile',
          `shipshape.kubernetes.clusters[name=${name}]`,
        ),
      );
    }
    const clusters = new Map<string, ClusterConfig>();
    for (const method of config.getOptionalConfigArray(
      'kubernetes.clusterLocatorMethods',
    ) ?? []) {
      if (method.getString('type') !== 'config') continue;
      for (const c of method.getOptionalConfigArray('clusters') ?? []) {
        const name = c.getString('name');
        clusters.set(name, {
          name,
          // Other providers (oidc, aws, google) need the user's own token; Shipshape acts
          // with a service account, so such a cluster is readable only if it has one.
          authProvider: c.getOptionalString('authProvider') ?? 'serviceAccount',
          url: c.getString('url'),
          caData: c.getOptionalString('caData'),
          caFile: c.getOptionalString('caFile'),
          skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
          readToken: optionalToken(
            c,
            'serviceAccountToken',
            'serviceAccountTokenFile',
          ),
          operatorToken: optionalToken(
            operatorByCluster.get(name),
            'operatorServiceAccountToken',
            'operatorServiceAccountTokenFile',
          ),
        });
      }
    }
    const envs = new Map<string, EnvironmentSettings>();
    for (const e of config.getOptionalConfigArray('shipshape.environments') ??
      []) {
      const name = e.getString('name');
      const cluster = e.getString('cluster');
      const namespace = e.getOptionalString('namespace');
      const namespacePerService =
        e.getOptionalBoolean('namespacePerService') ?? false;
      tokenErrors.push(
        ...missingTokenFile(
          e,
          'operatorTokenFile',
          `shipshape.environments[name=${name}]`,
        ),
      );
      if (!namespace === !namespacePerService) {
        throw new InputError(
          `shipshape.environments[name=${name}]: set exactly one of namespace (a fixed namespace) or namespacePerService: true`,
        );
      }
      envs.set(name, {
        name,
        cluster,
        namespace,
        namespacePerService,
        sharedNamespaces: sharedNamespacesOf(e, name, namespacePerService),
        protected: e.getOptionalBoolean('protected') ?? false,
        allow: e.getOptionalStringArray('allow'),
        operatorToken: optionalToken(e, 'operatorToken', 'operatorTokenFile'),
      });
    }
    const timeout =
      config.getOptionalNumber('shipshape.kubernetes.requestTimeoutSeconds') ??
      30;
    if (!(timeout > 0)) {
      throw new InputError(
        `shipshape.kubernetes.requestTimeoutSeconds must be a positive number of seconds, got ${timeout}`,
      );
    }
    for (const name of operatorByCluster.keys()) {
      if (!clusters.has(name)) {
        tokenErrors.push(
          `shipshape.kubernetes.clusters[name=${name}] is not a cluster of kubernetes.clusterLocatorMethods (type config); known: ${
            [...clusters.keys()].join(', ') || 'none'
          }`,
        );
      }
    }
    return new KubernetesClusters(clusters, envs, timeout * 1000, tokenErrors);
  }

  environmentNames(): string[] {
    return [...this.envs.keys()];
  }

  environments(): EnvironmentSettings[] {
    return [...this.envs.values()];
  }

  /**
   * One line each, naming the key, said at start (each use also fails, naming it): an environment
   * whose cluster is not configured, a `shipshape.kubernetes.clusters[]` entry naming no
   * configured cluster, an operator token file that does not exist.
   */
  startupErrors(): string[] {
    const known = [...this.clusters.keys()].join(', ') || 'none';
    return [
      ...this.environments()
        .filter(e => !this.clusters.has(e.cluster))
        .map(
          e =>
            `shipshape.environments[name=${e.name}].cluster is '${e.cluster}', which is not a cluster of kubernetes.clusterLocatorMethods (type config); known: ${known}`,
        ),
      ...this.tokenErrors,
    ];
  }

  /**
   * One line per environment on a configured cluster without an operator token (its own or its
   * cluster's): readable, but deploy, rollback and the other writes there are refused.
   */
  startupWarnings(): string[] {
    return this.environments()
      .filter(
        e =>
          this.clusters.has(e.cluster) &&
          !(e.operatorToken ?? this.clusters.get(e.cluster)?.operatorToken),
      )
      .map(
        e =>
          `shipshape.environments[name=${e.name}] has no operator token, so deploy, rollback and the other writes there are refused: set shipshape.environments[name=${e.name}].operatorToken(File) or shipshape.kubernetes.clusters[name=${e.cluster}].operatorServiceAccountToken(File)`,
      );
  }

  /** The environment, or an InputError naming the known ones. */
  environment(name: string): EnvironmentSettings {
    const env = this.envs.get(name);
    if (!env) {
      throw new InputError(
        `Unknown environment '${name}'; configured environments: ${
          this.environmentNames().join(', ') ||
          'none (set shipshape.environments)'
        }`,
      );
    }
    return env;
  }

  /**
   * Where a service runs in the named environment: cluster, namespace and Helm release
   * (`resolvePlacement`); InputError for an unknown environment.
   */
  placement(environment: string, workload: WorkloadRef): EnvironmentConfig {
    return resolvePlacement(this.environment(environment), workload);
  }

  /** Read access to an environment's cluster, with the read token. */
  reader(env: EnvironmentSettings): ClusterClient {
    return this.clusterReader(env.cluster);
  }

  /** Read access to a configured cluster by name, with its read token. */
  clusterReader(name: string): ClusterClient {
    let client = this.readers.get(name);
    if (!client) {
      const cluster = this.cluster(name);
      client = makeClient(cluster, cluster.readToken, this.requestTimeoutMs);
      this.readers.set(name, client);
    }
    return client;
  }

  /**
   * Every configured cluster Shipshape can read with a service account token (for readers
   * across all clusters, like the cost estimate), and those it cannot, with their authProvider.
   */
  allReaders(): {
    readers: ClusterClient[];
    unreadable: Array<{ cluster: string; authProvider: string }>;
  } {
    const readers: ClusterClient[] = [];
    const unreadable: Array<{ cluster: string; authProvider: string }> = [];
    for (const cluster of this.clusters.values()) {
      if (cluster.authProvider !== 'serviceAccount' || !cluster.readToken) {
        unreadable.push({
          cluster: cluster.name,
          authProvider: cluster.authProvider,
        });
      } else {
        readers.push(this.clusterReader(cluster.name));
      }
    }
    return { readers, unreadable };
  }

  /** Write access to an environment's cluster, with the operator token (never the read one). */
  operator(env: EnvironmentSettings): ClusterClient {
    const cluster = this.cluster(env.cluster);
    const token = env.operatorToken ?? cluster.operatorToken;
    if (!token) {
      throw new InputError(
        `Environment '${env.name}' has no operator token: set shipshape.environments[].operatorToken(File) or shipshape.kubernetes.clusters[name=${env.cluster}].operatorServiceAccountToken`,
      );
    }
    return makeClient(cluster, token, this.requestTimeoutMs);
  }

  private cluster(name: string): ClusterConfig {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      // Not fatal at startup (the stack's config may not be loaded); fails the one use.
      throw new NotFoundError(
        `No cluster named '${name}' in kubernetes.clusterLocatorMethods (type config); known: ${
          [...this.clusters.keys()].join(', ') || 'none'
        }`,
      );
    }
    return cluster;
  }
}

/**
 * A Kubernetes list call read one page at a time: `limit` objects, then the server's `continue`
 * token until it gives none, each page handed to `onPage` as it comes (so a caller that keeps
 * only what it needs from each page holds one page of the list, not all of it).
 */
export async function listPages<T>(
  list: (page: {
    limit: number;
    _continue?: string;
  }) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
  onPage: (items: T[]) => void,
  limit: number,
): Promise<void> {
  let next: string | undefined;
  do {
    const page = await list({ limit, ...(next ? { _continue: next } : {}) });
    onPage(page.items);
    next = page.metadata?._continue || undefined;
  } while (next);
}

/**
 * A KubeConfig whose API clients give every request a deadline (withDeadline, covering the
 * answer's body too): past it the request is aborted and fails naming the cluster, the method
 * and path, and the config key. Watches (`k8s.Watch`) are not API clients: their followers
 * have their own time limits.
 */
class DeadlineKubeConfig extends k8s.KubeConfig {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override makeApiClient<T extends k8s.ApiType>(
    ApiClientType: k8s.ApiConstructor<T>,
  ): T {
    const cluster = this.getCurrentCluster()!;
    const plain = k8s.createConfiguration().httpApi;
    const ms = this.timeoutMs;
    const httpApi = k8s.wrapHttpLibrary({
      send: request => {
        const url = new URL(request.getUrl());
        const what = `Kubernetes cluster '${
          cluster.name
        }': ${request.getHttpMethod()} ${
          url.pathname
        } (shipshape.kubernetes.requestTimeoutSeconds)`;
        return withDeadline(what, ms, async signal => {
          request.setSignal(signal);
          const res = await plain.send(request).toPromise();
          const body = await res.body.binary();
          return new k8s.ResponseContext(res.httpStatusCode, res.headers, {
            text: async () => body.toString('utf8'),
            binary: async () => body,
          });
        });
      },
    });
    return new ApiClientType(
      k8s.createConfiguration({
        baseServer: new k8s.ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi,
      }),
    );
  }
}

function makeClient(
  cluster: ClusterConfig,
  token: (() => string | undefined) | undefined,
  timeoutMs: number,
): ClusterClient {
  const kubeConfig = new DeadlineKubeConfig(timeoutMs);
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: cluster.skipTLSVerify,
      },
    ],
    // Read on every request: a token file that rotates (a projected service account token)
    // is used as it is now, not as it was when the client was made.
    users: [
      {
        name: 'shipshape',
        get token() {
          return token?.();
        },
      },
    ],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: 'shipshape' },
    ],
    currentContext: cluster.name,
  });
  return {
    cluster: cluster.name,
    kubeConfig,
    apps: kubeConfig.makeApiClient(k8s.AppsV1Api),
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    batch: kubeConfig.makeApiClient(k8s.BatchV1Api),
    watch: new k8s.Watch(kubeConfig),
  };
}
