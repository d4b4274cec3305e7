export { RolloutStatusCard } from './RolloutStatusCard';
export type { RolloutStatusCardProps } from './RolloutStatusCard';
export { RolloutTab } from './RolloutTab';
