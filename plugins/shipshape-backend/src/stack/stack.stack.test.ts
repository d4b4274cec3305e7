/*
 * Smoke tests of the local stack through the client libraries Shipshape itself uses:
 * @kubernetes/client-node against the real apiserver (TLS, the portal's tokens) and
 * @aws-sdk/client-s3 against the real S3 server (a streamed upload with the SDK's default
 * checksums, which a lax server would store with its aws-chunked framing).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import * as k8s from '@kubernetes/client-node';
import { createHash, randomBytes } from 'crypto';
import fs from 'fs';
import https from 'https';
import { Readable } from 'stream';
import { readLocalStack } from '@internal/shipshape-test-utils';

jest.setTimeout(120_000);

function kubeConfig(tokenFile: string): k8s.KubeConfig {
  const { kubernetes } = readLocalStack();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'local', server: kubernetes.url, caFile: kubernetes.caFile },
    ],
    users: [
      { name: 'portal', token: fs.readFileSync(tokenFile, 'utf8').trim() },
    ],
    contexts: [{ name: 'local', cluster: 'local', user: 'portal' }],
    currentContext: 'local',
  });
  return kc;
}

describe('local stack: Kubernetes through @kubernetes/client-node', () => {
  const namespace = 'shipshape-smoke-js';
  const name = `smoke-${Date.now().toString(36)}`;
  const stack = readLocalStack();
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(stack.kubernetes.adminKubeconfig);

  beforeAll(async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core
      .createNamespace({ body: { metadata: { name: namespace } } })
      .catch(e => {
        if (e.code !== 409) throw e;
      });
  });

  afterAll(async () => {
    await admin
      .makeApiClient(k8s.AppsV1Api)
      .deleteNamespacedDeployment({ name, namespace })
      .catch(() => undefined);
  });

  it('answers /readyz over TLS with the read-only token, which may not patch', async () => {
    const reader = kubeConfig(stack.kubernetes.readerTokenFile);
    const token = fs
      .readFileSync(stack.kubernetes.readerTokenFile, 'utf8')
      .trim();
    const readyz = await new Promise<{ status?: number; body: string }>(
      (resolve, reject) => {
        https
          .get(
            `${stack.kubernetes.url}/readyz`,
            {
              ca: fs.readFileSync(stack.kubernetes.caFile),
              headers: { Authorization: `Bearer ${token}` },
            },
            res => {
              let body = '';
              res.on('data', d => (body += d));
              res.on('end', () => resolve({ status: res.statusCode, body }));
            },
          )
          .on('error', reject);
      },
    );
    expect(readyz).toEqual({ status: 200, body: 'ok' });
    const deployments = await reader
      .makeApiClient(k8s.AppsV1Api)
      .listNamespacedDeployment({ namespace: 'staging' });
    expect(deployments.items.length).toBeGreaterThan(0);
    await expect(
      reader.makeApiClient(k8s.AppsV1Api).patchNamespacedDeployment(
        {
          name: deployments.items[0].metadata!.name!,
          namespace: 'staging',
          body: { metadata: { annotations: { smoke: 'no' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({ code: 403 });
  });

  it('runs a Deployment created through the API until it is Available', async () => {
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels: { 'backstage.io/kubernetes-id': name } },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                { name: 'app', image: 'registry.example/smoke:1.0.0' },
              ],
            },
          },
        },
      },
    });
    const started = Date.now();
    let available = false;
    while (!available && Date.now() - started < 60_000) {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      available =
        d.status?.availableReplicas === 3 &&
        !!d.status.conditions?.some(
          c => c.type === 'Available' && c.status === 'True',
        );
      if (!available) await new Promise(r => setTimeout(r, 250));
    }
    expect(available).toBe(true);
  });
});

describe('local stack: S3 through @aws-sdk/client-s3', () => {
  const { s3 } = readLocalStack();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: {
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    },
  });
  afterAll(() => client.destroy());

  it('round-trips a streamed multipart upload byte for byte', async () => {
    await client
      .send(new CreateBucketCommand({ Bucket: s3.bucket }))
      .catch(() => undefined);
    const body = randomBytes(12 * 1024 * 1024);
    const key = `smoke/${Date.now()}.bin`;
    // A stream of unknown length, as a pg_dump pipe would be: the SDK uses multipart upload
    // with its default (trailing) checksums.
    const upload = new Upload({
      client,
      params: {
        Bucket: s3.bucket,
        Key: key,
        Body: Readable.from(
          (function* chunks() {
            for (let i = 0; i < body.length; i += 1024 * 1024) {
              yield body.subarray(i, i + 1024 * 1024);
            }
          })(),
        ),
      },
      partSize: 5 * 1024 * 1024,
    });
    await upload.done();
    const got = await client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: key }),
    );
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(body.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(body).digest('hex'),
    );
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
  });
});
