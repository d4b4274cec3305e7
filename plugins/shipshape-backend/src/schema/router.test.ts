import {
  createBackendPlugin,
  coreServices,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import express from 'express';
import request from 'supertest';
import { createOpenApiRouter } from './router';

jest.setTimeout(60_000);

/** A backend whose plugin has only the validating router and two routes that echo. */
async function start() {
  const plugin = createBackendPlugin({
    pluginId: 'shipshape',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter },
        async init({ httpRouter }) {
          // echo routes in a plain router, mounted as the feature routers are
          const echo = express.Router();
          echo.post('/entities/:kind/:namespace/:name/deploy', (req, res) => {
            res.json({ body: req.body });
          });
          echo.get('/operations/:id/log', (req, res) => {
            res.json({ query: req.query });
          });
          echo.get(
            '/entities/:kind/:namespace/:name/slos/charts',
            (req, res) => {
              res.json({ query: req.query });
            },
          );
          const router = createOpenApiRouter();
          router.use(echo);
          httpRouter.use(router);
        },
      });
    },
  });
  const { server } = await startTestBackend({ features: [plugin] });
  return server;
}

describe('createOpenApiRouter', () => {
  it('answers 400 naming the field of a bad body or query, passes a good one', async () => {
    const server = await start();
    const deploy = (body: object) =>
      request(server)
        .post('/api/shipshape/entities/component/default/svc/deploy')
        .set('Authorization', mockCredentials.user.header())
        .send(body);

    const good = await deploy({ environment: 'staging', tag: 'v2' });
    expect(good.status).toBe(200);
    // the document's defaults are filled in
    expect(good.body).toEqual({
      body: {
        environment: 'staging',
        tag: 'v2',
        autoRollback: true,
        dryRun: false,
      },
    });

    for (const [body, message] of [
      [
        { environment: 'staging', tag: 'v2', extra: 1 },
        'Invalid request: body.extra: must NOT have additional properties',
      ],
      [
        { tag: 'v2' },
        "Invalid request: body.environment: must have required property 'environment'",
      ],
      [
        { environment: 'staging', tag: 'v2', dryRun: 'yes' },
        'Invalid request: body.dryRun: must be boolean',
      ],
      // a rule across fields is answered by the body's description, which states it
      [
        { environment: 'staging' },
        'Invalid request: body: must have exactly one of image or tag',
      ],
      [
        { environment: 'staging', image: 'r/a:1', tag: 'v2' },
        'Invalid request: body: must have exactly one of image or tag',
      ],
    ] as const) {
      const res = await deploy(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ name: 'InputError', message });
    }

    // the backup and restore-drill bodies, as strict as the routes' own schemas
    for (const [what, body, message] of [
      [
        'backups',
        { method: 'rsync' },
        'Invalid request: body.method: must be equal to one of the allowed values: pg_dump, in-cluster',
      ],
      [
        'backups',
        { reason: 'x', extra: 1 },
        'Invalid request: body.extra: must NOT have additional properties',
      ],
      [
        'restore-drills',
        { backupId: 'nope' },
        'Invalid request: body.backupId: must match format "uuid"',
      ],
    ] as const) {
      const res = await request(server)
        .post(`/api/shipshape/entities/component/default/svc/${what}`)
        .set('Authorization', mockCredentials.user.header())
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(message);
    }

    const wait = await request(server)
      .get('/api/shipshape/operations/op-1/log?wait=31')
      .set('Authorization', mockCredentials.user.header());
    expect(wait.status).toBe(400);
    expect(wait.body.error.message).toBe(
      'Invalid request: query.wait: must be <= 30',
    );

    // the SLO charts' points: 10-500, as the route takes it
    const charts = (points: string) =>
      request(server)
        .get(
          `/api/shipshape/entities/component/default/svc/slos/charts?points=${points}`,
        )
        .set('Authorization', mockCredentials.user.header());
    expect((await charts('60')).body).toEqual({ query: { points: 60 } });
    for (const [points, message] of [
      ['9', 'Invalid request: query.points: must be >= 10'],
      ['501', 'Invalid request: query.points: must be <= 500'],
      ['1.5', 'Invalid request: query.points: must be integer'],
    ]) {
      const res = await charts(points);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(message);
    }
  });

  it('serves the document at /openapi.json', async () => {
    const server = await start();
    const res = await request(server)
      .get('/api/shipshape/openapi.json')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.paths).toHaveProperty(
      ['/api/shipshape/entities/{kind}/{namespace}/{name}/deploy'],
      expect.anything(),
    );
  });
});
