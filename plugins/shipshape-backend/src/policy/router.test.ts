import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  checkEntityPolicy,
  SHIPSHAPE_ANNOTATIONS,
  ShipshapePolicy,
} from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';
import { REPO } from '@internal/shipshape-test-utils';
import { shipshapePlugin } from '../plugin';

jest.setTimeout(60_000);

// The repository's own app-config.yaml: the policy the portal and the catalog module run with.
const appConfig = YAML.parse(
  fs.readFileSync(path.join(REPO, 'app-config.yaml'), 'utf8'),
);

async function start(shipshape: Record<string, any>) {
  const { server } = await startTestBackend({
    features: [
      shipshapePlugin,
      mockServices.rootConfig.factory({ data: { shipshape } }),
    ],
  });
  return server;
}

const costCenterErrors = (policy: ShipshapePolicy, value: string) =>
  checkEntityPolicy(policy, {
    kind: 'Component',
    metadata: {
      name: 'svc',
      annotations: { [SHIPSHAPE_ANNOTATIONS.costCenter.name]: value },
    },
    spec: { owner: 'group:default/team' },
  }).violations.filter(
    v =>
      v.field ===
      `metadata.annotations.${SHIPSHAPE_ANNOTATIONS.costCenter.name}`,
  );

describe('GET /policy', () => {
  it("answers the app-config's policy, which refuses a cost center outside it", async () => {
    expect(appConfig.shipshape.policy).toBeDefined();
    const server = await start({ policy: appConfig.shipshape.policy });
    const res = await request(server)
      .get('/api/shipshape/policy')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    const costCenter = res.body.tags.find(
      (t: { name: string }) => t.name === SHIPSHAPE_ANNOTATIONS.costCenter.name,
    );
    expect(costCenter).toMatchObject({
      required: true,
      pattern: appConfig.shipshape.policy.tags[0].pattern,
      inheritFromSystem: true,
      mode: 'warn',
    });
    expect(costCenterErrors(res.body, 'CC-1234')).toEqual([]);
    expect(costCenterErrors(res.body, 'CC-12')[0].message).toContain(
      'expected a value matching ^CC-\\d{4}$',
    );
  });

  it('follows a changed policy, not a hard-coded pattern', async () => {
    const server = await start({
      policy: {
        mode: 'enforce',
        tags: [
          {
            name: SHIPSHAPE_ANNOTATIONS.costCenter.name,
            pattern: '^FIN-\\d{3}$',
          },
        ],
      },
    });
    const res = await request(server)
      .get('/api/shipshape/policy')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual([
      {
        name: SHIPSHAPE_ANNOTATIONS.costCenter.name,
        required: true,
        pattern: '^FIN-\\d{3}$',
        inheritFromSystem: false,
        mode: 'enforce',
      },
    ]);
    expect(costCenterErrors(res.body, 'FIN-123')).toEqual([]);
    expect(costCenterErrors(res.body, 'CC-1234')).toHaveLength(1);
  });

  it('answers the default policy when app-config has none', async () => {
    const server = await start({});
    const res = await request(server)
      .get('/api/shipshape/policy')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(costCenterErrors(res.body, 'CC-12')).toHaveLength(1);
  });

  it('refuses a request without credentials', async () => {
    const server = await start({ policy: appConfig.shipshape.policy });
    const res = await request(server)
      .get('/api/shipshape/policy')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });
});
