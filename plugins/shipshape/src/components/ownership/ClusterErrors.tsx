import { ClusterReadError } from '@shipshape/plugin-shipshape-common';
import { DangerText } from '../DangerText';

/** The clusters a figure leaves out, one line each, in words and in the danger colours. */
export function ClusterErrors(props: { errors?: ClusterReadError[] }) {
  return (
    <>
      {props.errors?.map(e => (
        <DangerText
          key={e.cluster}
          as="p"
          variant="body-x-small"
          style={{ whiteSpace: 'normal', overflowWrap: 'anywhere' }}
        >
          {e.message}
        </DangerText>
      ))}
    </>
  );
}
