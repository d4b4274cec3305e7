/**
 * payments-api's SLO tab (examples/entities.yaml, its OpenSLO file examples/slo/payments-api.yaml,
 * the stack's backfilled and live series) through a counting proxy in front of the real
 * Prometheus: the requests one view of the tab sends (the card's and the charts' endpoints),
 * cold and warm; the charts when Prometheus stalls; the charts when its answer has a gap.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'fs';
import http from 'http';
import path from 'path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { readLocalStack } from '@internal/shipshape-test-utils';
import { shipshapePlugin } from '../plugin';
import { PromProxy } from './__testUtils__/promProxy';

jest.setTimeout(120_000);

const stack = readLocalStack();
// the points the SLO tab asks (CHART_POINTS in plugins/shipshape's SloCharts.tsx)
const CHART_POINTS_OF_THE_TAB = 120;
const examples = path.resolve(__dirname, '../../../../examples');

describe("payments-api's SLO tab on the stack's Prometheus", () => {
  const prometheus = new PromProxy(stack.prometheus.url);
  const alertmanager = new PromProxy(stack.alertmanager.url);
  let server: http.Server;
  let coldAt = 0;
  let cold: { card: any; charts: any };

  beforeAll(async () => {
    await prometheus.start();
    await alertmanager.start();
    const file = path.join(examples, 'entities.yaml');
    const entity = parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map(d => d.toJSON() as Entity)
      .find(
        e => e?.kind === 'Component' && e.metadata.name === 'payments-api',
      )!;
    entity.metadata.namespace = 'default';
    entity.metadata.annotations![
      'backstage.io/managed-by-location'
    ] = `file:${file}`;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              prometheus: {
                timeoutSeconds: 5,
                cacheSeconds: 15,
                instances: [
                  { name: 'local', url: `http://127.0.0.1:${prometheus.port}` },
                ],
              },
              alertmanager: { url: `http://127.0.0.1:${alertmanager.port}` },
            },
          },
        }),
      ],
    }));
  });

  afterAll(async () => {
    await prometheus.stop();
    await alertmanager.stop();
  });

  const base = '/api/shipshape/entities/component/default/payments-api/slos';
  const card = () => request(server).get(base);
  const charts = (points: number) =>
    request(server).get(`${base}/charts?points=${points}`);

  /** One view of the SLO tab: SloTab loads the card and the charts at once. */
  async function view() {
    const p0 = prometheus.sent;
    const a0 = alertmanager.sent;
    const t0 = Date.now();
    const [c, ch] = await Promise.all([
      card(),
      charts(CHART_POINTS_OF_THE_TAB),
    ]);
    return {
      card: c.body,
      charts: ch.body,
      status: [c.status, ch.status],
      prometheus: prometheus.sent - p0,
      alertmanager: alertmanager.sent - a0,
      ms: Date.now() - t0,
    };
  }

  it('sends the formula of docs/slo.md for one view: card 2N+1 (+1 for silences when alerts exist), charts 2N; none when warm', async () => {
    const first = await view();
    cold = { card: first.card, charts: first.charts };
    coldAt = Date.now(); // the answers are cached from when they came
    expect(first.status).toEqual([200, 200]);
    const n = first.card.slos.length;
    // availability, latency-p99, latency-p90: three different SLIs, no query shared
    expect(n).toBe(3);
    expect(first.card.state).toBe('ok');
    expect(first.charts.slos.map((s: any) => s.state)).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    const silences = first.card.alerts.length ? 1 : 0;
    expect(first.prometheus).toBe(2 * n + 1 + 2 * n);
    expect(first.alertmanager).toBe(silences);
    const warm = await view();
    expect(warm.status).toEqual([200, 200]);
    expect(warm.prometheus).toBe(0);
    expect(warm.alertmanager).toBe(0);
    // eslint-disable-next-line no-console
    console.log(
      `payments-api SLO tab, ${n} SLOs, ${
        first.card.alerts.length
      } alerts: cold ${first.prometheus} Prometheus + ${
        first.alertmanager
      } Alertmanager requests (${first.ms} ms), warm ${warm.prometheus} + ${
        warm.alertmanager
      } (${warm.ms} ms)\n${prometheus.paths
        .map(p => p.split('?')[0])
        .join(', ')}`,
    );
  });

  it('answers the charts with a clear error within the timeout when Prometheus hangs or stalls mid-answer, never a 500', async () => {
    for (const [mode, points] of [
      ['hang', 77],
      ['stall', 78],
    ] as const) {
      prometheus.mode = mode;
      const t0 = Date.now();
      const res = await charts(points); // not asked before: nothing cached
      const ms = Date.now() - t0;
      prometheus.mode = 'pass';
      expect(res.status).toBe(200);
      expect(ms).toBeLessThan(8000);
      for (const slo of res.body.slos) {
        expect(slo).toMatchObject({
          state: 'error',
          error: 'Prometheus "local" did not answer within 5000 ms',
          budget: { points: [] },
        });
      }
    }
  });

  it('answers the charts with the last good ones marked stale when Prometheus hangs after the cache expired', async () => {
    await new Promise(r =>
      setTimeout(r, Math.max(0, coldAt + 15_500 - Date.now())),
    );
    prometheus.mode = 'hang';
    const t0 = Date.now();
    const res = await charts(CHART_POINTS_OF_THE_TAB);
    const ms = Date.now() - t0;
    prometheus.mode = 'pass';
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(8000);
    res.body.slos.forEach((slo: any, i: number) => {
      expect(slo.state).toBe('stale');
      expect(slo.error).toBe(
        'Prometheus "local" did not answer within 5000 ms',
      );
      expect(slo.budget).toEqual(cold.charts.slos[i].budget);
      expect(slo.burn).toEqual(cold.charts.slos[i].burn);
    });
  });

  it("keeps a gap in Prometheus' answer as nulls in the chart data, never zeros, and counts on after it", async () => {
    const now = Date.now() / 1000;
    const gap = { from: now - 40 * 3600, to: now - 30 * 3600 };
    prometheus.gap = gap;
    const res = await charts(90); // not asked before: answered through the gap
    prometheus.gap = undefined;
    expect(res.status).toBe(200);
    const inGap = (p: any) => p.t >= gap.from && p.t <= gap.to;
    for (const slo of res.body.slos) {
      expect(slo.state).toBe('ok');
      const lines = [
        slo.budget.points,
        ...slo.burn.windows.map((w: any) => w.points),
      ];
      for (const points of lines) {
        const gapped = points.filter(inGap);
        expect(gapped.length).toBeGreaterThan(0);
        expect(gapped.every((p: any) => p.value === null)).toBe(true);
        const after = points.filter((p: any) => p.t > gap.to);
        expect(after.length).toBeGreaterThan(0);
        // the stack's own series may have gaps of their own: some data after it
        expect(after.some((p: any) => p.value !== null)).toBe(true);
      }
      // the budget left goes on after the gap from where it was before it
      const budget = slo.budget.points;
      const before = budget
        .filter((p: any) => p.t < gap.from && p.value !== null)
        .at(-1);
      const next = budget.find((p: any) => p.t > gap.to && p.value !== null);
      expect(before).toBeDefined();
      expect(next.value).toBeLessThanOrEqual(before.value + 1e-9);
      expect(next.value).toBeGreaterThan(before.value - 0.2);
    }
  });
});
