import { ShipshapeSignal } from '@shipshape/plugin-shipshape-common';
import WebSocket from 'ws';

/** A signals websocket subscribed to one channel, as the browser's signals client is. */
export interface SignalClient {
  /** Every message received on the channel so far. */
  received: ShipshapeSignal[];
  /** Resolves with the first message (received so far or later) that matches, or throws. */
  until(
    match: (s: ShipshapeSignal) => boolean,
    ms?: number,
  ): Promise<ShipshapeSignal>;
  close(): void;
}

/**
 * Connects to the signals backend at `port` (no token: a guest, who gets broadcasts) and
 * subscribes to `channel`. The signals backend hooks the server's upgrade event on its first
 * websocket request and leaves that request unanswered, so the handshake is retried.
 */
export async function signalClient(
  port: number,
  channel: string,
): Promise<SignalClient> {
  const ws = await connect(`ws://127.0.0.1:${port}/api/signals`);
  const received: ShipshapeSignal[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', data => {
    const parsed = JSON.parse(data.toString());
    if (parsed.channel !== channel) return;
    received.push(parsed.message);
    waiters.forEach(w => w());
  });
  ws.send(JSON.stringify({ action: 'subscribe', channel }));
  // the subscription is registered when the server has read it: a ping's pong comes after
  await new Promise<void>(resolve => {
    ws.once('pong', () => resolve());
    ws.ping();
  });
  return {
    received,
    until(match, ms = 60_000) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined = undefined;
        const check = () => {
          const found = received.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching signal on ${channel} within ${ms} ms; got ${JSON.stringify(
                received,
              )}`,
            ),
          );
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => ws.terminate(),
  };
}

async function connect(url: string): Promise<WebSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { handshakeTimeout: 2_000 });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    } catch (e) {
      if (attempt >= 5) throw new Error(`cannot connect to ${url}: ${e}`);
    }
  }
}
