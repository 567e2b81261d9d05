/**
 * CSV text (RFC 4180 quoting): a field is quoted when it holds a comma, a double quote, a line
 * break, or leading/trailing spaces (which readers would otherwise trim); quotes inside are
 * doubled. null and undefined are empty fields. Lines end with '\n' unless asked otherwise, and
 * the text ends with a line ending.
 */

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvOptions {
  lineEnding?: '\n' | '\r\n';
}

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  const eol = options.lineEnding ?? '\n';
  return rows.map((row) => row.map(csvField).join(',') + eol).join('');
}

/** A header row of `columns` (default: the keys of the first record, then any new keys in later ones), then one row per record. */
export function recordsToCsv(records: readonly Record<string, CsvValue>[], columns?: readonly string[], options: CsvOptions = {}): string {
  const header = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  return toCsv([header, ...records.map((r) => header.map((c) => r[c]))], options);
}
