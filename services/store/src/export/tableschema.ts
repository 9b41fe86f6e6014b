/**
 * A small Frictionless TableSchema validator and CSV reader/writer: enough to check our open-data files against
 * the national counting schema (schema-comptage-mobilites) and our own OD / footfall schemas.
 * Checks: header (names and order), required, type (string, number, integer, boolean, date, datetime),
 * enum, pattern (whole value), minimum / maximum, minLength / maxLength, unique, primaryKey.
 */
import { parseCsv } from '@passage/core';

export interface TableSchemaField {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime';
  description?: string;
  example?: string | number;
  constraints?: {
    required?: boolean;
    enum?: string[];
    pattern?: string;
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    unique?: boolean;
  };
}
export interface TableSchema {
  name?: string;
  title?: string;
  fields: TableSchemaField[];
  primaryKey?: string | string[];
  missingValues?: string[];
}

export type Cell = string | number | boolean | null | undefined;

/** One CSV value: empty for null/undefined, quoted when it holds a comma, a quote or a line break. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: Iterable<readonly Cell[]>): string {
  const out: string[] = [columns.map(csvCell).join(',')];
  for (const r of rows) out.push(r.map(csvCell).join(','));
  return `${out.join('\n')}\n`;
}

/** RFC 4180 CSV parser: core's (the one CSV reader). */
export { parseCsv };

export interface ValidationError {
  row: number;
  field: string;
  message: string;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkType(type: TableSchemaField['type'], v: string): string | null {
  switch (type) {
    case 'string':
      return null;
    case 'number':
      return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v) || /^(NaN|INF|-INF)$/.test(v) ? null : 'not a number';
    case 'integer':
      return /^[+-]?\d+$/.test(v) ? null : 'not an integer';
    case 'boolean':
      return /^(true|false|True|False|TRUE|FALSE|1|0)$/.test(v) ? null : 'not a boolean';
    case 'date':
      return DATE.test(v) && !Number.isNaN(Date.parse(v)) ? null : 'not a date (YYYY-MM-DD)';
    case 'datetime':
      return DATETIME.test(v) && !Number.isNaN(Date.parse(v)) ? null : 'not an ISO 8601 date-time with zone';
    default:
      return `unknown type ${type as string}`;
  }
}

/** Validates parsed CSV rows (header first) against a schema; returns every error found (empty = valid). */
export function validateTable(schema: TableSchema, table: string[][], maxErrors = 100): ValidationError[] {
  const errors: ValidationError[] = [];
  const push = (e: ValidationError) => {
    if (errors.length < maxErrors) errors.push(e);
  };
  const [header, ...body] = table;
  const names = schema.fields.map((f) => f.name);
  if (!header || header.join(',') !== names.join(',')) {
    push({
      row: 0,
      field: '',
      message: `header is ${JSON.stringify(header)}, schema expects ${JSON.stringify(names)}`,
    });
    return errors;
  }
  const missing = new Set(schema.missingValues ?? ['']);
  const patterns = schema.fields.map((f) =>
    f.constraints?.pattern ? new RegExp(`^(?:${f.constraints.pattern})$`) : null,
  );
  const uniques = schema.fields.map((f) => (f.constraints?.unique ? new Set<string>() : null));
  const pk = schema.primaryKey ? (Array.isArray(schema.primaryKey) ? schema.primaryKey : [schema.primaryKey]) : [];
  const pkIdx = pk.map((n) => names.indexOf(n));
  const pkSeen = new Set<string>();
  body.forEach((cells, r) => {
    const row = r + 1;
    if (cells.length === 1 && cells[0] === '' && r === body.length - 1) return;
    if (cells.length !== names.length) {
      push({ row, field: '', message: `has ${cells.length} cells, expected ${names.length}` });
      return;
    }
    schema.fields.forEach((f, i) => {
      const v = cells[i];
      const c = f.constraints ?? {};
      if (missing.has(v)) {
        if (c.required || pk.includes(f.name)) push({ row, field: f.name, message: 'is required' });
        return;
      }
      const te = checkType(f.type, v);
      if (te) {
        push({ row, field: f.name, message: `${JSON.stringify(v)} ${te}` });
        return;
      }
      if (c.enum && !c.enum.includes(v)) push({ row, field: f.name, message: `${JSON.stringify(v)} not in enum` });
      const p = patterns[i];
      if (p && !p.test(v)) push({ row, field: f.name, message: `${JSON.stringify(v)} does not match ${c.pattern}` });
      if (f.type === 'number' || f.type === 'integer') {
        const n = Number(v);
        if (c.minimum !== undefined && n < c.minimum) push({ row, field: f.name, message: `${v} < ${c.minimum}` });
        if (c.maximum !== undefined && n > c.maximum) push({ row, field: f.name, message: `${v} > ${c.maximum}` });
      }
      if (c.minLength !== undefined && v.length < c.minLength) push({ row, field: f.name, message: 'too short' });
      if (c.maxLength !== undefined && v.length > c.maxLength) push({ row, field: f.name, message: 'too long' });
      const u = uniques[i];
      if (u) {
        if (u.has(v)) push({ row, field: f.name, message: `${JSON.stringify(v)} is not unique` });
        u.add(v);
      }
    });
    if (pkIdx.length) {
      const key = pkIdx.map((i) => cells[i]).join('\u0000');
      if (pkSeen.has(key)) push({ row, field: pk.join('+'), message: `duplicate primary key ${JSON.stringify(key)}` });
      pkSeen.add(key);
    }
  });
  return errors;
}

export function validateCsv(schema: TableSchema, csv: string): ValidationError[] {
  return validateTable(schema, parseCsv(csv));
}
