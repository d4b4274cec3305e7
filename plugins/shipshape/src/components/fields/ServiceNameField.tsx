import TextField from '@material-ui/core/TextField';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { serviceNameFormatError } from './rules';

/**
 * The new service's name. Says at once when it is not a DNS-1123 label; whether it is already in
 * the catalog is checked when the step is submitted (serviceNameValidation).
 */
export const ServiceNameField = (
  props: FieldExtensionComponentProps<string>,
) => {
  const {
    onChange,
    required,
    schema: { title = 'Name', description },
    rawErrors,
    formData,
    idSchema,
    uiSchema,
  } = props;
  const formatError = formData ? serviceNameFormatError(formData) : undefined;
  return (
    <TextField
      id={idSchema?.$id}
      label={title}
      required={required}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value)}
      margin="normal"
      error={!!formatError || (rawErrors?.length ?? 0) > 0}
      helperText={formatError ?? description}
      inputProps={{ autoFocus: uiSchema?.['ui:autofocus'] }}
      FormHelperTextProps={{ style: { marginLeft: 0 } }}
    />
  );
};
