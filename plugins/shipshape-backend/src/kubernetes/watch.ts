import { ECOSYSTEM_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { LoggerService } from '@backstage/backend-plugin-api';
import * as k8s from '@kubernetes/client-node';
import http from 'http';
import https from 'https';
import { createInterface } from 'readline';
import { KubernetesClusters, listPages } from './clusters';
import { ClusterClient } from './types';
import { ARGO } from './workloads';

/** A watched object: what a change needs to be routed (namespace, labels), and its version. */
export type WatchedObject = {
  kind?: string;
  metadata?: k8s.V1ObjectMeta;
};

/**
 * The kinds of objects the watches follow (what the Rollout card reads): labelled Deployments,
 * Argo Rollouts, ReplicaSets and Pods, and every Argo AnalysisRun (the controller does not copy
 * the Rollout's labels onto them; they are found by their owner, the Rollout).
 */
export type WatchedResource =
  | 'deployments'
  | 'rollouts'
  | 'replicasets'
  | 'pods'
  | 'analysisruns';

/** One kind of object to follow in one cluster: its list and its watch path. */
export interface WatchTarget {
  client: ClusterClient;
  resource: WatchedResource;
  /** The namespace followed; absent: every namespace of the cluster. */
  namespace?: string;
  /** The API may be absent (a CRD not installed): a 404 is an empty list, asked again later. */
  optional?: boolean;
  /** For messages: e.g. "Deployments in namespace staging". */
  what: string;
  /** The API path, e.g. `/apis/apps/v1/namespaces/staging/deployments`. */
  path: string;
  /** The label the objects must have; absent: every object of the kind. */
  labelSelector?: string;
  /**
   * The keys an object held whole is found by (`ListWatch.indexed`): `<namespace>/<kubernetes-id>`
   * for the labelled kinds, the owners' uids for AnalysisRuns.
   */
  indexKeys?(o: WatchedObject): string[];
  /** What of an object held whole is kept (default: all but `managedFields`). */
  trim?(o: WatchedObject): WatchedObject;
  /** One page of the list (the configured clients, with their request deadline). */
  list(page: { limit: number; _continue?: string }): Promise<{
    items: WatchedObject[];
    metadata?: { _continue?: string; resourceVersion?: string };
  }>;
}

/** How a watch is kept: server-side timeout, idle limit, backoff. */
export interface WatchTimings {
  /** Deadline for the watch's answer (the cluster's request deadline). */
  requestTimeoutMs: number;
  /** The server ends each watch after this long (it is then re-made from where it was). */
  watchSeconds: number;
  /** First and longest wait before trying again after an error. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_WATCH_TIMINGS = {
  watchSeconds: 240,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
};

class WatchError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

/**
 * Follows one kind of object in one cluster: lists it (a page at a time), then watches from the
 * list's resourceVersion and calls `onChange` for every object added, changed or deleted. A
 * watch the server ends is re-made from the last version seen; a 410 Gone (the version is too
 * old) or a cut connection is followed by a new list, which reports what changed meanwhile
 * (compared with the versions it holds). Errors are retried with a doubling backoff; `stop()`
 * ends the watch and every wait at once.
 *
 * It holds one entry per object: its name, labels and resourceVersion, or with `whole` the
 * object itself (without managedFields), which `objects()` gives while `synced`: from the end
 * of a list until the next error (a cut connection, a 410), when what it holds may be stale.
 */
export class ListWatch {
  private readonly versions = new Map<string, WatchedObject>();
  /** With `whole` and the target's `indexKeys`: key -> the objects held under it, by their key. */
  private readonly index = new Map<string, Map<string, WatchedObject>>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private current = false;
  /** Connections made and lists read, for tests and logs. */
  readonly counts = { watches: 0, lists: 0 };

  constructor(
    readonly target: WatchTarget,
    private readonly onChange: (obj: WatchedObject) => void,
    private readonly logger: LoggerService,
    private readonly timings: WatchTimings,
    private readonly whole = false,
  ) {}

  /** Listed, and watching since without an error: `objects()` is the cluster's state. */
  get synced(): boolean {
    return this.current;
  }

  /** The objects held (whole only with `whole`); not to be changed. */
  objects(): IterableIterator<WatchedObject> {
    return this.versions.values();
  }

  /** The objects held under an index key (see `WatchTarget.indexKeys`); not to be changed. */
  indexed(key: string): WatchedObject[] {
    const held = this.index.get(key);
    return held ? [...held.values()] : [];
  }

  private keep(o: WatchedObject): WatchedObject {
    if (!this.whole) return slim(o);
    if (this.target.trim) return this.target.trim(o);
    const { managedFields: _, ...metadata } = o.metadata ?? {};
    return { ...o, metadata };
  }

  private keysOf(o: WatchedObject): string[] {
    return this.whole && this.target.indexKeys ? this.target.indexKeys(o) : [];
  }

  /** Holds `o` (as kept) under its key and its index keys, in place of what was there. */
  private hold(key: string, o: WatchedObject): void {
    this.release(key);
    const kept = this.keep(o);
    this.versions.set(key, kept);
    for (const k of this.keysOf(kept)) {
      let held = this.index.get(k);
      if (!held) this.index.set(k, (held = new Map()));
      held.set(key, kept);
    }
  }

  private release(key: string): void {
    const before = this.versions.get(key);
    if (!before) return;
    this.versions.delete(key);
    for (const k of this.keysOf(before)) {
      const held = this.index.get(k);
      held?.delete(key);
      if (held?.size === 0) this.index.delete(k);
    }
  }

  private releaseAll(): void {
    this.versions.clear();
    this.index.clear();
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    let version: string | undefined;
    let failures = 0;
    let listed = false;
    while (!signal.aborted) {
      try {
        if (!version) {
          version = await this.relist(listed);
          listed = true;
          this.current = true;
        }
        const started = Date.now();
        version = await this.watchOnce(version, signal);
        failures = 0;
        // a server (or proxy) that ends every watch at once is not asked in a tight loop
        if (Date.now() - started < this.timings.backoffMs) {
          await sleep(this.timings.backoffMs, signal);
        }
      } catch (e) {
        this.current = false;
        if (signal.aborted) break;
        const code = (e as { code?: number }).code;
        if (code === 410) {
          version = undefined; // too old: list again, at once
          continue;
        }
        if (code === 404 && this.target.optional) {
          // no such API in this cluster (yet): nothing to hold; asked again after a while
          this.releaseAll();
          this.current = true;
          version = undefined;
          await sleep(this.timings.maxBackoffMs, signal);
          this.current = false;
          continue;
        }
        version = undefined; // a change may have been missed while cut off
        failures++;
        const wait = Math.min(
          this.timings.maxBackoffMs,
          this.timings.backoffMs * 2 ** (failures - 1),
        );
        const level = failures === 1 ? 'warn' : 'debug';
        this.logger[level](
          `Watch of ${this.target.what} in cluster ${
            this.target.client.cluster
          } failed (${
            e instanceof Error ? e.message : e
          }); trying again in ${Math.round(wait / 1000)} s`,
        );
        await sleep(wait * (0.8 + Math.random() * 0.4), signal);
      }
    }
  }

  /** Lists every object; after the first list, reports those that changed or went. */
  private async relist(report: boolean): Promise<string> {
    this.counts.lists++;
    let version: string | undefined;
    const seen = new Map<string, WatchedObject>();
    await listPages(
      async page => {
        const res = await this.target.list(page);
        version = res.metadata?.resourceVersion;
        return res;
      },
      items => items.forEach(o => seen.set(keyOf(o), o)),
      500,
    );
    if (!version) {
      throw new WatchError(`the list of ${this.target.what} had no version`);
    }
    const changed: WatchedObject[] = [];
    for (const [key, obj] of seen) {
      const before = this.versions.get(key);
      if (before?.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        changed.push(obj);
      }
    }
    for (const [key, obj] of this.versions) {
      if (!seen.has(key)) changed.push(obj);
    }
    // held first, then told: a reader woken by the news reads the new state
    this.releaseAll();
    seen.forEach((o, key) => this.hold(key, o));
    if (report) changed.forEach(o => this.onChange(o));
    return version;
  }

  /** One watch from `version` until the server ends it; resolves with the last version seen. */
  private async watchOnce(
    version: string,
    signal: AbortSignal,
  ): Promise<string> {
    this.counts.watches++;
    const { client, path, labelSelector } = this.target;
    const cluster = client.kubeConfig.getCurrentCluster()!;
    const url = new URL(cluster.server + path);
    url.searchParams.set('watch', 'true');
    url.searchParams.set('resourceVersion', version);
    url.searchParams.set('allowWatchBookmarks', 'true');
    if (labelSelector) url.searchParams.set('labelSelector', labelSelector);
    url.searchParams.set('timeoutSeconds', String(this.timings.watchSeconds));
    const opts: https.RequestOptions = {};
    await client.kubeConfig.applyToHTTPSOptions(opts);
    const get = url.protocol === 'https:' ? https.get : http.get;
    let last = version;
    await new Promise<void>((resolve, reject) => {
      const cancel = new AbortController();
      opts.signal = cancel.signal;
      const fail = (e: Error) => {
        cancel.abort();
        reject(e);
      };
      const onAbort = () => fail(new WatchError('stopped'));
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort(); // stopped while the request was being prepared
      // No answer within the request deadline, or nothing (not even a bookmark) for longer
      // than the server's own timeout: the connection is gone.
      let timer = setTimeout(
        () => fail(new WatchError('no answer (request deadline)')),
        this.timings.requestTimeoutMs,
      );
      const idle = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => fail(new WatchError('nothing received, connection lost')),
          this.timings.watchSeconds * 1000 + this.timings.requestTimeoutMs,
        );
      };
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const req = get(url, opts, res => {
        if (res.statusCode !== 200) {
          res.resume();
          done();
          reject(
            new WatchError(
              `HTTP ${res.statusCode} from ${path}`,
              res.statusCode,
            ),
          );
          return;
        }
        idle();
        res.on('data', idle);
        let failed: WatchError | undefined;
        const lines = createInterface(res);
        lines.on('line', line => {
          let event: { type?: string; object?: any };
          try {
            event = JSON.parse(line);
          } catch {
            return;
          }
          if (event.type === 'ERROR') {
            failed = new WatchError(
              `watch error: ${event.object?.message ?? 'unknown'}`,
              event.object?.code,
            );
            return;
          }
          const obj = event.object as WatchedObject | undefined;
          if (obj?.metadata?.resourceVersion) {
            last = obj.metadata.resourceVersion;
          }
          if (!obj || event.type === 'BOOKMARK') return;
          const key = keyOf(obj);
          if (event.type === 'DELETED') this.release(key);
          else this.hold(key, obj);
          this.onChange(obj);
        });
        // a cut connection: the answer fails ('aborted'), and readline passes that on
        const onError = (e: Error) => {
          done();
          reject(e);
        };
        res.on('error', onError);
        lines.on('error', onError);
        res.on('end', () => {
          done();
          if (failed) reject(failed);
          else if (res.complete) resolve();
          else reject(new WatchError('connection cut'));
        });
        res.on('close', () => {
          done();
          reject(new WatchError('connection cut')); // no-op after the end
        });
      });
      req.on('error', e => {
        done();
        reject(e);
      });
      req.on('socket', s => s.setKeepAlive(true, 30_000));
    });
    return last;
  }
}

