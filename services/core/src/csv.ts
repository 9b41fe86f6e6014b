/**
 * The one CSV reader of Passage (RFC 4180: quoted cells, doubled quotes, CRLF or LF, a leading BOM skipped).
 * Whole texts (`parseCsv`, `csvRecords`: exports, truth tables, tests) and single lines (`splitCsvLine`: the counts
 * ingest reads large files line by line). Ours rather than a library: ~50 lines, no dependency, and the line
 * splitter's unquoted fast path (`String.split`) is what the ingest bench measures.
 */

/** Splits one CSV line into cells (quotes as RFC 4180; `sep` one character). */
export function splitCsvLine(line: string, sep = ','): string[] {
  if (!line.includes('"')) return line.split(sep);
  return parseCsv(line, sep)[0] ?? [''];
}

/** Rows of cells of a CSV text. A final line break does not make an empty row. */
export function parseCsv(text: string, sep = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Records (header → value; '' for a missing cell) of a CSV text with a header line; blank lines skipped. */
export function csvRecords(text: string, sep = ','): Record<string, string>[] {
  const rows = parseCsv(text, sep).filter((r) => r.length > 1 || r[0] !== '');
  if (rows.length === 0) return [];
  const header = rows[0];
  return rows.slice(1).map((f) => {
    const rec: Record<string, string> = {};
    header.forEach((h, i) => {
      rec[h] = f[i] ?? '';
    });
    return rec;
  });
}
