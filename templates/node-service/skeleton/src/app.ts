/** HTTP entry point: liveness, readiness and metrics endpoints on plain node:http. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Settings } from './config.js';
{%- if values.hasDatabase %}
import { Database } from './db.js';
{%- endif %}
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type HttpMetrics } from './metrics.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Not counted in the HTTP metrics: probes and scrapes would inflate the SLIs. */
const UNCOUNTED = new Set(['/health', '/ready', '/metrics']);

export interface App {
  server: Server;
  metrics: HttpMetrics;
  log: Logger;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export function createApp(settings: Settings): App {
  const log = createLogger('app', settings.serviceName, settings.logLevel);
  const httpLog = createLogger('app.http', settings.serviceName, settings.logLevel);
  const metrics = createMetrics(settings.latencyThresholdSeconds);
{%- if values.hasDatabase %}
  const database = new Database(settings.databaseUrl);
{%- endif %}

  // route templates → handlers; the template (not the raw path) labels the metrics
  const routes = new Map<string, Handler>([
    [
      'GET /health',
      // liveness: the process answers. Never check dependencies here, or a database
      // outage restarts every pod.
      (_req, res) => json(res, 200, { status: 'ok' }),
    ],
    [
      'GET /ready',
      async (_req, res) => {
{%- if values.hasDatabase %}
        const error = await database.check();
        if (error) {
          log.warn('not ready', { check: 'database', error });
          json(res, 503, { status: 'unavailable', checks: { database: error } });
          return;
        }
        json(res, 200, { status: 'ready', checks: { database: 'ok' } });
{%- else %}
        json(res, 200, { status: 'ready', checks: {} });
{%- endif %}
      },
    ],
    [
      'GET /metrics',
      async (_req, res) => {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      },
    ],
    [
      'GET /',
      (_req, res) =>
        json(res, 200, { service: settings.serviceName, version: settings.version, environment: settings.environment }),
    ],
  ]);

  const server = createServer((req, res) => {
    const start = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const handler = routes.get(`${method} ${path}`);
    const route = handler ? path : 'unmatched';
    if (!UNCOUNTED.has(path)) {
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        metrics.requests.inc({ method, route, code: String(res.statusCode) });
        metrics.duration.observe({ method, route }, seconds);
        httpLog.info('request', {
          method,
          route,
          path,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        });
      });
    }
    if (!handler) {
      json(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      log.error('request failed', { route, error });
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than the load balancer's idle timeout

  return {
    server,
    metrics,
    log,
    async close() {
      await new Promise<void>(resolve => server.close(() => resolve()));
{%- if values.hasDatabase %}
      await database.close();
{%- endif %}
    },
  };
}
