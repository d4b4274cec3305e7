import TextField from '@material-ui/core/TextField';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { AccessibleColours } from '../AccessibleColours';

/**
 * MUI's TextField, not Backstage UI's: the scaffolder's form (scaffolder-react's RJSF theme) draws
 * every other field of the wizard with MUI, and this one must look and behave like them.
 *
 * The text box of a Shipshape wizard field: labelled with the schema's title (else
 * `defaultTitle`), red when `error` or the form has errors for it, `help` below.
 */
export function FieldTextBox(props: {
  field: FieldExtensionComponentProps<string>;
  defaultTitle: string;
  error: boolean;
  help?: string;
  /** Take the focus when shown (`ui:autofocus`). */
  focus?: boolean;
}) {
  const { onChange, required, schema, rawErrors, formData, idSchema } =
    props.field;
  return (
    <AccessibleColours>
      <TextField
        id={idSchema?.$id}
        label={schema.title ?? props.defaultTitle}
        required={required}
        value={formData ?? ''}
        onChange={e => onChange(e.target.value)}
        margin="normal"
        error={props.error || (rawErrors?.length ?? 0) > 0}
        helperText={props.help}
        inputProps={{ autoFocus: props.focus }}
        FormHelperTextProps={{ style: { marginLeft: 0 } }}
      />
    </AccessibleColours>
  );
}
