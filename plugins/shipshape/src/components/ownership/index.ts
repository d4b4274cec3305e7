export { OwnershipCard } from './OwnershipCard';
export { OwnershipPage } from './OwnershipPage';
