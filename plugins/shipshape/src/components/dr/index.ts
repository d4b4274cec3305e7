export { DrReadinessCard } from './DrReadinessCard';
