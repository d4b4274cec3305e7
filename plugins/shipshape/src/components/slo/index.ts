export { SloCard, SloDetails } from './SloCard';
export { BudgetSparkline } from './Sparkline';
export { SloBurningPage } from './SloBurningPage';
