import { ClusterReadError } from '@shipshape/plugin-shipshape-common';
import Typography from '@material-ui/core/Typography';

/** The clusters a figure leaves out, one line each in the error colour. */
export function ClusterErrors(props: { errors?: ClusterReadError[] }) {
  return (
    <>
      {props.errors?.map(e => (
        <Typography
          key={e.cluster}
          variant="caption"
          color="error"
          component="p"
        >
          {e.message}
        </Typography>
      ))}
    </>
  );
}
