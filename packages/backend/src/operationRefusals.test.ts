/*
 * A refused operation is logged once by the Shipshape backend, with who, what, where and why,
 * and is an audit event of Backstage's real auditor (as is an allowed one: actor the user).
 * "Owners only" is a conditional decision of Shipshape's permission policy that the catalog
 * evaluates, so the policy cannot log it: the real permission backend with that policy, the real
 * catalog with the example entities and the Shipshape backend plugin run together here, and
 * the root logger (the edge) captures what they log.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createServiceFactory,
  coreServices,
} from '@backstage/backend-plugin-api';
import { auditorServiceFactory } from '@backstage/backend-defaults/auditor';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import permissionModuleShipshape from '@shipshape/plugin-permission-backend-module-shipshape';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import {
  eventually,
  exampleCatalogConfig,
} from '@internal/shipshape-test-utils';
import request from 'supertest';

jest.setTimeout(120_000);

/** The example org's memberships, as sign-in resolves them (examples/org.yaml). */
const GROUPS: Record<string, string[]> = {
  'user:default/guest': ['group:default/payments-team'],
  'user:default/carol': ['group:default/platform-team'],
  'user:default/bob': ['group:default/orders-team'],
};
const GUEST = 'user:default/guest';
const BOB = 'user:default/bob';

/** Every line the backend logs, with its fields. */
const lines: Array<{ message: string; meta: Record<string, unknown> }> = [];

const capturingRootLogger = createServiceFactory({
  service: coreServices.rootLogger,
  deps: {},
  factory: () => {
    const make = (fields: Record<string, unknown>): any => {
      const log = (message: string, meta?: Record<string, unknown>) =>
        lines.push({ message, meta: { ...fields, ...meta } });
      return {
        error: log,
        warn: log,
        info: log,
        debug: log,
        child: (more: Record<string, unknown>) => make({ ...fields, ...more }),
      };
    };
    return make({});
  },
});

/**
 * The test backend's HTTP auth, except that a plugin's token on behalf of a user carries that
 * plugin as the user's actor, as Backstage's real tokens do: the mock drops it, and the
 * permission backend then takes the catalog's conditional query (no resourceRef) for a direct
 * user request and refuses it (400).
 */
const oboHttpAuth = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    const prefix = 'mock-service-token:';
    return {
      async credentials(req: any, options?: any) {
        const token = String(req.headers.authorization ?? '').match(
          /^Bearer[ ]+(\S+)$/i,
        )?.[1];
        if (token?.startsWith(prefix)) {
          const { obo, target } = JSON.parse(token.slice(prefix.length));
          if (obo && (!target || target === plugin.getId())) {
            return mockCredentials.user(obo, {
              actor: { subject: 'plugin:on-behalf' },
            });
          }
        }
        return inner.credentials(req, options);
      },
      issueUserCookie: (res: any, options?: any) =>
        inner.issueUserCookie(res, options),
    } as any;
  },
});

