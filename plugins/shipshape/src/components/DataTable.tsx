import {
  Box,
  Cell,
  Column,
  ColumnConfig,
  Flex,
  Row,
  SearchField,
  SortDescriptor,
  TableBody,
  TableHeader,
  TablePagination,
  TableRoot,
  Text,
  useTable,
} from '@backstage/ui';
import { ReactNode } from 'react';

/** A column: BUI's config plus how its rows compare and what search matches. */
export type DataColumn<T extends { id: string }> = Omit<
  ColumnConfig<T>,
  'cell'
> & {
  /** The cell's content (wrapped in a BUI `Cell`). */
  render: (row: T) => ReactNode;
  /** Compares two rows for an ascending sort; a column without one is not sortable. */
  compare?: (a: T, b: T) => number;
  /** The text search matches in this column. */
  text?: (row: T) => string;
  align?: 'start' | 'end';
};

const PAGE_SIZE = 20;

/**
 * Backstage UI's Table (`useTable` in complete mode) with sorting, a search field and paging
 * beyond 20 rows. Built from BUI's parts rather than its `Table`, which names every table
 * "Data table": this one is named by `label`, and so is its search field.
 */
export function DataTable<T extends { id: string }>(props: {
  label: string;
  columns: DataColumn<T>[];
  rows: T[];
  /** The sort it opens with; without one, the rows' own order. */
  initialSort?: SortDescriptor;
  /** Shown beside the search field (e.g. an export button). */
  actions?: ReactNode;
}) {
  const { label, columns, rows, initialSort, actions } = props;
  const { tableProps, search } = useTable<T>({
    mode: 'complete',
    data: rows,
    initialSort,
    paginationOptions: {
      type: rows.length > PAGE_SIZE ? 'page' : 'none',
      pageSize: PAGE_SIZE,
      showPageSizeOptions: false,
    },
    sortFn: (data, sort) => {
      const compare = columns.find(c => c.id === sort.column)?.compare;
      if (!compare) return data;
      const sign = sort.direction === 'descending' ? -1 : 1;
      return [...data].sort((a, b) => sign * compare(a, b));
    },
    searchFn: (data, text) => {
      const needle = text.toLocaleLowerCase('en-US');
      return data.filter(row =>
        columns.some(c =>
          c.text?.(row).toLocaleLowerCase('en-US').includes(needle),
        ),
      );
    },
  });
  const { data = [], pagination, sort } = tableProps;
  return (
    <Flex direction="column" gap="2">
      <Flex justify="between" align="center" style={{ flexWrap: 'wrap' }}>
        <Text as="h2" variant="title-x-small">
          {label}
        </Text>
        <Flex align="center" gap="2">
          <Box style={{ width: '16rem', maxWidth: '100%' }}>
            <SearchField
              aria-label={`Search ${label}`}
              placeholder="Search"
              size="small"
              value={search.value}
              onChange={search.onChange}
            />
          </Box>
          {actions}
        </Flex>
      </Flex>
      <TableRoot
        aria-label={label}
        // columns as wide as their content (BUI's fixed layout gives each the same width and cuts
        // off the longer headers)
        style={{ tableLayout: 'auto' }}
        sortDescriptor={sort?.descriptor ?? undefined}
        onSortChange={sort?.onSortChange}
      >
        <TableHeader columns={columns}>
          {column => (
            <Column
              id={column.id}
              isRowHeader={column.isRowHeader}
              allowsSorting={!!column.compare}
            >
              {column.label}
            </Column>
          )}
        </TableHeader>
        <TableBody
          items={data}
          dependencies={[columns]}
          renderEmptyState={() => (
            <Text as="p" variant="body-medium">
              No row matches the search.
            </Text>
          )}
        >
          {row => (
            <Row id={row.id} columns={columns}>
              {column => (
                <Cell
                  style={
                    column.align === 'end' ? { textAlign: 'end' } : undefined
                  }
                >
                  <Text variant="body-medium">{column.render(row)}</Text>
                </Cell>
              )}
            </Row>
          )}
        </TableBody>
      </TableRoot>
      {pagination.type === 'page' && (
        <TablePagination
          pageSize={pagination.pageSize}
          offset={pagination.offset}
          totalCount={pagination.totalCount}
          hasNextPage={pagination.hasNextPage}
          hasPreviousPage={pagination.hasPreviousPage}
          onNextPage={pagination.onNextPage}
          onPreviousPage={pagination.onPreviousPage}
          showPageSizeOptions={false}
        />
      )}
    </Flex>
  );
}
