import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  UrlReaderService,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { SloFileReader, loadEntitySlos, resolveSloRef } from './source';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-api', annotations },
  spec: {},
});

const slo = `apiVersion: openslo/v1
kind: SLO
metadata: { name: availability }
spec:
  indicator:
    metadata: { name: ok }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Prometheus, spec: { query: 'sum(http_requests_total{service="payments-api",code=~"5.."})' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(http_requests_total{service="payments-api"})' } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ target: 0.995 }]
`;

describe('SLO sources', () => {
  it('resolves slo-ref against url and file locations', () => {
    expect(
      resolveSloRef(
        entity({
          'backstage.io/managed-by-location':
            'url:https://git.example.com/org/payments/blob/main/catalog-info.yaml',
        }),
        './slo.yaml',
      ),
    ).toEqual({
      type: 'url',
      target: 'https://git.example.com/org/payments/blob/main/slo.yaml',
    });
    expect(
      resolveSloRef(
        entity({
          'backstage.io/managed-by-location':
            'file:/srv/repo/catalog-info.yaml',
        }),
        '../slos/a.yaml',
      ),
    ).toEqual({ type: 'file', target: '/srv/slos/a.yaml' });
    expect(() => resolveSloRef(entity({}), './slo.yaml')).toThrow(
      /is relative but the entity has no backstage.io\/managed-by-location annotation/,
    );
  });

  it('reads url locations through the URL reader, and merges inline and file SLOs', async () => {
    const urls: string[] = [];
    const reader = mockServices.urlReader.mock({
      readUrl: async (url: string) => {
        urls.push(url);
        return { buffer: async () => Buffer.from(slo) } as any;
      },
    });
    const defs = await loadEntitySlos(
      entity({
        'backstage.io/kubernetes-id': 'payments-api',
        'shipshape.dev/slo': 'latency-p99=250ms',
        'shipshape.dev/slo-ref': './slo.yaml',
        'backstage.io/managed-by-location':
          'url:https://git.example.com/org/payments/blob/main/catalog-info.yaml',
      }),
      new SloFileReader(reader, 0),
    );
    expect(urls).toEqual([
      'https://git.example.com/org/payments/blob/main/slo.yaml',
    ]);
    expect(defs.errors).toEqual([]);
    expect(defs.slos.map(s => `${s.name} ${s.objective} ${s.window}`)).toEqual([
      'latency 0.99 28d',
      'availability 0.995 30d',
    ]);
  });

  it('reports unreadable files, non-YAML files and name clashes precisely', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-src-'));
    try {
      fs.writeFileSync(path.join(dir, 'slo.yaml'), slo);
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'x');
      const loc = `file:${path.join(dir, 'catalog-info.yaml')}`;
      const reader = mockServices.urlReader.mock();
      /** What loading an entity whose slo-ref (next to its catalog file) is `ref` reports. */
      const errorsOf = async (ref: string, more: Record<string, string> = {}) =>
        (
          await loadEntitySlos(
            entity({
              ...more,
              'shipshape.dev/slo-ref': ref,
              'backstage.io/managed-by-location': loc,
            }),
            new SloFileReader(reader, 0),
          )
        ).errors;
      expect(
        await errorsOf('./slo.yaml', {
          'shipshape.dev/slo': 'availability=99%',
        }),
      ).toEqual([
        './slo.yaml, document 1: metadata.name: SLO "availability" is also declared by shipshape.dev/slo',
      ]);
      expect(await errorsOf('./nope.yaml')).toEqual([
        'shipshape.dev/slo-ref ./nope.yaml: cannot be read: file not found',
      ]);
      expect(await errorsOf('./secret.txt')).toEqual([
        'shipshape.dev/slo-ref ./secret.txt: cannot be read: must name a .yaml or .yml file',
      ]);
      const badInline = await loadEntitySlos(
        entity({ 'shipshape.dev/slo': 'availability=100%' }),
        new SloFileReader(reader, 0),
      );
      expect(badInline.declared).toBe(true);
      expect(badInline.errors[0]).toMatch(
        /^shipshape\.dev\/slo: availability 100% is 100% or above/,
      );
      expect(reader.readUrl).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a URL file for its TTL, then revalidates it with its ETag', async () => {
    let now = 0;
    const sent: Array<{ url: string; etag?: string }> = [];
    let changed = false;
    const reader = mockServices.urlReader.mock({
      readUrl: async (url: string, options?: { etag?: string }) => {
        sent.push({ url, etag: options?.etag });
        if (options?.etag === 'v1' && !changed) {
          throw Object.assign(new Error('not modified'), {
            name: 'NotModifiedError',
          });
        }
        return {
          buffer: async () => Buffer.from(changed ? `${slo}#v2\n` : slo),
          etag: changed ? 'v2' : 'v1',
        } as any;
      },
    });
    const files = new SloFileReader(reader, 300_000, { now: () => now });
    const where = {
      type: 'url' as const,
      target: 'https://git.example.com/slo.yaml',
    };
    expect(await files.read(where)).toBe(slo);
    now = 299_000;
    expect(await files.read(where)).toBe(slo); // within the TTL: not fetched
    expect(sent).toEqual([{ url: where.target, etag: undefined }]);
    now = 301_000;
    expect(await files.read(where)).toBe(slo); // revalidated: 304, kept
    expect(sent[1]).toEqual({ url: where.target, etag: 'v1' });
    now = 700_000;
    changed = true;
    expect(await files.read(where)).toBe(`${slo}#v2\n`); // changed: the new text
    expect(sent).toHaveLength(3);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const reader = mockServices.urlReader.mock({
      readUrl: async () => {
        if (fail) throw new Error('503 from the git host');
        return { buffer: async () => Buffer.from(slo) } as any;
      },
    });
    const files = new SloFileReader(reader, 300_000);
    const where = {
      type: 'url' as const,
      target: 'https://git.example.com/slo.yaml',
    };
    await expect(files.read(where)).rejects.toThrow('503 from the git host');
    fail = false;
    expect(await files.read(where)).toBe(slo);
  });

  it('gives up on a git host that accepts and never answers at the deadline, through the real UrlReader', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer(socket => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume(); // reads the request, never answers
    });
    await new Promise<void>(r => silent.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    let reader: UrlReaderService | undefined;
    const backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: { backend: { reading: { allow: [{ host }] } } },
        }),
        createBackendPlugin({
          pluginId: 'probe',
          register(env) {
            env.registerInit({
              deps: { urlReader: coreServices.urlReader },
              async init({ urlReader }) {
                reader = urlReader;
              },
            });
          },
        }),
      ],
    });
    try {
      const files = new SloFileReader(reader!, 300_000, { timeoutMs: 1_000 });
      const started = Date.now();
      const defs = await loadEntitySlos(
        entity({
          'shipshape.dev/slo-ref': `http://${host}/slo.yaml`,
        }),
        files,
      );
      const took = Date.now() - started;
      expect(defs.errors).toEqual([
        `shipshape.dev/slo-ref http://${host}/slo.yaml: cannot be read: slo-ref file http://${host}/slo.yaml (shipshape.slo.fileTimeoutSeconds) did not answer within 1000 ms`,
      ]);
      expect(took).toBeGreaterThanOrEqual(990);
      expect(took).toBeLessThan(3_000);
      // The fetch was aborted through the reader's signal; Node's fetch (undici) keeps the
      // aborted connection until its own headers timeout, so it is not counted here.
    } finally {
      await backend.stop();
      sockets.forEach(s => s.destroy());
      await new Promise(r => silent.close(r));
    }
  });
});
