/**
 * Measures the SLO endpoint against the local stack's Prometheus: queries sent per card
 * load (counted by a proxy in front of Prometheus) and the latency of
 * GET /api/shipshape/entities/component/default/payments-api/slos for the example
 * payments-api, whose OpenSLO file (examples/slo/payments-api.yaml) declares 3 SLOs.
 * Not part of the normal test run:
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/slo.bench.ts' --testTimeout 600000
 *
 * Prints one JSON line with the figures (see docs/slo.md for the last run).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  BURN_RATE_ALERTS,
  generateServiceSloRules,
  parseOpenSlo,
} from '@shipshape/plugin-shipshape-common';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import fs from 'fs';
import http from 'http';
import net from 'net';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const root = path.resolve(__dirname, '..');

function stackPrometheus(): string {
  const file = path.join(root, '.stack/stack.json');
  if (!fs.existsSync(file))
    throw new Error(`${file} is missing: run \`./run stack up\``);
  return JSON.parse(fs.readFileSync(file, 'utf8')).prometheus.url;
}

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

describe('SLO endpoint bench', () => {
  it('measures queries per load and latency for an entity with 3 SLOs', async () => {
    const upstream = stackPrometheus();
    const paths: string[] = [];
    const proxy = http.createServer((req, res) => {
      paths.push(req.url!.split('?')[0]);
      fetch(`${upstream}${req.url}`).then(async r => {
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;

    const docs = YAML.parseAllDocuments(
      fs.readFileSync(path.join(root, 'examples/entities.yaml'), 'utf8'),
    ).map(d => d.toJS());
    const payments = docs.find(d => d.metadata?.name === 'payments-api');
    payments.metadata.namespace = 'default';
    payments.metadata.annotations[
      'backstage.io/managed-by-location'
    ] = `file:${path.join(root, 'examples/entities.yaml')}`;
    const config = (cacheSeconds: number) => ({
      shipshape: {
        prometheus: {
          cacheSeconds,
          instances: [{ name: 'local', url: `http://127.0.0.1:${port}` }],
        },
      },
    });
    const figures: Record<string, unknown> = {};
    for (const [label, cacheSeconds] of [
      ['uncached', 0],
      ['cached', 15],
    ] as const) {
      const backend = await startTestBackend({
        features: [
          shipshapePlugin,
          catalogServiceMock.factory({ entities: [payments] }),
          mockServices.rootConfig.factory({ data: config(cacheSeconds) }),
        ],
      });
      const times: number[] = [];
      const perLoad: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const before = paths.length;
        const t0 = performance.now();
        const res = await request(backend.server)
          .get('/api/shipshape/entities/component/default/payments-api/slos')
          .set('authorization', mockCredentials.user.header());
        times.push(performance.now() - t0);
        perLoad.push(paths.length - before);
        expect(res.status).toBe(200);
        expect(res.body.slos).toHaveLength(3);
        expect(res.body.state).toBe('ok');
      }
      figures[label] = {
        runs: RUNS,
        queriesPerLoad: label === 'uncached' ? perLoad[0] : perLoad.slice(1),
        p50ms: Math.round(pct(times, 50)),
        p95ms: Math.round(pct(times, 95)),
        maxMs: Math.round(Math.max(...times)),
      };
      await backend.stop();
    }
    // rule counts for the same 3 SLOs
    const { slos } = parseOpenSlo(
      fs.readFileSync(
        path.join(root, 'examples/slo/payments-api.yaml'),
        'utf8',
      ),
      'payments-api.yaml',
    );
    const rules = generateServiceSloRules(slos, { service: 'payments-api' });
    const all = rules.groups.flatMap(g => g.rules);
    figures.rules = {
      slos: slos.length,
      recording: all.filter(r => r.record).length,
      alerting: all.filter(r => r.alert).length,
      perSlo: all.length / slos.length,
      alertPairs: BURN_RATE_ALERTS.length,
      yamlBytes: YAML.stringify(rules).length,
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(figures));
    await new Promise<void>(r => proxy.close(() => r()));
  });
});
