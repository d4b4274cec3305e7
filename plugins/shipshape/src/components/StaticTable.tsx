import { Text } from '@backstage/ui';
import { CSSProperties, ReactNode } from 'react';

// A plain <table> in Backstage UI's tokens: BUI's Table is an interactive data grid
// (react-aria, role="grid"); a card's few static rows keep table semantics.
const CELL: CSSProperties = {
  padding: 'var(--bui-space-1_5) var(--bui-space-2) var(--bui-space-1_5) 0',
  borderBottom: '1px solid var(--bui-border-1)',
  textAlign: 'left',
  verticalAlign: 'top',
};

type Align = 'left' | 'right';

/** A small static table inside a card, named for assistive technology by `label`. */
export function StaticTable(props: { label: string; children: ReactNode }) {
  return (
    <table
      aria-label={props.label}
      style={{ width: '100%', borderCollapse: 'collapse' }}
    >
      {props.children}
    </table>
  );
}

/** A header cell: a column's (in <thead>) or a row's (`scope="row"`). */
export function Th(props: {
  children: ReactNode;
  scope?: 'row' | 'col';
  align?: Align;
  colSpan?: number;
}) {
  return (
    <th
      scope={props.scope ?? 'col'}
      colSpan={props.colSpan}
      style={{ ...CELL, textAlign: props.align ?? 'left' }}
    >
      <Text variant="body-small" weight="bold">
        {props.children}
      </Text>
    </th>
  );
}

/** A data cell; `style` adds to the cell's own (e.g. no wrapping). */
export function Td(props: {
  children: ReactNode;
  align?: Align;
  colSpan?: number;
  style?: CSSProperties;
}) {
  return (
    <td
      colSpan={props.colSpan}
      style={{ ...CELL, textAlign: props.align ?? 'left', ...props.style }}
    >
      <Text as="div" variant="body-small">
        {props.children}
      </Text>
    </td>
  );
}
