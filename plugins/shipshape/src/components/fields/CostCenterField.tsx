import { useApiHolder } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import useAsync from 'react-use/esm/useAsync';
import { FieldTextBox } from './FieldTextBox';
import { costCenterRule } from './rules';
import { fetchPolicy, policyUnavailable } from './validation';

/**
 * The cost center, checked against the policy the catalog module enforces (read from the
 * Shipshape backend). The help line says what the policy asks, or that it could not be read.
 */
export const CostCenterField = (
  props: FieldExtensionComponentProps<string>,
) => {
  const { description } = props.schema;
  const apis = useApiHolder();
  const policy = useAsync(() => fetchPolicy(apis), [apis]);
  let help: string | undefined = description;
  if (policy.error) help = policyUnavailable(policy.error);
  else if (policy.value) {
    const rule = costCenterRule(policy.value);
    if (rule) help = description ? `${description} ${rule}.` : `${rule}.`;
  }
  return (
    <FieldTextBox
      field={props}
      defaultTitle="Cost center"
      error={!!policy.error}
      help={help}
    />
  );
};
