import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { formatEntry, createLogger } from '../src/logger.js';
import { latencyBuckets } from '../src/metrics.js';
import { metricValue, start } from './helpers.js';

describe('${{ values.name }}', () => {
  let app: App;
  let url: string;
  before(async () => ({ app, url } = await start()));
  after(() => app.close());

  it('answers /health', async () => {
    const res = await fetch(`${url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
{% if not values.hasDatabase %}
  it('is ready without dependencies', async () => {
    const res = await fetch(`${url}/ready`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ready');
  });
{% endif %}
  it('names the service', async () => {
    const body = (await (await fetch(`${url}/`)).json()) as { service: string };
    assert.equal(body.service, '${{ values.name }}');
  });

  it('counts requests by route template and code, but not probes and scrapes', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    await (await fetch(`${url}/`)).text();
    await (await fetch(`${url}/no/such/path`)).text();
    await (await fetch(`${url}/health`)).text();
    const afterText = await (await fetch(`${url}/metrics`)).text();
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(afterText, name, labels) - metricValue(before, name, labels);

    assert.equal(delta('http_requests_total', { method: 'GET', route: '/', code: '200' }), 1);
    assert.equal(delta('http_requests_total', { method: 'GET', route: 'unmatched', code: '404' }), 1);
    assert.equal(delta('http_requests_total', { route: '/health' }), 0);
    assert.equal(delta('http_requests_total', { route: '/metrics' }), 0);
    assert.equal(delta('http_request_duration_seconds_count', { method: 'GET', route: '/' }), 1);
  });

  it('has the SLO latency threshold as a histogram bucket', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.ok(text.includes('le="${{ values.latencyLe }}"'), 'threshold bucket missing');
    assert.deepEqual(latencyBuckets(0.3, [0.1, 1]), [0.1, 0.3, 1]);
  });
});

describe('logs', () => {
  it('are one JSON object per line with the extra fields', () => {
    const entry = JSON.parse(formatEntry('info', 'app.http', 'svc', 'request', { route: '/' }));
    assert.equal(entry.message, 'request');
    assert.equal(entry.level, 'info');
    assert.equal(entry.route, '/');
    assert.equal(entry.service, 'svc');
  });

  it('drop entries below the configured level', () => {
    const lines: string[] = [];
    const log = createLogger('t', 'svc', 'warn', line => lines.push(line));
    log.info('quiet');
    log.error('loud', { error: new Error('boom') });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0] ?? '{}').error, { name: 'Error', message: 'boom' });
  });
});
