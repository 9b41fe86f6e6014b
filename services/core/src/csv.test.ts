import { describe, expect, it } from 'vitest';
import { csvRecords, parseCsv, splitCsvLine } from './csv.ts';

describe('CSV reader', () => {
  it('RFC 4180: quoted separators, doubled quotes, quoted line breaks, CRLF, BOM, no empty last row', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  it('one line with another separator; the unquoted fast path gives the same cells', () => {
    expect(splitCsvLine('s1;"2024;01";7', ';')).toEqual(['s1', '2024;01', '7']);
    expect(splitCsvLine('s1;2024-01;7', ';')).toEqual(['s1', '2024-01', '7']);
    expect(splitCsvLine('')).toEqual(['']);
  });

  it('records by header, blank lines skipped, missing cells empty', () => {
    expect(csvRecords('id,n\n\na,1\nb\n')).toEqual([
      { id: 'a', n: '1' },
      { id: 'b', n: '' },
    ]);
    expect(csvRecords('')).toEqual([]);
  });
});
