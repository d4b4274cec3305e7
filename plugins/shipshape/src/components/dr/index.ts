export { DrReadinessCard } from './DrReadinessCard';
export { DrOverviewPage } from './DrOverviewPage';
