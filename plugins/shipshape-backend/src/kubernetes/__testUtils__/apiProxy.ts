import fs from 'fs';
import http from 'http';
import https from 'https';
import { AddressInfo } from 'net';

/**
 * A plain-HTTP proxy to the stack's API server (https, its CA) that records the requests it
 * forwards and can hold watches: `stallWatches()` answers new watch requests with headers and
 * nothing else (a watch the server keeps open with no news), `expireWatches()` ends those held
 * with the `410 Expired` ERROR event an API server sends when the watch's resourceVersion is
 * too old, and forwards watches again. Paths matching `absent` answer 404, as an API server
 * without that API (e.g. Argo Rollouts' CRD not installed) does.
 */
export async function apiProxy(
  target: { url: string; caFile: string },
  absent?: RegExp,
) {
  const upstream = new URL(target.url);
  const ca = fs.readFileSync(target.caFile);
  const requests: Array<{ url: string; watch: boolean }> = [];
  const held = new Set<http.ServerResponse>();
  /** The watches forwarded now: the server's answer and the client's. */
  const open = new Map<http.ServerResponse, http.IncomingMessage>();
  let stall = false;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://proxy');
    const watch = url.searchParams.get('watch') === 'true';
    requests.push({ url: req.url!, watch });
    if (absent?.test(url.pathname)) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'the server could not find the requested resource',
          reason: 'NotFound',
          code: 404,
        }),
      );
      return;
    }
    if (watch && stall) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const up = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        ca,
      },
      upRes => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
        if (!watch) return;
        open.set(res, upRes);
        res.on('close', () => open.delete(res));
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** Lists (not watches) whose URL passes `match`. */
    lists: (match: (url: string) => boolean) =>
      requests.filter(r => !r.watch && match(decodeURIComponent(r.url))).length,
    watches: () => requests.filter(r => r.watch).length,
    stallWatches() {
      stall = true;
      // the watches open now stay open and get nothing more
      for (const [res, upRes] of open) {
        upRes.unpipe(res);
        upRes.pause();
        held.add(res);
        res.on('close', () => held.delete(res));
      }
      open.clear();
    },
    /** Ends the held watches with 410 Expired; returns how many there were. */
    expireWatches(): number {
      stall = false;
      const n = held.size;
      for (const res of held) {
        // a new line first: a line cut short by the stall is then not glued to the event
        res.end(
          `\n${JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              message: 'too old resource version: 1 (2)',
              reason: 'Expired',
              code: 410,
            },
          })}\n`,
        );
      }
      return n;
    },
    close() {
      held.forEach(r => r.destroy());
      open.forEach((upRes, res) => {
        upRes.destroy();
        res.destroy();
      });
      server.closeAllConnections();
      return new Promise(r => server.close(r));
    },
  };
}
