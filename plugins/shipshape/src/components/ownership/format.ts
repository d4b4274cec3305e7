/** `$8.08`; more digits for unit prices. */
export function formatUsd(value: number, digits = 2): string {
  return `$${value.toFixed(digits)}`;
}

/** RFC 4180 CSV: fields with a comma, quote or newline are quoted, quotes doubled. */
export function toCsv(
  header: string[],
  rows: Array<Array<string | number | undefined>>,
): string {
  const field = (v: string | number | undefined) => {
    const s = v === undefined ? '' : String(v);
    // Neutralise spreadsheet formulas (=, +, -, @) in text cells.
    const safe = typeof v === 'string' && /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [header, ...rows].map(r => r.map(field).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
