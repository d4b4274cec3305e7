export { SloCard, SloDetails } from './SloCard';
export { SloBurningPage } from './SloBurningPage';
