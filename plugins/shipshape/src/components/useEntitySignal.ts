import { useSignal } from '@backstage/plugin-signals-react';
import {
  ShipshapeSignal,
  shipshapeEntityChannel,
} from '@shipshape/plugin-shipshape-common';
import { useEffect, useRef } from 'react';

/** A card's poll interval while signals push its changes: a slow fallback only. */
export const SIGNALLED_POLL_MS = 60_000;

/**
 * Calls `onSignal` for each signal on the entity's channel (a backup's or drill's step or end,
 * a deploy's progress, a new grade: docs/cards.md, "Live updates"); the card re-reads through
 * the API, the signal itself says only what changed. `live` is false in an app without the
 * signals plugin: the card then keeps polling at its usual interval.
 */
export function useEntitySignal(
  entityRef: string,
  onSignal: (signal: ShipshapeSignal) => void,
): { live: boolean } {
  const { lastSignal, isSignalsAvailable } = useSignal<ShipshapeSignal>(
    shipshapeEntityChannel(entityRef),
  );
  const onSignalRef = useRef(onSignal);
  onSignalRef.current = onSignal;
  useEffect(() => {
    if (lastSignal) onSignalRef.current(lastSignal);
  }, [lastSignal]);
  return { live: isSignalsAvailable };
}