function keyOf(o: WatchedObject): string {
  return `${o.metadata?.namespace}/${o.metadata?.name}`;
}

/** What the watch keeps of an object: enough to report its going (namespace, labels). */
function slim(o: WatchedObject): WatchedObject {
  const m = o.metadata ?? {};
  return {
    kind: o.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      labels: m.labels,
      resourceVersion: m.resourceVersion,
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    let timer: NodeJS.Timeout | undefined = undefined;
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/**
 * What the Rollout card shows, to follow in each environment's cluster: Deployments, Argo
 * Rollouts, ReplicaSets and Pods labelled with a kubernetes-id (the golden-path chart puts it on
 * the pod template too, so a workload's ReplicaSets and Pods carry it), in the environments'
 * namespaces (in the whole cluster when an environment there runs one namespace per service).
 * Clusters Shipshape cannot read with a service account token, or not configured, are left out
 * (named in `skipped`).
 */
export function workloadWatchTargets(clusters: KubernetesClusters): {
  targets: WatchTarget[];
  skipped: string[];
} {
  const { readers, unreadable } = clusters.allReaders();
  const used = new Set(clusters.environments().map(e => e.cluster));
  const skipped = unreadable
    .filter(u => used.has(u.cluster))
    .map(
      u => `cluster ${u.cluster} (authProvider ${u.authProvider}, no token)`,
    );
  const targets: WatchTarget[] = [];
  const labelSelector = ECOSYSTEM_ANNOTATIONS.kubernetesId;
  const indexKeys = entityKeys;
  for (const client of readers) {
    const envs = clusters
      .environments()
      .filter(e => e.cluster === client.cluster);
    if (!envs.length) continue;
    const namespaces = envs.some(e => e.namespacePerService)
      ? [undefined]
      : [...new Set(envs.map(e => e.namespace!))];
    const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    for (const namespace of namespaces) {
      const where = namespace ? `/namespaces/${namespace}` : '';
      const inWhere = namespace
        ? `in namespace ${namespace}`
        : 'in all namespaces';
      const base = { client, namespace, labelSelector, indexKeys };
      targets.push({
        ...base,
        resource: 'deployments',
        what: `Deployments ${inWhere}`,
        path: `/apis/apps/v1${where}/deployments`,
        list: page =>
          namespace
            ? client.apps.listNamespacedDeployment({
                namespace,
                labelSelector,
                ...page,
              })
            : client.apps.listDeploymentForAllNamespaces({
                labelSelector,
                ...page,
              }),
      });
      targets.push({
        ...base,
        resource: 'replicasets',
        what: `ReplicaSets ${inWhere}`,
        path: `/apis/apps/v1${where}/replicasets`,
        list: page =>
          namespace
            ? client.apps.listNamespacedReplicaSet({
                namespace,
                labelSelector,
                ...page,
              })
            : client.apps.listReplicaSetForAllNamespaces({
                labelSelector,
                ...page,
              }),
      });
      targets.push({
        ...base,
        resource: 'pods',
        what: `Pods ${inWhere}`,
        path: `/api/v1${where}/pods`,
        list: page =>
          namespace
            ? client.core.listNamespacedPod({
                namespace,
                labelSelector,
                ...page,
              })
            : client.core.listPodForAllNamespaces({
                labelSelector,
                ...page,
              }),
      });
      targets.push({
        ...base,
        resource: 'rollouts',
        optional: true,
        what: `Argo Rollouts ${inWhere}`,
        path: `/apis/${ARGO.group}/${ARGO.version}${where}/${ARGO.plural}`,
        list: page =>
          namespace
            ? custom.listNamespacedCustomObject({
                ...ARGO,
                namespace,
                labelSelector,
                ...page,
              })
            : custom.listClusterCustomObject({
                ...ARGO,
                labelSelector,
                ...page,
              }),
      });
      const runs = { ...ARGO, plural: 'analysisruns' };
      targets.push({
        client,
        namespace,
        resource: 'analysisruns',
        optional: true,
        what: `Argo AnalysisRuns ${inWhere}`,
        path: `/apis/${ARGO.group}/${ARGO.version}${where}/${runs.plural}`,
        indexKeys: ownerKeys,
        trim: trimAnalysisRun,
        list: page =>
          namespace
            ? custom.listNamespacedCustomObject({ ...runs, namespace, ...page })
            : custom.listClusterCustomObject({ ...runs, ...page }),
      });
    }
  }
  return { targets, skipped };
}

/** The index key of an entity's labelled objects in a namespace (`ListWatch.indexed`). */
export function entityKey(
  namespace: string | undefined,
  kubernetesId: string | undefined,
): string {
  return `${namespace}/${kubernetesId}`;
}

/** A labelled object's index key: its entity's (see `entityKey`). */
export function entityKeys(o: WatchedObject): string[] {
  return [
    entityKey(
      o.metadata?.namespace,
      o.metadata?.labels?.[ECOSYSTEM_ANNOTATIONS.kubernetesId],
    ),
  ];
}

/** An AnalysisRun's index keys: its owners' uids (the Rollout that started it). */
export function ownerKeys(o: WatchedObject): string[] {
  return (o.metadata?.ownerReferences ?? []).map(r => r.uid);
}

/**
 * What is kept of an AnalysisRun: all the rollout status reads (`analysisRunsOf`), with only
 * the last measurement of each metric (a run measuring every few seconds keeps its history).
 */
function trimAnalysisRun(o: WatchedObject): WatchedObject {
  const { managedFields: _, ...metadata } = o.metadata ?? {};
  const run = o as WatchedObject & {
    status?: { metricResults?: Array<{ measurements?: unknown[] }> };
  };
  const status = run.status && {
    ...run.status,
    metricResults: run.status.metricResults?.map(m => ({
      ...m,
      measurements: m.measurements?.slice(-1),
    })),
  };
  return { ...o, metadata, ...(status ? { status } : {}) } as WatchedObject;
}
