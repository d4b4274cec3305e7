import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { FieldTextBox } from './FieldTextBox';
import { serviceNameFormatError } from './rules';

/**
 * The new service's name. Says at once when it is not a DNS-1123 label; whether it is already in
 * the catalog is checked when the step is submitted (serviceNameValidation).
 */
export const ServiceNameField = (
  props: FieldExtensionComponentProps<string>,
) => {
  const { formData, schema, uiSchema } = props;
  const formatError = formData ? serviceNameFormatError(formData) : undefined;
  return (
    <FieldTextBox
      field={props}
      defaultTitle="Name"
      error={!!formatError}
      help={formatError ?? schema.description}
      focus={uiSchema?.['ui:autofocus']}
    />
  );
};
