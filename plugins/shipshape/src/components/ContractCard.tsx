import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import {
  SHIPSHAPE_ANNOTATIONS,
  readAnnotation,
  ShipshapeAnnotationKey,
} from '@shipshape/plugin-shipshape-common';
import { Link } from '@backstage/ui';
import { ReactNode } from 'react';
import { DangerText } from './DangerText';
import { StaticTable, Td, Th } from './StaticTable';

const WRAP = { whiteSpace: 'normal', overflowWrap: 'anywhere' } as const;

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
    <EntityInfoCard title="Shipshape contract">
      <StaticTable label="Shipshape contract">
        <tbody>
          {SHOWN.map(key => {
            const spec = SHIPSHAPE_ANNOTATIONS[key];
            const result = readAnnotation(entity, key);
            const raw = entity.metadata.annotations?.[spec.name];
            let value: ReactNode;
            if (!result) {
              value = 'not declared';
            } else if (!result.ok) {
              // the error names the fix; the colour only repeats it
              value = <DangerText style={WRAP}>{result.error}</DangerText>;
            } else if (key === 'runbook') {
              value = <Link href={String(raw)}>{String(raw)}</Link>;
            } else {
              value = String(raw);
            }
            return (
              <tr key={key}>
                <Th scope="row">{spec.name.replace('shipshape.dev/', '')}</Th>
                <Td>{value}</Td>
              </tr>
            );
          })}
        </tbody>
      </StaticTable>
    </EntityInfoCard>
  );
}
