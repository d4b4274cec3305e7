/**
 * Measures the Shipshape policy's cost in the real catalog: time to ingest a generated catalog
 * of N components (default 10,000) with and without catalog-backend-module-shipshape, and the
 * latency of GET /api/shipshape/ownership/summary on it. Not part of the normal test run.
 *
 *   cd plugins/shipshape-backend && BENCH_N=10000 CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/ownership.bench.ts' --testTimeout 1800000
 *
 * Prints one JSON line with the figures (see docs/ownership.md for the last run).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleShipshape from '@shipshape/plugin-catalog-backend-module-shipshape';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { ShipshapePolicyProcessor } from '../plugins/catalog-backend-module-shipshape/src/ShipshapePolicyProcessor';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';

const N = Number(process.env.BENCH_N ?? 10_000);
const GROUPS = 50;
const SYSTEMS = 20;
const AUTH = mockCredentials.user.header('user:default/bench');

function writeCatalog(dir: string) {
  const docs: object[] = [];
  for (let g = 0; g < GROUPS; g++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: `team-${g}` },
      spec: {
        type: 'team',
        children: [],
        profile: { email: `team-${g}@example.com` },
      },
    });
  }
  for (let s = 0; s < SYSTEMS; s++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: {
        name: `system-${s}`,
        annotations: { 'shipshape.dev/cost-center': `CC-${2000 + s}` },
      },
      spec: { owner: `group:default/team-${s % GROUPS}` },
    });
  }
  for (let i = 0; i < N; i++) {
    const annotations: Record<string, string> = {
      'shipshape.dev/tier': i % 10 === 0 ? 'gold' : 'standard',
    };
    if (i % 3 === 0)
      annotations['shipshape.dev/cost-center'] = `CC-${3000 + (i % 100)}`;
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: `svc-${i}`, annotations },
      spec: {
        type: 'service',
        lifecycle: 'production',
        // 1 in 20 owned by a group that does not exist.
        owner:
          i % 20 === 0
            ? 'group:default/ghost-team'
            : `group:default/team-${i % GROUPS}`,
        system: `system-${i % SYSTEMS}`,
      },
    });
  }
  const file = path.join(dir, 'catalog.yaml');
  fs.writeFileSync(file, docs.map(d => YAML.stringify(d)).join('---\n'));
  return file;
}

async function ingest(file: string, withModule: boolean) {
  const started = Date.now();
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      ...(withModule ? [catalogModuleShipshape, shipshapePlugin] : []),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: [
              { allow: ['Component', 'System', 'Group', 'User', 'Location'] },
            ],
            locations: [{ type: 'file', target: file }],
          },
        },
      }),
    ],
  });
  for (;;) {
    const res = await request(backend.server)
      .get('/api/catalog/entities/by-query?filter=kind=component&limit=1')
      .set('Authorization', AUTH);
    if (res.body.totalItems >= N) break;
    await new Promise(r => setTimeout(r, 500));
  }
  return { backend, seconds: (Date.now() - started) / 1000 };
}

describe('ownership bench', () => {
  it(`checks ${N} components in-process (the processor's own cost)`, async () => {
    const docs = YAML.parseAllDocuments(
      fs.readFileSync(
        writeCatalog(
          fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-')),
        ),
        'utf8',
      ),
    ).map(d => d.toJS());
    const byRef = new Map(
      docs.map(d => [`${d.kind.toLowerCase()}:default/${d.metadata.name}`, d]),
    );
    let lookups = 0;
    const processor = ShipshapePolicyProcessor.create({
      policy: parseShipshapePolicy(undefined),
      // The edge: a catalog answering from memory after a 2 ms "request".
      catalog: {
        async getEntityByRef(ref: string) {
          lookups += 1;
          await new Promise(r => setTimeout(r, 2));
          return byRef.get(ref);
        },
      } as any,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
    });
    const components = docs.filter(d => d.kind === 'Component');
    const location = { type: 'file', target: 'bench' };
    const t = process.hrtime.bigint();
    let errors = 0;
    const emit = () => {
      errors += 1;
    };
    for (const entity of components) {
      await processor.postProcessEntity(entity, location, emit);
    }
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    // eslint-disable-next-line no-console
    console.log(
      `BENCH-PROCESSOR ${JSON.stringify({
        components: components.length,
        totalMs: Math.round(ms),
        perEntityUs: Math.round((ms * 1000) / components.length),
        catalogLookups: lookups,
        errors,
      })}`,
    );
    expect(errors).toBe(0); // warn mode: nothing is a processing error
  });

  const describeIngest = process.env.BENCH_SKIP_INGEST
    ? describe.skip
    : describe;
  describeIngest('in the real catalog', () => {
    it(`ingests ${N} components with and without the policy module`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
      const file = writeCatalog(dir);

      const without = await ingest(file, false);
      await without.backend.stop();
      const withPolicy = await ingest(file, true);

      const latencies: number[] = [];
      let body: any;
      for (let i = 0; i < 5; i++) {
        const t = Date.now();
        const res = await request(withPolicy.backend.server)
          .get('/api/shipshape/ownership/summary?limit=100')
          .set('Authorization', AUTH);
        latencies.push(Date.now() - t);
        expect(res.status).toBe(200);
        body = res.body;
      }
      await withPolicy.backend.stop();
      latencies.sort((a, b) => a - b);
      const figures = {
        components: N,
        ingestSecondsWithout: without.seconds,
        ingestSecondsWith: withPolicy.seconds,
        ratio: Math.round((withPolicy.seconds / without.seconds) * 100) / 100,
        summaryMs: { first: latencies, median: latencies[2] },
        summaryTotals: body.totals,
      };
      // eslint-disable-next-line no-console
      console.log(`BENCH ${JSON.stringify(figures)}`);
      expect(body.totals.entities).toBe(N + SYSTEMS);
    });
  });
});
