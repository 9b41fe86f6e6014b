import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';

const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'sec-config-')), 'passage.json');
  writeFileSync(p, text);
  return p;
};
const error = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
};

afterEach(() => {
  // Leave no pollution behind for other tests, whatever happened.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('loadConfig: secrets and prototype safety', () => {
  it('does not echo a too-short API key, from the environment or a file', () => {
    const secret = 'tooShort-s3cr3t';
    for (const f of [
      () => loadConfig({ env: { PASSAGE_API_KEYS: `planner:${secret}` } }),
      () => loadConfig({ env: {}, file: file(JSON.stringify({ api: { keys: [`admin:${secret}`] } })) }),
      () => loadConfig({ env: {}, overrides: { api: { keys: `traffic:${secret}` } } }),
    ]) {
      const e = error(f);
      expect(e.code).toBe('PASSAGE_CONFIG_INVALID');
      expect(e.message).toContain('api.keys');
      expect(e.message).not.toContain(secret);
    }
  });

  it('does not echo the value of a misspelled key (it may be a secret under a wrong name)', () => {
    const e = error(() => loadConfig({ env: {}, overrides: { apiKeys: ['admin:0123456789abcdef-secret'] } }));
    expect(e.message).toMatch(/apiKeys.*remove it or fix its spelling/);
    expect(e.message).not.toContain('0123456789abcdef-secret');
  });

  it('refuses __proto__, constructor and prototype keys and pollutes nothing', () => {
    for (const text of [
      '{"__proto__": {"polluted": "yes"}}',
      '{"api": {"__proto__": {"polluted": "yes"}}}',
      '{"constructor": {"prototype": {"polluted": "yes"}}}',
      '{"kafka": {"prototype": {"polluted": "yes"}}}',
    ]) {
      const e = error(() => loadConfig({ env: {}, file: file(text) }));
      expect(e.code, text).toBe('PASSAGE_CONFIG_INVALID');
      expect(e.message).toMatch(/not allowed/);
      expect(({} as Record<string, unknown>).polluted, text).toBeUndefined();
    }
    const overrides = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    expect(error(() => loadConfig({ env: {}, overrides })).code).toBe('PASSAGE_CONFIG_INVALID');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
