import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import * as k8s from '@kubernetes/client-node';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { connectDatabase } from '../database';
import { OperationEngine } from '../operations/engine';
import { OperationStore } from '../operations/store';
import { DeployHandler } from '../rollout/handlers';
import { planDeploy } from '../rollout/plan';
import { KubernetesClusters } from './clusters';
import { ARGO } from './workloads';
import {
  createServiceNamespace,
  kubectl,
  readStackKubernetes,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** A loopback server that accepts connections and never answers; counts the open ones. */
async function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // reads and drops what the client sends, so its close is seen
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    open: () => sockets.size,
    close: async () => {
      sockets.forEach(s => s.destroy());
      await new Promise(r => server.close(r));
    },
  };
}

/** The stack's cluster (as `local`), or the same credentials aimed at `url`. */
function clustersAt(url?: string, requestTimeoutSeconds = 1) {
  const config = testConfig([{ name: 'test', namespace: 'unused' }]) as any;
  if (url) {
    config.kubernetes.clusterLocatorMethods[0].clusters[0].url = url;
  }
  config.shipshape.kubernetes.requestTimeoutSeconds = requestTimeoutSeconds;
  return KubernetesClusters.fromConfig(new ConfigReader(config));
}

async function waitFor(check: () => boolean, ms: number) {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) {
    await new Promise(r => setTimeout(r, 20));
  }
  return check();
}

