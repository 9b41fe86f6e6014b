import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COUNTING_SCHEMA_DIR, countingSchema, crossingCompass } from './counting.ts';
import { parseCsv, type TableSchema, toCsv, validateCsv } from './tableschema.ts';

const example = (t: string) => readFileSync(join(COUNTING_SCHEMA_DIR, t, 'exemple-valide-eco-compteur.csv'), 'utf8');

describe('TableSchema validator', () => {
  it('accepts the valid examples shipped with the national counting schema', () => {
    for (const t of ['site', 'channel', 'measure'] as const) {
      expect(validateCsv(countingSchema(t), example(t)), t).toEqual([]);
    }
    expect(parseCsv(example('measure')).length).toBeGreaterThan(3000);
  });

  it('reports header, required, type, enum, pattern, range and primary-key errors', () => {
    const schema: TableSchema = {
      fields: [
        { name: 'id', type: 'string', constraints: { required: true } },
        { name: 'n', type: 'integer', constraints: { minimum: 0, maximum: 10 } },
        { name: 'x', type: 'number' },
        { name: 'at', type: 'datetime' },
        { name: 'dir', type: 'string', constraints: { enum: ['N', 'S'] } },
        { name: 'm', type: 'string', constraints: { pattern: '(?:(?:^|,)(BIKE|CAR))+$' } },
      ],
      primaryKey: 'id',
    };
    const head = 'id,n,x,at,dir,m';
    expect(validateCsv(schema, `${head}\na,1,1.5,2026-03-10T06:30:00Z,N,"BIKE,CAR"\n`)).toEqual([]);
    const errs = validateCsv(
      schema,
      [
        head,
        ',1,1,2026-03-10T06:30:00Z,N,BIKE',
        'b,11,1,2026-03-10T06:30:00Z,N,BIKE',
        'c,1.5,1,2026-03-10T06:30:00Z,N,BIKE',
        'd,1,abc,2026-03-10T06:30:00Z,N,BIKE',
        'e,1,1,2026-03-10 06:30,N,BIKE',
        'f,1,1,2026-03-10T06:30:00Z,NE,BIKE',
        'g,1,1,2026-03-10T06:30:00Z,N,BIKE;CAR',
        'g,1,1,2026-03-10T06:30:00Z,N,CAR',
        'h,1,1',
      ].join('\n'),
    );
    expect(errs.map((e) => `${e.row}:${e.field}`)).toEqual([
      '1:id',
      '2:n',
      '3:n',
      '4:x',
      '5:at',
      '6:dir',
      '7:m',
      '8:id',
      '9:',
    ]);
    expect(validateCsv(schema, 'id,x\n')[0].message).toMatch(/header/);
  });

  it('writes CSV that parses back to the same cells (quotes, commas, empty values)', () => {
    const rows = [
      ['a', 'b,c', 'say "hi"', null, 3.5],
      ['é', '', 'line\nbreak', undefined, 0],
    ];
    const csv = toCsv(['one', 'two', 'three', 'four', 'five'], rows);
    expect(parseCsv(csv)).toEqual([
      ['one', 'two', 'three', 'four', 'five'],
      ['a', 'b,c', 'say "hi"', '', '3.5'],
      ['é', '', 'line\nbreak', '', '0'],
    ]);
  });

  it('gives the compass direction of travel of a crossing (in = left to right of a→b)', () => {
    // a→b pointing east: crossing left-to-right means travelling south.
    expect(crossingCompass([1.48, 48.44], [1.49, 48.44], 'in')).toBe('S');
    expect(crossingCompass([1.48, 48.44], [1.49, 48.44], 'out')).toBe('N');
    // a→b pointing north: 'in' travels east.
    expect(crossingCompass([1.48, 48.44], [1.48, 48.45], 'in')).toBe('E');
    expect(crossingCompass([1.48, 48.44], [1.49, 48.45], 'in')).toBe('SE');
  });
});
