import { Text } from '@backstage/ui';
import { absoluteTime } from './time';

/**
 * How a card on signals keeps up, in a discreet line: "live" (signals push its changes) or
 * "polling every N s" (no signals plugin, socket down), after "updated …" where the card
 * keeps that time (docs/cards.md, "Live updates").
 */
export function SignalFreshness(props: {
  live: boolean;
  pollMs: number;
  updatedAt?: Date;
  testId: string;
}) {
  const { live, pollMs, updatedAt } = props;
  let how = '';
  if (live) how = 'live';
  else if (pollMs > 0) how = `polling every ${Math.round(pollMs / 1000)} s`;
  const parts = [updatedAt && `updated ${absoluteTime(updatedAt)}`, how];
  const text = parts.filter(Boolean).join(' · ');
  if (!text) return null;
  return (
    <Text as="p" variant="body-x-small" data-testid={props.testId}>
      {text}
    </Text>
  );
}
