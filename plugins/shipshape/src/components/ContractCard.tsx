import { InfoCard, Link } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  SHIPSHAPE_ANNOTATIONS,
  readAnnotation,
  ShipshapeAnnotationKey,
} from '@shipshape/plugin-shipshape-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { AccessibleColours } from './AccessibleColours';

const SHOWN: ShipshapeAnnotationKey[] = [
  'tier',
  'costCenter',
  'rpo',
  'rto',
  'backupTarget',
  'restoreDrillInterval',
  'runbook',
];

/** What the entity declares under the Shipshape contract, with each value that does not parse. */
export function ContractCard() {
  const { entity } = useEntity();
  return (
    <AccessibleColours>
      <InfoCard title="Shipshape contract">
        <Table size="small" aria-label="Shipshape contract">
          <TableBody>
            {SHOWN.map(key => {
              const spec = SHIPSHAPE_ANNOTATIONS[key];
              const result = readAnnotation(entity, key);
              const raw = entity.metadata.annotations?.[spec.name];
              let text: string;
              if (!result) text = 'not declared';
              else if (result.ok) text = String(raw);
              else text = result.error;
              return (
                <TableRow key={key}>
                  <TableCell component="th" scope="row">
                    {spec.name.replace('shipshape.dev/', '')}
                  </TableCell>
                  <TableCell>
                    <Typography
                      variant="body2"
                      color={result && !result.ok ? 'error' : 'textPrimary'}
                    >
                      {key === 'runbook' && result?.ok ? (
                        <Link to={String(raw)} underline="always">
                          {text}
                        </Link>
                      ) : (
                        text
                      )}
                    </Typography>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </InfoCard>
    </AccessibleColours>
  );
}
