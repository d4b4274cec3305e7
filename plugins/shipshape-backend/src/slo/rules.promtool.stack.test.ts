/**
 * The generated SLO rules loaded into a real Prometheus server (Debian's `prometheus`, started
 * here on a free port with its own data directory): 29 days of history written with promtool
 * for a healthy, a slow-burning and a fast-burning service, the present scraped live from the
 * stack's exporter. The burn-rate alerts that fire must be exactly those the workbook
 * predicts, and the SLO endpoint must attach them to their SLO.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  generateServiceSloRules,
  slosFromInline,
} from '@shipshape/plugin-shipshape-common';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { stringify } from 'yaml';
import {
  backfill,
  burnScenario,
  readLocalStack,
  steer,
} from '@internal/shipshape-test-utils';
import { component, freePort } from './__testUtils__/fixtures';
import { shipshapePlugin } from '../plugin';

jest.setTimeout(180_000);

const stack = readLocalStack();
describe('generated SLO rules on a real Prometheus server', () => {
  const { HEALTHY, SLOW, FAST, T0, start, plan } = burnScenario('slo-r');
  let dir: string;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let log = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-prometheus-'));
    const groups = Object.keys(plan).flatMap(
      service =>
        generateServiceSloRules(
          slosFromInline(
            { availability: 0.999, window: '28d' },
            service,
            'test',
          ),
          { service },
        ).groups,
    );
    fs.writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups }));
    const exporter = new URL(stack.exporter.url);
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [path.join(dir, 'rules.yml')],
        scrape_configs: [
          {
            job_name: 'shipshape-exporter',
            static_configs: [{ targets: [exporter.host] }],
            metric_relabel_configs: [
              // only this test's services: the private server stays small
              {
                source_labels: ['service'],
                regex: [HEALTHY, SLOW, FAST].join('|'),
                action: 'keep',
              },
            ],
          },
        ],
      }),
    );
    backfill(
      path.join(dir, 'data'),
      Object.entries(plan).map(([service, phases]) => ({
        service,
        rps: 10,
        phases,
      })),
      start,
      T0,
    );
    await steer(
      Object.entries(plan).map(([service, phases]) => ({
        service,
        rps: 10,
        errorRatio: phases[phases.length - 1].ratio,
      })),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--storage.tsdb.retention.time=60d',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stderr!.on('data', d => {
      log = (log + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${promUrl}/-/ready`).then(
        r => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || prom.exitCode !== null) {
        throw new Error(`the private Prometheus did not start:\n${log}`);
      }
      await new Promise(r => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    await steer(
      [HEALTHY, SLOW, FAST].map(service => ({ service, remove: true })),
    ).catch(() => {});
    if (prom && prom.exitCode === null) {
      const exited = new Promise(r => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function firing(): Promise<Record<string, string[]>> {
    const r = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as any;
    const out: Record<string, string[]> = {
      [HEALTHY]: [],
      [SLOW]: [],
      [FAST]: [],
    };
    for (const a of r.data.alerts) {
      if (a.labels.alertname === 'SLOErrorBudgetBurn' && a.state === 'firing') {
        out[a.labels.service].push(
          `${a.labels.severity} ${a.labels.long_window}/${a.labels.short_window}`,
        );
      }
    }
    for (const k of Object.keys(out)) out[k].sort();
    return out;
  }

  it('fires exactly the burn-rate alerts each service earns', async () => {
    // fast: 20x for 3 h after 0.8x -> 1h 20x, 6h 10.4x, 1d 3.2x, 3d 1.6x: every pair fires
    // slow: 4x for 2 d after 0.5x -> 1h/6h 4x (below 13.44 and 5.6), 1d 4x, 3d 2.83x: tickets
    // healthy: 0.2x everywhere: nothing
    const want = {
      [HEALTHY]: [],
      [SLOW]: ['ticket 1d/2h', 'ticket 3d/6h'],
      [FAST]: ['page 1h/5m', 'page 6h/30m', 'ticket 1d/2h', 'ticket 3d/6h'],
    };
    const deadline = Date.now() + 60_000;
    let got = await firing();
    while (
      JSON.stringify(got) !== JSON.stringify(want) &&
      Date.now() < deadline
    ) {
      await new Promise(r => setTimeout(r, 2000));
      got = await firing();
    }
    expect(got).toEqual(want);
    // and they stay so (no flapping) a few evaluations later
    await new Promise(r => setTimeout(r, 5000));
    expect(await firing()).toEqual(want);
  });

  it('attaches the alerts to their SLO in the SLO endpoint', async () => {
    const entities = [FAST, HEALTHY].map(id =>
      component(id, {
        'backstage.io/kubernetes-id': id,
        'shipshape.dev/slo': 'availability=99.9%',
      }),
    );
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              prometheus: { instances: [{ name: 'private', url: promUrl }] },
            },
          },
        }),
      ],
    });
    const fast = await request(backend.server).get(
      `/api/shipshape/entities/component/default/${FAST}/slos`,
    );
    expect(fast.status).toBe(200);
    const [slo] = fast.body.slos;
    expect(
      slo.alerts
        .map((a: any) => `${a.severity} ${a.labels.long_window}`)
        .sort(),
    ).toEqual(['page 1h', 'page 6h', 'ticket 1d', 'ticket 3d']);
    expect(slo.burnRates['1h']).toBeGreaterThan(13.44);
    const healthy = await request(backend.server).get(
      `/api/shipshape/entities/component/default/${HEALTHY}/slos`,
    );
    expect(healthy.body.slos[0].alerts).toEqual([]);
    expect(healthy.body.slos[0].errorBudgetRemaining).toBeCloseTo(0.8, 2);
    await backend.stop();
  });
});
