import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { CostCenterField } from './CostCenterField';
import { ServiceNameField } from './ServiceNameField';
import { costCenterValidation, serviceNameValidation } from './validation';

export { CostCenterField } from './CostCenterField';
export { ServiceNameField } from './ServiceNameField';
export { costCenterError, serviceNameError } from './rules';
export { costCenterValidation, serviceNameValidation } from './validation';

/** `ui:field: ShipshapeServiceName` for the new frontend system. */
export const serviceNameFormField = createFormField({
  name: 'ShipshapeServiceName',
  component: ServiceNameField,
  validation: serviceNameValidation,
});

/** `ui:field: ShipshapeCostCenter` for the new frontend system. */
export const costCenterFormField = createFormField({
  name: 'ShipshapeCostCenter',
  component: CostCenterField,
  validation: costCenterValidation,
});
