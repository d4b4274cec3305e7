/**
 * The SLO card's budget history (its compact chart) against the stack's real Prometheus, at
 * several times of day: just after a UTC day boundary, just after 08:00 UTC and now. Each time
 * the card is loaded twice, 12 s apart across a 15 s time bucket, so the second load is served
 * from the client's cache, which keys range queries without their start and end.
 * payments-api's series are the stack's: 28 days of backfilled history and the exporter live.
 */
import { readLocalStack } from '@internal/shipshape-test-utils';
import { SloService } from './service';
import { CachedHttpClient } from './prometheus';
import { SloFileReader } from './source';
import { component } from './__testUtils__/fixtures';

jest.setTimeout(60_000);

const stack = readLocalStack();
const BUDGET = 0.001;
const DAY = 86400;

async function promAt(query: string, time: number): Promise<number> {
  const q = new URLSearchParams({ query, time: String(time) });
  const r = await fetch(`${stack.prometheus.url}/api/v1/query?${q}`);
  const body = (await r.json()) as any;
  return Number(body.data.result[0]?.value[1]);
}

/** The budget left over 28 days at `time`, computed here from the raw counters. */
async function budgetLeftAt(time: number): Promise<number> {
  const errors = await promAt(
    'sum(increase(http_requests_total{service="payments-api",code=~"5.."}[28d]))',
    time,
  );
  const total = await promAt(
    'sum(increase(http_requests_total{service="payments-api"}[28d]))',
    time,
  );
  return 1 - errors / total / BUDGET;
}

describe('SLO budget history on the real Prometheus', () => {
  const entity = component('payments-api', {
    'shipshape.dev/slo': 'availability=99.9%; window=28d',
  });
  afterEach(() => jest.restoreAllMocks());

  const real = Math.floor(Date.now() / 1000);
  const midnight = Math.floor(real / DAY) * DAY;
  const times: [string, number][] = [
    ['5 s after 00:00 UTC', midnight + 5],
    ['5 s after 08:00 UTC', midnight + 8 * 3600 + 5],
    ['now', Math.floor((real - 30) / 15) * 15 + 5],
  ];

  it.each(times.filter(([, t]) => t < real - 20))(
    'at %s: the chart ends at the text, also from the cache in the next time bucket',
    async (_, at) => {
      const http = new CachedHttpClient({
        timeoutMs: 5000,
        cacheTtlMs: 15_000,
        staleForMs: 600_000,
      });
      const slo = SloService.create({
        config: {
          instances: [
            {
              name: 'local',
              url: stack.prometheus.url,
              publicUrl: stack.prometheus.url,
              headers: {},
            },
          ],
          timeoutMs: 5000,
          cacheTtlMs: 15_000,
          fileCacheTtlMs: 0,
          fileTimeoutMs: 5000,
          staleForMs: 600_000,
        },
        files: new SloFileReader(undefined as never, 0),
        http,
      });
      const load = async (seconds: number) => {
        jest.spyOn(Date, 'now').mockReturnValue(seconds * 1000);
        const r = await slo.entityStatus(entity);
        jest.restoreAllMocks();
        expect(r.slos).toHaveLength(1);
        return r.slos[0];
      };
      const first = await load(at);
      const sent = http.sent;
      const second = await load(at + 12); // the next 15 s bucket, within the TTL
      expect(http.sent).toBe(sent); // served from the cache

      const expected = await budgetLeftAt(Math.floor(at / 15) * 15);
      for (const s of [first, second]) {
        expect(s.state).toBe('ok');
        expect(s.history).toHaveLength(28);
        const values = s.history.map(p => p.remaining!);
        expect(Math.abs(values[27] - expected)).toBeLessThan(0.002);
        // it burns down day by day from near full, never flat at 100 %
        expect(values[0]).toBeGreaterThan(values[27]);
        for (let i = 1; i < 28; i++) {
          expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
        }
        // one point per day, the last at the time the numbers are for
        expect(s.history[27].t - s.history[0].t).toBe(27 * DAY);
        // the chart's last point is the card's text
        expect(values[27]).toBeCloseTo(s.errorBudgetRemaining!, 9);
      }
      expect(second.history).toEqual(first.history);
      expect(second.errorBudgetRemaining).toBe(first.errorBudgetRemaining);
    },
  );
});
