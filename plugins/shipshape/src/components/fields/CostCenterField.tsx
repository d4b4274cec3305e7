import TextField from '@material-ui/core/TextField';
import { useApiHolder } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import useAsync from 'react-use/esm/useAsync';
import { costCenterRule } from './rules';
import { fetchPolicy, policyUnavailable } from './validation';

/**
 * The cost center, checked against the policy the catalog module enforces (read from the
 * Shipshape backend). The help line says what the policy asks, or that it could not be read.
 */
export const CostCenterField = (
  props: FieldExtensionComponentProps<string>,
) => {
  const {
    onChange,
    required,
    schema: { title = 'Cost center', description },
    rawErrors,
    formData,
    idSchema,
  } = props;
  const apis = useApiHolder();
  const policy = useAsync(() => fetchPolicy(apis), [apis]);
  let help: string | undefined = description;
  if (policy.error) help = policyUnavailable(policy.error);
  else if (policy.value) {
    const rule = costCenterRule(policy.value);
    if (rule) help = description ? `${description} ${rule}.` : `${rule}.`;
  }
  return (
    <TextField
      id={idSchema?.$id}
      label={title}
      required={required}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value)}
      margin="normal"
      error={!!policy.error || (rawErrors?.length ?? 0) > 0}
      helperText={help}
      FormHelperTextProps={{ style: { marginLeft: 0 } }}
    />
  );
};