describe('operations refused by entity ownership', () => {
  let server: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        catalogPlugin,
        permissionPlugin,
        permissionModuleShipshape,
        shipshapePlugin,
        capturingRootLogger,
        auditorServiceFactory,
        oboHttpAuth,
        mockServices.userInfo.mock({
          getUserInfo: async credentials => {
            const ref = (credentials.principal as any).userEntityRef;
            return {
              userEntityRef: ref,
              ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
            };
          },
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            catalog: exampleCatalogConfig(),
            permission: {
              enabled: true,
              shipshape: { adminGroups: ['group:default/platform-team'] },
            },
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'local',
                      url: 'https://127.0.0.1:1',
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 'not-used-secret-token',
                    },
                  ],
                },
              ],
            },
            shipshape: {
              kubernetes: { watchWorkloads: false },
              environments: [
                { name: 'staging', cluster: 'local', namespace: 'staging' },
                {
                  name: 'production',
                  cluster: 'local',
                  namespace: 'production',
                  protected: true,
                },
              ],
              backup: {
                storage: { type: 'local', directory: '/nonexistent-not-used' },
                targets: [
                  {
                    name: 'orders-db',
                    connection: {
                      host: '127.0.0.1',
                      port: 1,
                      user: 'orders',
                      database: 'orders',
                      passwordEnv: 'SHIPSHAPE_TEST_UNUSED_PASSWORD',
                    },
                    allowedEntities: ['component:default/orders-api'],
                  },
                ],
              },
            },
          },
        }),
      ],
    }));
    await eventually(async () => {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/orders-api')
        .set('Authorization', mockCredentials.user.header(GUEST));
      if (res.status !== 200) {
        throw new Error(`orders-api not in the catalog yet: ${res.status}`);
      }
    }, 60_000);
  });

  const refusals = () =>
    lines.filter(l => l.message.startsWith('Refused shipshape.'));
  /** The real auditor's events (DefaultAuditorService through the root logger). */
  const audits = (eventId: string) =>
    lines
      .filter(l => l.meta.isAuditEvent && l.message === `shipshape.${eventId}`)
      .map(l => l.meta as any);

  it('a non-owner refused a deploy: one log line naming the user, permission, entity, environment and owners', async () => {
    lines.length = 0;
    const res = await request(server)
      .post('/api/shipshape/entities/component/default/orders-api/deploy')
      .set('Authorization', mockCredentials.user.header(GUEST))
      .set('User-Agent', 'shipshape-audit-test')
      .send({ environment: 'staging', tag: '1.2.3' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'You may not deploy component:default/orders-api (permission shipshape.operation.deploy)',
    );
    expect(refusals()).toEqual([
      {
        message:
          'Refused shipshape.operation.deploy on component:default/orders-api in environment staging to user:default/guest: not an owner of component:default/orders-api (owners: group:default/orders-team)',
        meta: expect.objectContaining({
          plugin: 'shipshape',
          user: GUEST,
          permission: 'shipshape.operation.deploy',
          entity: 'component:default/orders-api',
          environment: 'staging',
          reason:
            'not an owner of component:default/orders-api (owners: group:default/orders-team)',
        }),
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('not-used-secret-token');
    const refused = audits('operation-refused');
    expect(refused.map(e => e.status)).toEqual(['initiated', 'failed']);
    expect(refused[1]).toMatchObject({
      severityLevel: 'medium',
      actor: { actorId: GUEST, userAgent: 'shipshape-audit-test' },
      request: {
        method: 'POST',
        url: '/api/shipshape/entities/component/default/orders-api/deploy',
      },
      meta: {
        action: 'deploy',
        permission: 'shipshape.operation.deploy',
        entityRef: 'component:default/orders-api',
        environment: 'staging',
        requestedBy: GUEST,
        reason:
          'not an owner of component:default/orders-api (owners: group:default/orders-team)',
      },
    });
    expect(refused[1].actor.ip).toMatch(/127\.0\.0\.1/);
    expect(audits('operation-submit')).toEqual([]);
  });

  it('a non-owner refused a backup and a restore drill: one line each, without an environment when none was asked', async () => {
    lines.length = 0;
    const backup = await request(server)
      .post('/api/shipshape/entities/component/default/orders-api/backups')
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({ reason: 'before the migration' });
    expect({ status: backup.status, body: backup.body }).toMatchObject({
      status: 403,
    });
    const drill = await request(server)
      .post(
        '/api/shipshape/entities/component/default/orders-api/restore-drills',
      )
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({});
    expect({ status: drill.status, body: drill.body }).toMatchObject({
      status: 403,
    });
    const found = refusals();
    expect(found.map(l => l.message)).toEqual([
      'Refused shipshape.operation.backup on component:default/orders-api to user:default/guest: not an owner of component:default/orders-api (owners: group:default/orders-team)',
      'Refused shipshape.operation.backup on component:default/orders-api to user:default/guest: not an owner of component:default/orders-api (owners: group:default/orders-team)',
    ]);
    expect(found[0].meta).not.toHaveProperty('environment');
    const refused = audits('operation-refused').filter(
      e => e.status === 'failed',
    );
    expect(refused.map(e => [e.actor.actorId, e.meta.action])).toEqual([
      [GUEST, 'back up'],
      [GUEST, 'run a restore drill of'],
    ]);
    expect(refused[0].meta).not.toHaveProperty('environment');
  });

  it('an owner’s backup over HTTP and its dry run: audit events with the user as actor, the entity and the outcome', async () => {
    lines.length = 0;
    const url = '/api/shipshape/entities/component/default/orders-api/backups';
    const dry = await request(server)
      .post(url)
      .set('Authorization', mockCredentials.user.header(BOB))
      .set('User-Agent', 'shipshape-audit-test')
      .send({ dryRun: true });
    expect({ status: dry.status, body: dry.body }).toMatchObject({
      status: 200,
      body: { dryRun: true },
    });
    expect(audits('operation-dry-run')).toEqual([
      expect.objectContaining({ status: 'initiated' }),
      expect.objectContaining({
        status: 'succeeded',
        severityLevel: 'low',
        actor: expect.objectContaining({
          actorId: BOB,
          userAgent: 'shipshape-audit-test',
        }),
        meta: {
          kind: 'backup',
          entityRef: 'component:default/orders-api',
          outcome: 'dry-run',
        },
      }),
    ]);
    expect(audits('operation-submit')).toEqual([]);

    const res = await request(server)
      .post(url)
      .set('Authorization', mockCredentials.user.header(BOB))
      .set('User-Agent', 'shipshape-audit-test')
      .send({ reason: 'before the migration' });
    expect({ status: res.status, body: res.body }).toMatchObject({
      status: 202,
    });
    const actor = expect.objectContaining({
      actorId: BOB,
      userAgent: 'shipshape-audit-test',
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    const submitted = audits('operation-submit');
    expect(submitted.map(e => e.status)).toEqual(['initiated', 'succeeded']);
    expect(submitted[1]).toMatchObject({
      actor,
      request: { method: 'POST', url },
      meta: {
        kind: 'backup',
        entityRef: 'component:default/orders-api',
        target: 'backup:orders-db',
        requestedBy: BOB,
        reason: 'before the migration',
        operationId: res.body.id,
      },
    });
    // The database (port 1) is not there: the run fails, and its event says so, same actor.
    await eventually(async () => {
      if (audits('operation-run').length < 2) {
        throw new Error('the backup run has not ended yet');
      }
    }, 60_000);
    const ran = audits('operation-run');
    expect(ran.map(e => e.status)).toEqual(['initiated', 'failed']);
    expect(ran[1]).toMatchObject({
      actor,
      meta: {
        kind: 'backup',
        entityRef: 'component:default/orders-api',
        operationId: res.body.id,
        outcome: 'failed',
      },
    });
    expect(JSON.stringify(lines)).not.toContain('not-used-secret-token');
  });

  it('an owner refused in a protected environment: the line points to the policy’s own denial, which gives the reason', async () => {
    lines.length = 0;
    const res = await request(server)
      .post('/api/shipshape/entities/component/default/payments-api/deploy')
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({ environment: 'production', tag: '1.2.3' });
    expect(res.status).toBe(403);
    expect(refusals().map(l => l.message)).toEqual([
      "Refused shipshape.operation.deploy.protected on component:default/payments-api in environment production to user:default/guest: denied by the permission policy although the caller owns component:default/payments-api (the policy's log line gives its reason)",
    ]);
    expect(lines.map(l => l.message)).toContain(
      'denied shipshape.operation.deploy.protected to user:default/guest: deploys and rollbacks in protected environments (production) are for members of group:default/platform-team only',
    );
  });

  it('an owner is not refused and nothing is logged as refused', async () => {
    lines.length = 0;
    const res = await request(server)
      .post('/api/shipshape/entities/component/default/payments-api/deploy')
      .set('Authorization', mockCredentials.user.header(GUEST))
      .send({ environment: 'staging', tag: '1.2.3', dryRun: true });
    // allowed: what follows fails on the unreachable cluster, not on permission
    expect(res.status).not.toBe(403);
    expect(refusals()).toEqual([]);
  });
});
