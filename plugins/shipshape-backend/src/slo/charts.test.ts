import {
  parseInlineSlo,
  slosFromInline,
} from '@shipshape/plugin-shipshape-common';
import { chartStep, sloChart } from './charts';
import { CachedHttpClient } from './prometheus';

// Gaps in Prometheus' answer: the HTTP answer is the edge stubbed here (the real Prometheus
// is in slo.stack.test.ts); what the chart makes of a missing step is the unit under test.
const parsed = parseInlineSlo('shipshape.dev/slo', 'availability=99.9%');
if (!parsed.ok) throw new Error(parsed.error);
const [slo] = slosFromInline(parsed.value, 'api', 'inline');
const instance = {
  name: 'p',
  url: 'http://prom',
  publicUrl: 'http://prom',
  headers: {},
};

describe('sloChart', () => {
  it('keeps a step without data as a gap (null), never a zero, and counts on after it', async () => {
    const now = 1_780_000_000_000;
    const points = 10;
    const step = chartStep(28 * 86400, points); // 2.8 days
    const queries: string[] = [];
    const fetch = jest.fn(async (url: string) => {
      const u = new URL(url);
      queries.push(u.searchParams.get('query')!);
      const start = Number(u.searchParams.get('start'));
      const s = Number(u.searchParams.get('step'));
      const at = (i: number) => start + i * s;
      const budget = u.searchParams.get('query')!.includes('increase');
      // the budget query: 100 requests and 1 error per step, nothing at steps 3 and 4;
      // the burn query: the 1h ratio 0.002 (2x), NaN (no traffic) at step 2
      const result = budget
        ? [
            {
              metric: { series: 'errors' },
              values: [0, 1, 2, 5, 6, 7, 8, 9].map(i => [at(i), '1']),
            },
            {
              metric: { series: 'total' },
              values: [0, 1, 2, 5, 6, 7, 8, 9].map(i => [at(i), '100']),
            },
          ]
        : [
            {
              metric: { series: '1h' },
              values: [0, 1, 2, 3].map(i => [at(i), i === 2 ? 'NaN' : '0.002']),
            },
          ];
      return new Response(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    });
    const http = new CachedHttpClient({
      timeoutMs: 1000,
      cacheTtlMs: 0,
      staleForMs: 0,
      fetch: fetch as unknown as typeof globalThis.fetch,
    });
    const chart = await sloChart(http, slo, instance, now, points);
    expect(queries).toHaveLength(2); // one per chart, every series in it
    expect(chart.budget.step).toBe(step);
    const left = chart.budget.points.map(p => p.value);
    expect(left).toHaveLength(points);
    // 8 steps of 100 requests: the budget is 0.001 x 800 = 0.8 errors; each error spends 1.25
    const near = (v: number) => expect.closeTo(v, 9);
    expect(left.slice(0, 6)).toEqual([
      near(1 - 1 / 0.8),
      near(1 - 2 / 0.8),
      near(1 - 3 / 0.8),
      null,
      null,
      near(1 - 4 / 0.8),
    ]);
    const oneHour = chart.burn.windows.find(w => w.window === '1h')!;
    expect(oneHour.threshold).toBe(13.44);
    expect(oneHour.points.slice(0, 4).map(p => p.value)).toEqual([
      expect.closeTo(2, 9),
      expect.closeTo(2, 9),
      null,
      expect.closeTo(2, 9),
    ]);
    // a window Prometheus said nothing about: all gaps
    expect(
      chart.burn.windows
        .find(w => w.window === '3d')!
        .points.every(p => p.value === null),
    ).toBe(true);
  });

  it('draws a cached answer of an earlier time bucket on its own timestamps', async () => {
    const now = 1_780_000_004_000; // 4 s into a 15 s bucket
    const fetch = jest.fn(async (url: string) => {
      const u = new URL(url);
      const start = Number(u.searchParams.get('start'));
      const s = Number(u.searchParams.get('step'));
      const ts = Array.from({ length: 10 }, (_, i) => start + i * s);
      const result = u.searchParams.get('query')!.includes('increase')
        ? [
            { metric: { series: 'errors' }, values: ts.map(t => [t, '1']) },
            { metric: { series: 'total' }, values: ts.map(t => [t, '100']) },
          ]
        : [{ metric: { series: '1h' }, values: ts.map(t => [t, '0.002']) }];
      return new Response(
        JSON.stringify({ status: 'success', data: { result } }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    });
    const http = new CachedHttpClient({
      timeoutMs: 1000,
      cacheTtlMs: 15_000,
      staleForMs: 0,
      fetch: fetch as unknown as typeof globalThis.fetch,
    });
    const spy = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const first = await sloChart(http, slo, instance, now, 10);
      spy.mockReturnValue(now + 12_000); // the next bucket, within the TTL
      const second = await sloChart(http, slo, instance, now + 12_000, 10);
      expect(fetch).toHaveBeenCalledTimes(2); // the second from the cache
      expect(second).toEqual(first);
      expect(second.budget.points.every(p => p.value !== null)).toBe(true);
      expect(second.budget.points[9].value).toBeCloseTo(1 - 10 / 1, 9);
    } finally {
      spy.mockRestore();
    }
  });
});
