import * as k8s from '@kubernetes/client-node';
import { ClusterClient } from './types';
import { argoRolloutState } from './argo';
import {
  ARGO,
  Workload,
  WorkloadKind,
  deploymentRolloutState,
  podError,
  podReady,
  selectorString,
} from './workloads';

/*
 * Following one workload's rollout to its end from the cluster's watches (what
 * `kubectl rollout status` does, plus new pods that crash or stay un-Ready): the deploy
 * and rollback operations wait on it.
 */

export interface FollowOptions {
  client: ClusterClient;
  namespace: string;
  name: string;
  /** Deployment (default) or an Argo Rollouts Rollout. */
  kind?: WorkloadKind;
  /** The patched generation: the controller must have observed at least this one. */
  minGeneration: number;
  /** The images the new pods run (to tell new pods from old ones). */
  expectedImages: string[];
  /** A new pod that errors or stays un-Ready this long stalls the rollout. */
  stallAfterMs: number;
  /** Give up (stalled) after this long in any case. */
  timeoutMs: number;
  signal: AbortSignal;
  onProgress?: (message: string) => void;
}

export type FollowResult =
  | { state: 'complete'; message: string; deployment: Workload }
  | { state: 'stalled'; message: string; deployment?: Workload };

/**
 * Follows one Deployment's rollout by WATCHING the API (the Deployment and its pods), the
 * way `kubectl rollout status` does, and additionally notices crash-looping or un-Ready
 * new pods. No polling: every decision is made on a watch event or on a single timer set
 * for the moment a pod's grace period ends.
 */
export function followRollout(options: FollowOptions): Promise<FollowResult> {
  const { client, namespace, name, signal } = options;
  return new Promise<FollowResult>((resolve, reject) => {
    let deployment: Workload | undefined;
    const rollout = options.kind === 'Rollout';
    const pods = new Map<string, k8s.V1Pod>();
    const badSince = new Map<string, number>();
    const watches: AbortController[] = [];
    const timers = new Set<NodeJS.Timeout>();
    let finished = false;
    let podWatchStarted = false;
    let lastMessage = '';
    const abortListener = { handle: () => {} };

    const finish = (fn: () => void) => {
      if (finished) return;
      finished = true;
      for (const w of watches) w.abort();
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener('abort', abortListener.handle);
      fn();
    };
    abortListener.handle = () =>
      finish(() => reject(signal.reason ?? new Error('aborted')));
    if (signal.aborted) {
      abortListener.handle();
      return;
    }
    signal.addEventListener('abort', abortListener.handle);

    const overall = setTimeout(
      () =>
        finish(() =>
          resolve({
            state: 'stalled',
            message: `rollout did not complete within ${Math.round(
              options.timeoutMs / 1000,
            )}s (${lastMessage})`,
            deployment,
          }),
        ),
      options.timeoutMs,
    );
    timers.add(overall);

    const isNewPod = (pod: k8s.V1Pod) => {
      const podImages = (pod.spec?.containers ?? []).map(c => c.image);
      return options.expectedImages.every(i => podImages.includes(i));
    };

    const evaluate = () => {
      if (finished || !deployment) return;
      const state = rollout
        ? argoRolloutState(deployment as any, options.minGeneration)
        : deploymentRolloutState(deployment, options.minGeneration);
      if (state.state === 'complete') {
        finish(() =>
          resolve({
            state: 'complete',
            message: state.message,
            deployment: deployment!,
          }),
        );
        return;
      }
      if (state.state === 'stalled') {
        finish(() =>
          resolve({ state: 'stalled', message: state.message, deployment }),
        );
        return;
      }
      // Pod-level stall: a new pod in error or un-Ready for longer than the grace period.
      const now = Date.now();
      const current = deployment;
      for (const pod of pods.values()) {
        if (!isNewPod(pod) || pod.metadata?.deletionTimestamp) continue;
        const key = pod.metadata!.name!;
        const error = podError(pod);
        if (!error && podReady(pod)) {
          badSince.delete(key);
          continue;
        }
        if (!badSince.has(key)) {
          badSince.set(key, now);
          const t = setTimeout(() => {
            timers.delete(t);
            evaluate();
          }, options.stallAfterMs + 5);
          timers.add(t);
        }
        if (now - badSince.get(key)! >= options.stallAfterMs) {
          const why = error
            ? `${error.reason} in container ${error.container}${
                error.message ? `: ${error.message}` : ''
              }`
            : 'not Ready';
          finish(() =>
            resolve({
              state: 'stalled',
              message: `pod ${key} ${why} for ${Math.round(
                (now - badSince.get(key)!) / 1000,
              )}s`,
              deployment: current,
            }),
          );
          return;
        }
      }
      if (state.message !== lastMessage) {
        lastMessage = state.message;
        options.onProgress?.(`${name}: ${state.message}`);
      }
    };

    const startWatch = (
      path: string,
      query: Record<string, string>,
      onEvent: (type: string, obj: any) => void,
      quickEnds = 0,
    ) => {
      if (finished) return;
      const startedAt = Date.now();
      client.watch
        .watch(
          path,
          { ...query, allowWatchBookmarks: 'false' },
          (type, obj) => {
            if (!finished) onEvent(type, obj);
          },
          err => {
            if (finished) return;
            if (err && (err as any).name !== 'AbortError') {
              options.onProgress?.(`watch ${path} ended: ${err}; re-watching`);
            }
            // The server closes watches after a while: watch again (gets the state anew).
            // A watch that ends at once (410 Gone, a proxy cutting it) is retried after a
            // pause, and given up after 10 in a row.
            const quick = Date.now() - startedAt < 1000 ? quickEnds + 1 : 0;
            if (quick >= 10) {
              finish(() =>
                reject(
                  new Error(`watch ${path} keeps failing: ${err ?? 'closed'}`),
                ),
              );
              return;
            }
            const t = setTimeout(
              () => {
                timers.delete(t);
                startWatch(path, query, onEvent, quick);
              },
              quick ? 1000 : 0,
            );
            timers.add(t);
          },
        )
        .then(w => {
          if (finished) w.abort();
          else watches.push(w);
        })
        .catch(err => finish(() => reject(err)));
    };

    startWatch(
      rollout
        ? `/apis/${ARGO.group}/${ARGO.version}/namespaces/${namespace}/${ARGO.plural}`
        : `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { fieldSelector: `metadata.name=${name}` },
      (type, obj: Workload) => {
        if (type === 'DELETED') {
          finish(() =>
            resolve({
              state: 'stalled',
              message: `${
                rollout ? 'Rollout' : 'Deployment'
              } ${namespace}/${name} was deleted`,
            }),
          );
          return;
        }
        if (type !== 'ADDED' && type !== 'MODIFIED') return;
        deployment = rollout ? { ...obj, kind: 'Rollout' } : obj;
        if (!podWatchStarted) {
          podWatchStarted = true;
          startWatch(
            `/api/v1/namespaces/${namespace}/pods`,
            { labelSelector: selectorString(obj.spec?.selector) },
            (podEvent, pod: k8s.V1Pod) => {
              if (podEvent === 'DELETED') pods.delete(pod.metadata!.name!);
              else if (podEvent === 'ADDED' || podEvent === 'MODIFIED')
                pods.set(pod.metadata!.name!, pod);
              evaluate();
            },
          );
        }
        evaluate();
      },
    );
  });
}
