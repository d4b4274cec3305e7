import { useApiHolder } from '@backstage/core-plugin-api';
import {
  SignalApi,
  signalApiRef,
  useSignal,
} from '@backstage/plugin-signals-react';
import {
  ShipshapeSignal,
  shipshapeEntityChannel,
} from '@shipshape/plugin-shipshape-common';
import { useEffect, useRef, useState } from 'react';

/** A card's poll interval while signals push its changes: a slow fallback only. */
export const SIGNALLED_POLL_MS = 60_000;

/**
 * A card's poll while signals are not live, unless the card says otherwise (the Rollout card
 * polls every 10 s): docs/cards.md, "Live updates".
 */
export const FALLBACK_POLL_MS = 30_000;

/** The interval a card polls at: its own while signals are not live, else the slow fallback. */
export function pollInterval(live: boolean, pollMs: number): number {
  return live && pollMs > 0 ? Math.max(pollMs, SIGNALLED_POLL_MS) : pollMs;
}

/** How often the signals client's websocket is looked at (it has no event for it). */
export const SOCKET_CHECK_MS = 2_000;

/**
 * Whether signals can reach the page now. The signals plugin's API (`SignalApi`, 0.0.26) says
 * nothing of its connection: no state, no event. Its client (`SignalClient` of
 * `@backstage/plugin-signals`) keeps the websocket in a field `ws` (private in its types,
 * null while it reconnects, every 5 s); that field is read here: open is live; null, connecting,
 * closing or closed is not. An API without that field (another implementation) cannot be
 * observed and counts as live.
 */
export function signalsLive(api: SignalApi | undefined): boolean {
  if (!api) return false;
  if (!('ws' in api)) return true;
  const ws = (api as { ws?: { readyState: number } | null }).ws;
  return ws?.readyState === 1; // WebSocket.OPEN
}

/**
 * Calls `onSignal` for each signal on the entity's channel (a backup's or drill's step or end,
 * a deploy's progress, a new grade: docs/cards.md, "Live updates"); the card re-reads through
 * the API, the signal itself says only what changed. `live` is false in an app without the
 * signals plugin and while its websocket is not open (dropped, reconnecting): the card then
 * polls at its usual interval. `onReconnect` is called when the websocket is open after it
 * was not (seen at the next check, within `SOCKET_CHECK_MS`): the signals sent meanwhile were
 * lost, so the card re-reads at once instead of at its next poll. That includes the socket's
 * first opening after the card mounted, since the card's first read came before it: one more
 * read per card on a page load, against a change missed for a whole slow poll.
 *
 * With `pollMs` (> 0) the hook also polls: it calls `onReconnect` (the card's reload) every
 * `pollMs` while signals are not live, every `SIGNALLED_POLL_MS` while they are
 * (`pollInterval`). A card that polls itself (the Rollout card) passes none. `pollMs` is
 * returned for `SignalFreshness`.
 */
export function useEntitySignal(
  entityRef: string,
  onSignal: (signal: ShipshapeSignal) => void,
  onReconnect?: () => void,
  pollMs?: number,
): { live: boolean; pollMs: number } {
  const signals = useApiHolder().get(signalApiRef);
  const { lastSignal } = useSignal<ShipshapeSignal>(
    shipshapeEntityChannel(entityRef),
  );
  const onSignalRef = useRef(onSignal);
  onSignalRef.current = onSignal;
  const onReconnectRef = useRef(onReconnect);
  onReconnectRef.current = onReconnect;
  useEffect(() => {
    if (lastSignal) onSignalRef.current(lastSignal);
  }, [lastSignal]);
  const [live, setLive] = useState(() => signalsLive(signals));
  useEffect(() => {
    if (!signals) return undefined;
    // whether the socket was open at the last check (at mount, the card's first read)
    let was = signalsLive(signals);
    const check = () => {
      const now = signalsLive(signals);
      if (now && !was) onReconnectRef.current?.();
      was = now;
      setLive(now);
    };
    check();
    const id = setInterval(check, SOCKET_CHECK_MS);
    return () => clearInterval(id);
  }, [signals]);
  const isLive = !!signals && live;
  const intervalMs = pollInterval(isLive, pollMs ?? 0);
  useEffect(() => {
    if (intervalMs <= 0) return undefined;
    const id = setInterval(() => onReconnectRef.current?.(), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return { live: isLive, pollMs: pollMs ?? 0 };
}
