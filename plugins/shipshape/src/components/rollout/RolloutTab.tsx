import { RolloutStatusCard } from './RolloutStatusCard';

/** The Rollout tab: the card's content with every pod listed. */
export function RolloutTab() {
  return <RolloutStatusCard pods="all" />;
}
