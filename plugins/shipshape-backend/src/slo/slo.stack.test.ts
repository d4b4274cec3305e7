/**
 * The SLO endpoint against the local stack's real Prometheus: history written with
 * promtool for a healthy, a slow-burning and a fast-burning service, the recent minutes
 * served live by the steerable exporter; the numbers are checked against values computed
 * by hand from the series written here.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import {
  DAY,
  backfill,
  burnScenario,
  expectedRatio,
  readLocalStack,
  steer,
} from '@internal/shipshape-test-utils';
import { component, freePort } from './__testUtils__/fixtures';
import { PromProxy as Proxy } from './__testUtils__/promProxy';

jest.setTimeout(240_000);

const stack = readLocalStack();
// phases of each service's error ratio (the exporter continues the last one live)
const { HEALTHY, SLOW, FAST, T0, start, plan } = burnScenario('slo');
const RPS = 10;

async function promQuery(q: string): Promise<any[]> {
  const r = await fetch(
    `${stack.prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`,
  );
  return ((await r.json()) as any).data.result;
}

describe('SLO endpoint on the real Prometheus', () => {
  let steeredAt = 0;
  let server: http.Server;
  let proxy: Proxy;
  let slodir: string;
  // What the plugin sends to Prometheus and Alertmanager, counted on the way.
  const prometheus = new Proxy(stack.prometheus.url);
  const alertmanager = new Proxy(stack.alertmanager.url);
  const sent = () => prometheus.sent + alertmanager.sent;

  beforeAll(async () => {
    // 1. history up to T0 (promtool), 2. the same services live from now on (exporter)
    backfill(
      path.join(stack.stateDir, 'prometheus', 'data'),
      Object.entries(plan).map(([service, phases]) => ({
        service,
        rps: RPS,
        phases,
      })),
      start,
      T0,
    );
    steeredAt = Date.now() / 1000;
    await steer(
      Object.entries(plan).map(([service, phases]) => ({
        service,
        rps: RPS,
        errorRatio: phases[phases.length - 1].ratio,
        latencyMs: 50,
      })),
    );
    // 3. wait for Prometheus to load the new block (block reload runs every minute)
    const deadline = Date.now() + 150_000;
    for (;;) {
      const r = await promQuery(
        `count_over_time(http_requests_total{service="${FAST}",code="500"}[30d])`,
      );
      if (r.length && Number(r[0].value[1]) > 1000) break;
      if (Date.now() > deadline) {
        throw new Error(
          'Prometheus did not load the backfilled block within 150 s',
        );
      }
      await new Promise(res => setTimeout(res, 2000));
    }

    proxy = new Proxy(stack.prometheus.url);
    await proxy.start();
    await prometheus.start();
    await alertmanager.start();
    slodir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-entity-'));
    const sloFile = (name: string, target: string) => `---
apiVersion: openslo/v1
kind: SLO
metadata: { name: ${name} }
spec:
  indicator:
    metadata: { name: ${name}-sli }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Prometheus, spec: { query: 'sum(http_requests_total{service="${SLOW}",code="500"})' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(http_requests_total{service="${SLOW}"})' } } }
  timeWindow: [{ duration: 28d, isRolling: true }]
  objectives: [{ target: ${target} }]
`;
    fs.writeFileSync(
      path.join(slodir, 'slo.yaml'),
      sloFile('strict', '0.999') +
        sloFile('loose', '0.99') +
        sloFile('broken', '1'),
    );
    fs.writeFileSync(
      path.join(slodir, 'bad.yaml'),
      'apiVersion: openslo/v1\nkind: [SLO\n',
    );
    const loc = `file:${path.join(slodir, 'catalog-info.yaml')}`;
    const entities = [
      component('healthy', {
        'backstage.io/kubernetes-id': HEALTHY,
        'shipshape.dev/slo': 'availability=99.9%',
      }),
      component('slow', {
        'backstage.io/kubernetes-id': SLOW,
        'shipshape.dev/slo': 'availability=99.9%',
        'shipshape.dev/slo-ref': './slo.yaml',
        'backstage.io/managed-by-location': loc,
      }),
      component('fast', {
        'backstage.io/kubernetes-id': FAST,
        'shipshape.dev/slo': 'availability=99.9%; window=28d',
        'prometheus.io/alert': 'ShipshapeStackWatchdog',
      }),
      component('unparsable', {
        'shipshape.dev/slo-ref': './bad.yaml',
        'backstage.io/managed-by-location': loc,
      }),
      component('down', {
        'shipshape.dev/slo': 'availability=99%',
        'shipshape.dev/prometheus-instance': 'down',
      }),
      component('flaky', {
        'backstage.io/kubernetes-id': HEALTHY,
        'shipshape.dev/slo': 'availability=99.9%',
        'shipshape.dev/prometheus-instance': 'flaky',
      }),
      component('elsewhere', {
        'shipshape.dev/slo': 'availability=99%',
        'shipshape.dev/prometheus-instance': 'nowhere',
      }),
      component('no-slo', {}),
    ];
    const port = await freePort(); // closed: nothing listens on it
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              prometheus: {
                timeoutSeconds: 5,
                cacheSeconds: 15,
                instances: [
                  {
                    name: 'local',
                    url: `http://127.0.0.1:${prometheus.port}`,
                    headers: { Authorization: 'Bearer s3cret-token' },
                  },
                  { name: 'down', url: `http://127.0.0.1:${port}` },
                  { name: 'flaky', url: `http://127.0.0.1:${proxy.port}` },
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
    await steer(
      [HEALTHY, SLOW, FAST].map(service => ({ service, remove: true })),
    ).catch(() => {});
    await proxy?.stop();
    await prometheus.stop();
    await alertmanager.stop();
    if (slodir) fs.rmSync(slodir, { recursive: true, force: true });
  });

  const get = (name: string) =>
    request(server).get(
      `/api/shipshape/entities/component/default/${name}/slos`,
    );

  /** The history each service really has: backfilled phases up to T0, live from steeredAt. */
  function intervals(service: string) {
    const phases = plan[service];
    const out = phases.map((p, i) => ({
      from: p.from,
      to: i + 1 < phases.length ? phases[i + 1].from : T0,
      ratio: p.ratio,
    }));
    out.push({
      from: steeredAt,
      to: Infinity,
      ratio: phases[phases.length - 1].ratio,
    });
    return out;
  }

  function checkAgainstHand(slo: any, service: string) {
    const t = Date.parse(slo.asOf) / 1000;
    const iv = intervals(service);
    const budget = 0.001;
    const close = (got: number, want: number) =>
      expect(Math.abs(got - want)).toBeLessThanOrEqual(
        Math.max(0.015 * Math.abs(want), 1e-6),
      );
    const r28 = expectedRatio(iv, t, 28 * DAY);
    close(1 - slo.sli, r28);
    close(1 - slo.errorBudgetRemaining, r28 / budget);
    const windows: Record<string, number> = {
      '5m': 300,
      '1h': 3600,
      '6h': 6 * 3600,
      '3d': 3 * DAY,
    };
    for (const [w, sec] of Object.entries(windows)) {
      close(slo.burnRates[w], expectedRatio(iv, t, sec) / budget);
    }
    expect(slo.history).toHaveLength(28);
    const last = slo.history[27].remaining;
    expect(Math.abs(last - slo.errorBudgetRemaining)).toBeLessThan(0.03);
    for (let i = 1; i < 28; i++) {
      expect(slo.history[i].remaining).toBeLessThanOrEqual(
        slo.history[i - 1].remaining + 1e-9,
      );
    }
    return { r28 };
  }

  it('computes the healthy service by hand: burn 0.2 everywhere, 80 % budget left', async () => {
    const res = await get('healthy');
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('ok');
    const [slo] = res.body.slos;
    expect(slo).toMatchObject({
      name: 'availability',
      objective: 0.999,
      window: '28d',
      state: 'ok',
    });
    checkAgainstHand(slo, HEALTHY);
    expect(slo.errorBudgetRemaining).toBeCloseTo(0.8, 2);
    expect(slo.alerts).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain('s3cret');
  });

  it('computes the slow burner (4x for 2 days) by hand, from the inline form and the OpenSLO file', async () => {
    const res = await get('slow');
    expect(res.status).toBe(200);
    expect(res.body.slos.map((s: any) => s.name)).toEqual([
      'availability',
      'strict',
      'loose',
    ]);
    const [inline, strict, loose] = res.body.slos;
    checkAgainstHand(inline, SLOW);
    checkAgainstHand(strict, SLOW);
    expect(inline.burnRates['1h']).toBeCloseTo(4, 1);
    expect(inline.errorBudgetRemaining).toBeGreaterThan(0.2);
    expect(inline.errorBudgetRemaining).toBeLessThan(0.3);
    // the 99 % objective has 10x the budget
    expect(loose.burnRates['1h']).toBeCloseTo(inline.burnRates['1h'] / 10, 2);
    expect(res.body.errors).toEqual([
      './slo.yaml: document 3: spec.objectives[0].target: 1 is 100% or above; an objective must leave an error budget (below 100%)',
    ]);
  });

  it('computes the fast burner (20x for 3 hours) by hand, near-empty budget, and its alerts fire', async () => {
    // a real silence in the stack's Alertmanager for this run's fast burner (10 minutes)
    const silence = await fetch(`${stack.alertmanager.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'service', value: FAST, isRegex: false, isEqual: true },
          {
            name: 'alertname',
            value: 'ShipshapeHighErrorRate',
            isRegex: false,
            isEqual: true,
          },
        ],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 600_000).toISOString(),
        createdBy: 'slo.stack.test',
        comment: 'SLO test: known fast burner',
      }),
    });
    expect(silence.ok).toBe(true);
    const { silenceID } = (await silence.json()) as { silenceID: string };
    const deadline = Date.now() + 60_000;
    let res;
    // the stack's ShipshapeHighErrorRate (14.4x over 15 s) fires within seconds of live data
    for (;;) {
      res = await request(server).get(
        '/api/shipshape/entities/component/default/fast/slos',
      );
      if (
        res.body.alerts?.some(
          (a: any) =>
            a.name === 'ShipshapeHighErrorRate' && a.state === 'firing',
        )
      )
        break;
      if (Date.now() > deadline) break;
      await new Promise(r => setTimeout(r, 16_000));
    }
    const [slo] = res.body.slos;
    checkAgainstHand(slo, FAST);
    expect(slo.burnRates['5m']).toBeCloseTo(20, 0);
    expect(slo.errorBudgetRemaining).toBeGreaterThan(0.05);
    expect(slo.errorBudgetRemaining).toBeLessThan(0.2);
    const names = res.body.alerts.map((a: any) => `${a.name}/${a.state}`);
    expect(names).toContain('ShipshapeHighErrorRate/firing');
    // Roadie's prometheus.io/alert brings in alerts by name
    expect(names).toContain('ShipshapeStackWatchdog/firing');
    const own = res.body.alerts.find(
      (a: any) => a.name === 'ShipshapeHighErrorRate',
    );
    expect(own).toMatchObject({
      severity: 'critical',
      labels: { service: FAST },
    });
    expect(own.silencedBy).toEqual([silenceID]);
    expect(res.body.silences).toEqual([
      expect.objectContaining({
        id: silenceID,
        comment: 'SLO test: known fast burner',
      }),
    ]);
    await fetch(`${stack.alertmanager.url}/api/v2/silence/${silenceID}`, {
      method: 'DELETE',
    });
    expect(Date.parse(own.activeAt)).toBeLessThanOrEqual(Date.now());
  });

  it('draws the SLO tab charts: budget left over the window, burn per alert window with its threshold, 2 batched range queries, bounded points', async () => {
    const charts = (name: string, query = '') =>
      request(server).get(
        `/api/shipshape/entities/component/default/${name}/slos/charts${query}`,
      );
    const before = sent();
    const res = await charts('fast', '?points=60');
    expect(res.status).toBe(200);
    expect(sent() - before).toBe(2);
    const [chart] = res.body.slos;
    expect(chart).toMatchObject({
      name: 'availability',
      window: '28d',
      state: 'ok',
    });
    expect(chart.budget.points.length).toBeLessThanOrEqual(60);
    // 28-day window: the workbook's factors times 28/30 (rules.ts)
    expect(
      chart.burn.windows.map((w: any) => [w.window, w.severity, w.threshold]),
    ).toEqual([
      ['1h', 'page', 13.44],
      ['6h', 'page', 5.6],
      ['1d', 'ticket', 2.8],
      ['3d', 'ticket', 0.9333333333],
    ]);
    const lastOf = (points: any[]) =>
      points.filter(p => p.value !== null).at(-1).value as number;
    for (const w of chart.burn.windows) {
      expect(w.points.length).toBeLessThanOrEqual(60);
    }
    // the fast burner has failed 2 % of requests (20x its 0.1 % budget) for the last 3 hours
    const oneHour = chart.burn.windows[0].points;
    expect(Math.abs(lastOf(oneHour) - 20)).toBeLessThan(2);
    // before it, 0.8x: the 1h burn 2 days ago
    expect(Math.abs(oneHour[oneHour.length - 40].value - 0.8)).toBeLessThan(
      0.1,
    );
    // the budget left falls over the window and ends where the card's number is
    const card = (await get('fast')).body.slos[0];
    const budget = chart.budget.points.filter((p: any) => p.value !== null);
    expect(budget.length).toBeGreaterThan(50);
    for (let i = 1; i < budget.length; i++) {
      expect(budget[i].value).toBeLessThanOrEqual(budget[i - 1].value + 1e-9);
    }
    expect(Math.abs(lastOf(budget) - card.errorBudgetRemaining)).toBeLessThan(
      0.05,
    );

    const none = await charts('no-slo');
    expect(none.body).toMatchObject({ declared: false, slos: [] });
    const down = await charts('down');
    expect(down.body.slos[0]).toMatchObject({ state: 'error' });
    const bad = await charts('fast', '?points=5');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/points/);
  });

  it('sends 2 queries per SLO and 1 for alerts per load, and caches them', async () => {
    const before = sent();
    await new Promise(r => setTimeout(r, 15_500)); // let the cache expire
    const t0 = Date.now();
    const res = await get('slow');
    const ms = Date.now() - t0;
    expect(res.body.slos).toHaveLength(3);
    const queries = sent() - before;
    // 3 SLOs x (1 instant + 1 range) + 1 for alerts, less the identical queries shared:
    // 'strict' and 'loose' have the same SLI (only their objectives differ), so 2x2 + 1
    expect(queries).toBe(5);
    const again = sent();
    await get('slow');
    expect(sent()).toBe(again);
    // eslint-disable-next-line no-console
    console.log(`SLO endpoint, 3 SLOs: ${queries} queries, ${ms} ms uncached`);
  });

  it('answers with the error state, quickly, when the Prometheus instance is unreachable', async () => {
    const t0 = Date.now();
    const res = await get('down');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('error');
    expect(res.body.slos[0]).toMatchObject({ state: 'error', sli: null });
    expect(res.body.slos[0].error).toMatch(/^Prometheus "down" is unreachable/);
  });

  it('serves the last good answer marked stale when Prometheus stops, and never hangs', async () => {
    const ok = await get('flaky');
    expect(ok.body.state).toBe('ok');
    await new Promise(r => setTimeout(r, 15_500)); // past the cache
    proxy.mode = 'hang';
    const t0 = Date.now();
    const stale = await get('flaky');
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(stale.body.state).toBe('stale');
    expect(stale.body.slos[0].state).toBe('stale');
    expect(stale.body.slos[0].error).toMatch(/did not answer within 5000 ms/);
    expect(stale.body.slos[0].errorBudgetRemaining).toBe(
      ok.body.slos[0].errorBudgetRemaining,
    );
  });

  it('lists the SLOs burning fastest across the catalog, with per-entity errors', async () => {
    const res = await request(server).get('/api/shipshape/slos/burning');
    expect(res.status).toBe(200);
    const rows = res.body.rows.map((r: any) => `${r.entityRef}/${r.slo}`);
    expect(rows[0]).toBe('component:default/fast/availability');
    expect(rows.slice(1, 3).sort()).toEqual([
      'component:default/slow/availability',
      'component:default/slow/strict',
    ]);
    expect(rows).not.toContain(expect.stringMatching(/no-slo/));
    const fast = res.body.rows[0];
    expect(fast.burnRates['1h']).toBeGreaterThan(19);
    expect(fast.errorBudgetRemaining).toBeLessThan(0.2);
    const down = res.body.rows.find(
      (r: any) => r.entityRef === 'component:default/down',
    );
    expect(down).toMatchObject({ state: 'error', errorBudgetRemaining: null });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        {
          entityRef: 'component:default/elsewhere',
          error:
            'Unknown Prometheus instance "nowhere"; configured: local, down, flaky',
        },
        expect.objectContaining({ entityRef: 'component:default/unparsable' }),
      ]),
    );
    expect(res.body).toMatchObject({ truncated: false });
    expect(
      (await request(server).get('/api/shipshape/slos/burning?limit=0')).status,
    ).toBe(400);
  });

  it('refuses an unknown instance, and reports a file that does not parse', async () => {
    const res = await get('elsewhere');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'Unknown Prometheus instance "nowhere"; configured: local, down, flaky',
    );
    const bad = await get('unparsable');
    expect(bad.status).toBe(200);
    expect(bad.body.declared).toBe(true);
    expect(bad.body.slos).toEqual([]);
    expect(bad.body.errors[0]).toMatch(
      /^\.\/bad\.yaml: document 1: is not valid YAML at line \d+, column \d+/,
    );
    const none = await get('no-slo');
    expect(none.body).toMatchObject({ declared: false, slos: [], errors: [] });
    expect((await get('missing')).status).toBe(404);
  });
});