describe('Kubernetes calls: deadlines and rotating tokens', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(async () => {
    await silent.close();
  });

  it('fails a call to a cluster that never answers at its deadline, naming the call, and leaves no socket open', async () => {
    const clusters = clustersAt(silent.url, 1);
    const started = Date.now();
    const failure = await clusters
      .clusterReader('local')
      .apps.readNamespacedDeployment({ name: 'web', namespace: 'team-a' })
      .then(
        () => undefined,
        e => e,
      );
    const took = Date.now() - started;
    expect(failure?.name).toBe('DeadlineError');
    expect(failure.message).toBe(
      "Kubernetes cluster 'local': GET /apis/apps/v1/namespaces/team-a/deployments/web (shipshape.kubernetes.requestTimeoutSeconds) did not answer within 1000 ms",
    );
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(3_000);
    // The request was aborted, not left hanging behind the rejection.
    expect(await waitFor(() => silent.open() === 0, 2_000)).toBe(true);

    // API clients made elsewhere from the same config (custom resources) have it too.
    const custom = clusters
      .clusterReader('local')
      .kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    await expect(
      custom.listNamespacedCustomObject({ ...ARGO, namespace: 'team-a' }),
    ).rejects.toThrow(
      "Kubernetes cluster 'local': GET /apis/argoproj.io/v1alpha1/namespaces/team-a/rollouts (shipshape.kubernetes.requestTimeoutSeconds) did not answer within 1000 ms",
    );
  });

  it('refuses a deadline that is not a positive number of seconds', () => {
    expect(() => clustersAt(undefined, 0)).toThrow(
      'shipshape.kubernetes.requestTimeoutSeconds must be a positive number of seconds, got 0',
    );
  });

  it('re-reads token files on every call: a rotated read or write token is used at once, by the same client', async () => {
    const k = readStackKubernetes();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-tokens-'));
    try {
      const readFile = path.join(dir, 'read-token');
      const writeFile = path.join(dir, 'write-token');
      fs.writeFileSync(readFile, 'revoked-token\n');
      fs.writeFileSync(writeFile, 'revoked-token\n');
      const config = testConfig([
        { name: 'test', namespace: 'default' },
      ]) as any;
      const cluster = config.kubernetes.clusterLocatorMethods[0].clusters[0];
      delete cluster.serviceAccountToken;
      cluster.serviceAccountTokenFile = readFile;
      config.shipshape.kubernetes.clusters[0].operatorServiceAccountTokenFile =
        writeFile;
      const clusters = KubernetesClusters.fromConfig(new ConfigReader(config));
      const reader = clusters.clusterReader('local');
      const operator = clusters.operator(clusters.environment('test'));
      const list = (c: typeof reader) =>
        c.apps.listNamespacedDeployment({ namespace: 'default', limit: 1 });

      await expect(list(reader)).rejects.toMatchObject({ code: 401 });
      await expect(list(operator)).rejects.toMatchObject({ code: 401 });
      // The platform rotates the tokens (a projected service account token is rewritten).
      fs.writeFileSync(readFile, fs.readFileSync(k.readerTokenFile));
      fs.writeFileSync(writeFile, fs.readFileSync(k.operatorTokenFile));
      await expect(list(reader)).resolves.toHaveProperty('items');
      await expect(list(operator)).resolves.toHaveProperty('items');
      expect(clusters.clusterReader('local')).toBe(reader);
      // And revoked again: the next call fails, nothing was cached.
      fs.writeFileSync(readFile, 'revoked-token\n');
      await expect(list(reader)).rejects.toMatchObject({ code: 401 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a deploy whose cluster stops answering', () => {
    const ns = `shipshape-deadline-${process.pid}`;
    const name = 'deadline-app';
    const repo = 'registry.example.test/shipshape/deadline-demo';
    beforeAll(() => {
      createServiceNamespace(ns);
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name,
          namespace: ns,
          kubernetesId: name,
          image: `${repo}:1.0.0`,
        }),
      );
      kubectl([
        '-n',
        ns,
        'rollout',
        'status',
        `deploy/${name}`,
        '--timeout=60s',
      ]);
    });
    afterAll(() => {
      kubectl(['delete', 'namespace', ns, '--wait=false']);
    });

    it('fails at its deadline naming the step, frees its target, and the next deploy runs', async () => {
      const knex = await databases.init('SQLITE_3');
      await connectDatabase({ getClient: async () => knex } as any);
      const config = testConfig([{ name: 'test', namespace: ns }]) as any;
      const live = KubernetesClusters.fromConfig(new ConfigReader(config));
      config.kubernetes.clusterLocatorMethods[0].clusters[0].url = silent.url;
      config.shipshape.kubernetes.requestTimeoutSeconds = 2;
      const hung = KubernetesClusters.fromConfig(new ConfigReader(config));
      const timings = { stallAfterMs: 60_000, timeoutMs: 120_000 };
      const engine = OperationEngine.create({
        store: OperationStore.create(knex),
        logger: mockServices.logger.mock(),
        auditor: mockServices.auditor.mock(),
      });
      // Planned while the cluster answered; it stops answering before the run.
      const { env, changes } = await planDeploy(
        live,
        { workload: { kubernetesId: name }, environment: 'test', tag: '2.0.0' },
        async () => {},
      );
      const deploy = () =>
        engine.submit({
          kind: 'deploy',
          entityRef: `component:default/${name}`,
          target: `local/${ns}/${name}`,
          requestedBy: 'user:default/tester',
          input: {
            environment: env.name,
            cluster: env.cluster,
            namespace: env.namespace,
            changes,
            changeCause: 'deadline test',
            autoRollback: true,
          },
        });

      engine.register('deploy', new DeployHandler(hung, timings));
      const started = Date.now();
      const first = await engine.waitFor((await deploy()).id);
      const took = Date.now() - started;
      const step = `Kubernetes cluster 'local': GET /apis/apps/v1/namespaces/${ns}/deployments/${name} (shipshape.kubernetes.requestTimeoutSeconds) did not answer within 2000 ms`;
      expect(first).toMatchObject({ status: 'failed', outcomeReason: step });
      expect(took).toBeLessThan(6_000);
      const log = (await engine.store.getLog(first.id)).map(l => l.message);
      expect(log).toContain(`Failed: ${step}`);
      expect(
        JSON.parse(kubectl(['-n', ns, 'get', 'deploy', name, '-o', 'json']))
          .spec.template.spec.containers[0].image,
      ).toBe(`${repo}:1.0.0`);

      // The target is free: the next deploy is accepted and, the cluster back, rolls out.
      engine.register('deploy', new DeployHandler(live, timings));
      const second = await engine.waitFor((await deploy()).id);
      expect(second.status).toBe('succeeded');
      // eslint-disable-next-line no-console
      console.log(
        `deploy against a cluster that never answers failed after ${took} ms (deadline 2000 ms)`,
      );
    });
  });

  describe('the operator reads Secrets only in service namespaces', () => {
    const ns = `shipshape-nogrant-${process.pid}`;
    beforeAll(() => {
      // A namespace the platform did not set up as a service's (no operator-helm.yaml bound).
      kubectl(['create', 'namespace', ns]);
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name: 'nogrant-app',
          namespace: ns,
          kubernetesId: 'nogrant-app',
          image: 'registry.example.test/shipshape/nogrant:1.0.0',
        }),
      );
    });
    afterAll(() => {
      kubectl(['delete', 'namespace', ns, '--wait=false']);
    });

    it("refuses a deploy where it may not read Helm's release records, naming the grant, and cannot read the stack's tokens", async () => {
      const clusters = KubernetesClusters.fromConfig(
        new ConfigReader(testConfig([{ name: 'test', namespace: ns }])),
      );
      await expect(
        planDeploy(
          clusters,
          {
            workload: { kubernetesId: 'nogrant-app' },
            environment: 'test',
            tag: '2.0.0',
          },
          async () => {},
        ),
      ).rejects.toMatchObject({
        name: 'NotAllowedError',
        message: expect.stringContaining(
          `may not list Secrets in namespace ${ns}, so Shipshape cannot read Helm's release records of nogrant-app (whether Helm manages it, and its history): bind deploy/rbac/operator-helm.yaml's Role to it in that namespace`,
        ),
      });
      const operator = clusters.operator(clusters.environment('test'));
      await expect(
        operator.core.readNamespacedSecret({
          name: 'shipshape-reader-token',
          namespace: 'shipshape-system',
        }),
      ).rejects.toMatchObject({ code: 403 });
      await expect(
        operator.core.listSecretForAllNamespaces({ limit: 1 }),
      ).rejects.toMatchObject({ code: 403 });
    });
  });
});
