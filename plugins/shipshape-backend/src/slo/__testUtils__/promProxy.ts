import http from 'http';
import net from 'net';

/**
 * A proxy in front of the real Prometheus (or Alertmanager) that counts the requests the plugin
 * sends through it, and can pass them, hang (never answer), stall (headers and part of the body,
 * then nothing) or cut a gap out of range queries' answers (`gap`: the samples of every series
 * between these times, in seconds, dropped as Prometheus leaves out steps without data).
 */
export class PromProxy {
  mode: 'pass' | 'hang' | 'stall' = 'pass';
  gap?: { from: number; to: number };
  sent = 0;
  /** Path and query of each request, in order. */
  paths: string[] = [];
  constructor(private readonly upstream: string) {}
  server = http.createServer((req, res) => {
    this.sent++;
    this.paths.push(req.url ?? '');
    if (this.mode === 'hang') return; // never answers
    if (this.mode === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"matrix","result":[');
      return; // the rest never comes
    }
    fetch(`${this.upstream}${req.url}`).then(
      async r => {
        let body = Buffer.from(await r.arrayBuffer());
        const gap = this.gap;
        if (gap && req.url?.startsWith('/api/v1/query_range') && r.ok) {
          const json = JSON.parse(body.toString());
          for (const s of json.data.result) {
            s.values = s.values.filter(
              ([t]: [number]) => t < gap.from || t > gap.to,
            );
          }
          body = Buffer.from(JSON.stringify(json));
        }
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(body);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  sockets = new Set<net.Socket>();
  port = 0;
  async start() {
    this.server.on('connection', s => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>(r => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(r => this.server.close(() => r()));
  }
}
