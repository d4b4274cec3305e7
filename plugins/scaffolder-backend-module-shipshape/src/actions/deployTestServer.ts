import http from 'http';
import { AddressInfo } from 'net';

/**
 * A stand-in for the Shipshape backend's operations API at the edge of the action unit
 * tests (the real backend is exercised by plugins/shipshape-backend's tests against the
 * local cluster): records requests and serves an operation whose log grows over two reads.
 */
export async function startFakeShipshape(options: {
  finalStatus?: string;
  postStatus?: number;
  postError?: { name: string; message: string };
}) {
  const requests: Array<{
    method: string;
    url: string;
    auth?: string;
    body?: any;
  }> = [];
  const lines = [
    { seq: 1, level: 'info', message: 'web: app a:1 -> a:2 (revision 1)' },
    { seq: 2, level: 'info', message: 'web: 1 of 2 new replicas updated' },
    { seq: 3, level: 'warn', message: 'Finished: done' },
  ];
  let logReads = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', c => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        body,
      });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const url = new URL(req.url!, 'http://x');
      const argo = /\/(pause|promote|abort|retry)$/.exec(url.pathname);
      if (req.method === 'POST') {
        if (options.postError) {
          send(options.postStatus ?? 400, {
            error: options.postError,
            response: { statusCode: options.postStatus ?? 400 },
          });
        } else if (argo) {
          // Argo Rollouts actions answer once applied (or, dry run, what they would act on)
          send(200, {
            action: argo[1],
            dryRun: body.dryRun === true,
            environment: body.environment,
            cluster: 'local',
            namespace: 'staging',
            rollouts: ['web'],
          });
        } else if (body.dryRun) {
          send(200, {
            dryRun: true,
            environment: body.environment,
            namespace: 'staging',
            changes: [
              {
                name: 'web',
                fromImage: 'a:1',
                toImage: 'a:2',
                fromRevision: 1,
                targetRevision: body.revision,
              },
            ],
          });
        } else {
          send(202, { id: 'op-1', status: 'running' });
        }
      } else if (url.pathname.endsWith('/log')) {
        logReads++;
        const after = Number(url.searchParams.get('after'));
        const visible = lines
          .slice(0, logReads === 1 ? 2 : 3)
          .filter(l => l.seq > after);
        send(200, {
          done: logReads > 1,
          lines: visible,
          next: visible.length ? visible[visible.length - 1].seq : after,
          status: logReads > 1 ? options.finalStatus ?? 'succeeded' : 'running',
        });
      } else {
        send(200, {
          id: 'op-1',
          status: options.finalStatus ?? 'succeeded',
          outcomeReason: 'Rolled out web 1 -> 2',
          result: {
            changes: [{ name: 'web', fromRevision: 1, toRevision: 2 }],
          },
          log: [],
        });
      }
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    requests,
    discovery: {
      getBaseUrl: async (pluginId: string) =>
        `http://127.0.0.1:${port}/api/${pluginId}`,
      getExternalBaseUrl: async (pluginId: string) =>
        `http://127.0.0.1:${port}/api/${pluginId}`,
    },
    close: () => new Promise(r => server.close(r)),
  };
}

/** Runs `fn` with a fresh stand-in, closed afterwards whatever `fn` does. */
export async function withFakeShipshape(
  options: Parameters<typeof startFakeShipshape>[0],
  fn: (fake: Awaited<ReturnType<typeof startFakeShipshape>>) => Promise<void>,
) {
  const fake = await startFakeShipshape(options);
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}
