import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as k8s from '@kubernetes/client-node';
import {
  readLocalStack,
  stackPaymentsConnection,
  stackS3Storage,
} from '@internal/shipshape-test-utils';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';

jest.setTimeout(120_000);

// A backup CronJob writing to a bucket the portal does not know: its backups are never listed,
// verified or counted, while its runs succeed. The backup-destination check compares the
// CronJob's S3_BUCKET / S3_PREFIX (the env of the chart's upload container, backup-cronjob.yaml),
// read from the stack's cluster with the read token, with the entity's backup target's storage.
const stack = readLocalStack();
const RUN = `d${process.pid.toString(36)}${Date.now().toString(36)}`;
const NS = `${RUN}-dest`;
const TARGET = `dest-${RUN}`;
const PREFIX = `test/destination-${RUN}/`;
const STRAY_BUCKET = `${stack.s3.bucket}-scratch`;
const USER = 'user:default/reader';
const admin = new k8s.KubeConfig();
admin.loadFromFile(stack.kubernetes.adminKubeconfig);
const core = admin.makeApiClient(k8s.CoreV1Api);
const batch = admin.makeApiClient(k8s.BatchV1Api);

/** A backup CronJob as the chart makes it, reduced to its labels and upload env. */
function cronJob(name: string, env: Record<string, string>): k8s.V1CronJob {
  const labels = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': 'backup',
    'backstage.io/kubernetes-id': name,
  };
  return {
    metadata: { name: `${name}-backup`, namespace: NS, labels },
    spec: {
      schedule: '*/15 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'upload-and-retain',
                  image: 'registry.example.test/aws-cli:2.17.0',
                  env: Object.entries({
                    ...env,
                    BACKUP_TARGET: TARGET,
                    APP_ENV: 'production',
                  }).map(([n, value]) => ({ name: n, value })),
                },
              ],
            },
          },
        },
      },
    },
  };
}

function entity(name: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'backstage.io/kubernetes-id': name,
        'shipshape.dev/backup-target': TARGET,
        'shipshape.dev/tier': 'standard',
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  };
}

let server: any;

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: NS } } });
  for (const body of [
    // the chart's values for this target: its bucket and prefix
    cronJob('good-api', {
      S3_BUCKET: stack.s3.bucket,
      S3_PREFIX: PREFIX,
      S3_ENDPOINT: stack.s3.endpoint,
    }),
    // another bucket (same prefix): a bucket no target names, never listed
    cronJob('stray-api', {
      S3_BUCKET: STRAY_BUCKET,
      S3_PREFIX: PREFIX,
      S3_ENDPOINT: stack.s3.endpoint,
    }),
    // the target's bucket but the prefix left at the chart's default (none)
    cronJob('rootless-api', { S3_BUCKET: stack.s3.bucket, S3_PREFIX: '' }),
  ]) {
    await batch.createNamespacedCronJob({ namespace: NS, body });
  }
  process.env.SHIPSHAPE_TEST_DEST_PG = stack.postgres.password;
  process.env.SHIPSHAPE_TEST_DEST_KEY = stack.s3.accessKeyId;
  process.env.SHIPSHAPE_TEST_DEST_SECRET = stack.s3.secretAccessKey;
  ({ server } = await startTestBackend({
    features: [
      shipshapePlugin,
      mockServices.rootConfig.factory({
        data: {
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'local',
                    url: stack.kubernetes.url,
                    caFile: stack.kubernetes.caFile,
                    authProvider: 'serviceAccount',
                    serviceAccountTokenFile: stack.kubernetes.readerTokenFile,
                  },
                ],
              },
            ],
          },
          shipshape: {
            environments: [
              { name: 'production', cluster: 'local', namespace: NS },
            ],
            backup: {
              targets: [
                {
                  name: TARGET,
                  allowedEntities: [
                    'component:default/good-api',
                    'component:default/stray-api',
                    'component:default/rootless-api',
                  ],
                  connection: stackPaymentsConnection('SHIPSHAPE_TEST_DEST_PG'),
                  storage: stackS3Storage(
                    PREFIX,
                    'SHIPSHAPE_TEST_DEST_KEY',
                    'SHIPSHAPE_TEST_DEST_SECRET',
                  ),
                },
              ],
            },
          },
        },
      }),
      catalogServiceMock.factory({
        entities: ['good-api', 'stray-api', 'rootless-api'].map(entity),
      }),
    ],
  }));
});

afterAll(async () => {
  await core.deleteNamespace({ name: NS }).catch(() => {});
});

async function checks(name: string) {
  const res = await request(server)
    .get(`/api/shipshape/entities/component/default/${name}/dr-readiness`)
    .set('Authorization', mockCredentials.user.header(USER));
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.checks.map((c: any) => [c.id, c]));
}

describe('backup-destination: the CronJob writes where the portal looks', () => {
  it("passes the CronJob writing to its target's bucket and prefix", async () => {
    const c = await checks('good-api');
    expect(c['backup-destination']).toEqual({
      id: 'backup-destination',
      status: 'pass',
      message: `CronJob ${NS}/good-api-backup writes to s3://${stack.s3.bucket}/${PREFIX} at ${stack.s3.endpoint}, where backup target ${TARGET} stores: the portal finds and verifies its backups`,
    });
    expect(c['backup-target'].status).toBe('pass');
  });

  it('fails the CronJob writing to a bucket the portal does not know, naming both and the fix', async () => {
    const c = await checks('stray-api');
    expect(c['backup-destination']).toEqual({
      id: 'backup-destination',
      status: 'fail',
      message: `CronJob ${NS}/stray-api-backup writes to s3://${STRAY_BUCKET}/${PREFIX} at ${stack.s3.endpoint}, target ${TARGET} stores in s3://${stack.s3.bucket}/${PREFIX} at ${stack.s3.endpoint}: the portal never sees these backups`,
      fix: `Set the chart's backup.s3.bucket to ${stack.s3.bucket} and backup.s3.prefix to "${PREFIX}" (target ${TARGET}'s storage in app-config shipshape.backup.targets), or point that storage at bucket ${STRAY_BUCKET} and prefix "${PREFIX}"`,
    });
    // the CronJob itself is found and not suspended: the schedule check does not catch this
    expect(c['backup-schedule'].message).toContain(
      `CronJob stray-api-backup (*/15 * * * *)`,
    );
  });

  it("fails the CronJob writing to the target's bucket under another prefix", async () => {
    const c = await checks('rootless-api');
    expect(c['backup-destination']).toMatchObject({
      status: 'fail',
      message: `CronJob ${NS}/rootless-api-backup writes to s3://${stack.s3.bucket}/, target ${TARGET} stores in s3://${stack.s3.bucket}/${PREFIX} at ${stack.s3.endpoint}: the portal never sees these backups`,
    });
  });
});
