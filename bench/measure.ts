/**
 * Measuring helpers shared by the rollout benchmarks: summary figures of a list of timings,
 * the time a command takes to exit 0, and the side-by-side runs of Shipshape's follower
 * against a command on the same rollout.
 */
import { kubectl, testDeployment } from '@internal/shipshape-test-utils';
import { spawn } from 'child_process';
import {
  FollowOptions,
  followRollout,
} from '../plugins/shipshape-backend/src/kubernetes/follow';

export function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    n: s.length,
    min: Math.round(s[0]),
    p50: Math.round(q(0.5)),
    p95: Math.round(q(0.95)),
    max: Math.round(s[s.length - 1]),
    mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Resolves with the ms from `started` until `command` exits 0; rejects on any other exit. */
export function commandDone(
  command: string,
  args: string[],
  started: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args);
    p.on('error', reject);
    p.on('exit', code =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
    );
  });
}

/**
 * `runs` times: sets the image to `${repo}:${i}` (by `setImage`, which returns the new
 * generation), then times Shipshape's follower and `other` (started at the same instant)
 * until each sees the rollout complete.
 */
export async function followerAgainst(opts: {
  runs: number;
  client: FollowOptions['client'];
  namespace: string;
  name: string;
  kind?: FollowOptions['kind'];
  repo: string;
  setImage: (image: string) => Promise<number>;
  other: (started: number) => Promise<number>;
}): Promise<{ engine: number[]; other: number[] }> {
  const engine: number[] = [];
  const other: number[] = [];
  for (let i = 1; i <= opts.runs; i++) {
    const image = `${opts.repo}:${i}`;
    const minGeneration = await opts.setImage(image);
    const t0 = performance.now();
    const [w, k] = await Promise.all([
      followRollout({
        client: opts.client,
        namespace: opts.namespace,
        name: opts.name,
        kind: opts.kind,
        minGeneration,
        expectedImages: [image],
        stallAfterMs: 60_000,
        timeoutMs: 120_000,
        signal: new AbortController().signal,
      }).then(r => {
        if (r.state !== 'complete') throw new Error(r.message);
        return performance.now() - t0;
      }),
      opts.other(t0),
    ]);
    engine.push(w);
    other.push(k);
  }
  return { engine, other };
}

/**
 * The load benchmarks' service in each of `namespaces` (created here): the Deployment `name`
 * (kubernetes-id `name`, image `${repo}:0`, 2 replicas), rolled out.
 */
export function deployService(
  namespaces: string[],
  name: string,
  repo: string,
) {
  for (const ns of namespaces) {
    kubectl(['create', 'namespace', ns]);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name,
        namespace: ns,
        kubernetesId: name,
        image: `${repo}:0`,
        replicas: 2,
      }),
    );
    kubectl(['-n', ns, 'rollout', 'status', `deploy/${name}`, '--timeout=60s']);
  }
}

/** That service's catalog entity. */
export function serviceEntity(name: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/x',
    },
  };
}
