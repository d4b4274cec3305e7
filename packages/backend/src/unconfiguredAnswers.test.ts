/*
 * The answers of the Shipshape backend plugin on a portal without any shipshape.* config, as
 * the frontend's test of every view then (plugins/shipshape/src/unconfigured.test.tsx) replays
 * them from plugins/shipshape/src/__fixtures__/unconfiguredBackend.json: the real plugin, started
 * with empty config and the fixture's entity in the catalog, must still answer each recorded
 * GET with the same status and body (times aside), so the frontend test cannot drift from it.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { startUnconfiguredBackend } from '@internal/shipshape-test-utils';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import fs from 'fs';
import path from 'path';
import request from 'supertest';

jest.setTimeout(120_000);

const FIXTURE = path.resolve(
  __dirname,
  '../../../plugins/shipshape/src/__fixtures__/unconfiguredBackend.json',
);

/** The body without its clock readings (`evaluatedAt`, `gradedAt`, ...). */
function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !/At$/.test(key))
        .map(([key, v]) => [key, timeless(v)]),
    );
  }
  return value;
}

describe('the Shipshape backend without configuration, as the frontend test replays it', () => {
  it('answers every recorded GET as recorded', async () => {
    const recorded: Record<string, { status: number; body: unknown }> =
      JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    const { server } = await startUnconfiguredBackend(shipshapePlugin);
    expect(Object.keys(recorded).length).toBeGreaterThanOrEqual(12);
    for (const [route, answer] of Object.entries(recorded)) {
      const res = await request(server)
        .get(`/api/shipshape${route}`)
        .set('Authorization', mockCredentials.user.header());
      expect({ route, status: res.status, body: timeless(res.body) }).toEqual({
        route,
        status: answer.status,
        body: timeless(answer.body),
      });
    }
  });
});
