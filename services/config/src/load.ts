import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { PassageError } from './errors.ts';
import { type Config, ConfigSchema, ENV } from './schema.ts';

export interface LoadConfigOptions {
  /** Path of a JSON configuration file; default `PASSAGE_CONFIG` if set. */
  file?: string;
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Values that win over file and environment (e.g. CLI flags), as a partial config. */
  overrides?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function setPath(target: Obj, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Keys that would reach an object's prototype through a merge: refused wherever they appear. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const isPlainObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge of `extra` into `base` (plain objects merged key by key, anything else replaced), prototype-safe. */
function merge(base: Obj, extra: Obj, path = ''): Obj {
  for (const [k, v] of Object.entries(extra)) {
    const at = path ? `${path}.${k}` : k;
    if (FORBIDDEN_KEYS.has(k)) {
      throw new PassageError(
        'PASSAGE_CONFIG_INVALID',
        `Invalid configuration: the key ${at} is not allowed (it could change built-in objects); remove it.`,
      );
    }
    if (isPlainObject(v)) {
      const cur = Object.hasOwn(base, k) ? base[k] : undefined;
      base[k] = merge(isPlainObject(cur) ? cur : {}, v, at);
    } else if (v !== undefined) {
      base[k] = v;
    }
  }
  return base;
}

/** Config keys whose values are secrets: never shown in an error (`api.keys`, passwords, tokens…). */
const SECRET_KEY = /(^|\.)(keys|[a-z]*(password|secret|token|credentials?))(\.|$)/i;
const SECRET_NAME = /^(keys|[a-z]*(password|secret|token|credentials?))$/i;

/** A value as shown in an error message: secrets withheld, also inside objects. */
function shown(key: string, value: unknown): string {
  if (SECRET_KEY.test(key)) return '(value withheld: it is a secret)';
  return JSON.stringify(value, (k, v) => (k && SECRET_NAME.test(k) ? '(withheld)' : v)) ?? 'undefined';
}

function envSource(key: string): string {
  return Object.entries(ENV).find(([, d]) => d.key === key)?.[0] ?? '';
}

/**
 * Reads the configuration once: defaults ← file ← environment ← overrides, validated and frozen.
 * Throws PASSAGE_CONFIG_INVALID naming the wrong key, where it came from, and how to fix it.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const raw: Obj = {};
  const file = options.file ?? env.PASSAGE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new PassageError(
        'PASSAGE_CONFIG_NOT_FOUND',
        `Cannot read the configuration file ${file}: check the path given by --config or PASSAGE_CONFIG.`,
        { cause },
      );
    }
    try {
      merge(raw, JSON.parse(text) as Obj);
    } catch (cause) {
      throw new PassageError(
        'PASSAGE_CONFIG_INVALID',
        `The configuration file ${file} is not valid JSON (${(cause as Error).message}).`,
        { cause },
      );
    }
  }
  for (const [name, def] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    let parsed: unknown = v;
    if (def.kind === 'list') {
      parsed = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (def.kind === 'bool') {
      const b = v.trim().toLowerCase();
      if (!['true', 'false', '1', '0', 'yes', 'no'].includes(b)) {
        throw new PassageError(
          'PASSAGE_CONFIG_INVALID',
          `Environment variable ${name}=${JSON.stringify(v)} must be true or false (it sets ${def.key}).`,
        );
      }
      parsed = b === 'true' || b === '1' || b === 'yes';
    } else if (def.kind === 'int' || def.kind === 'number') {
      parsed = Number(v);
      if (!Number.isFinite(parsed as number)) {
        throw new PassageError(
          'PASSAGE_CONFIG_INVALID',
          `Environment variable ${name}=${JSON.stringify(v)} must be a number (it sets ${def.key}).`,
        );
      }
    }
    setPath(raw, def.key, parsed);
  }
  if (options.overrides) merge(raw, options.overrides);
  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw)) as Obj;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const e = errors[0];
    const key = e.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const keyBase = key.replace(/\.\d+$/, '');
    const from = envSource(keyBase);
    const where = from ? `environment variable ${from} or config key ${keyBase}` : `config key ${keyBase}`;
    if (e.message === 'Unexpected property') {
      // The value of a misspelled key is not shown: it may be a secret under a wrong name.
      throw new PassageError(
        'PASSAGE_CONFIG_INVALID',
        `Invalid configuration: unknown ${where}: remove it or fix its spelling; known keys are listed in docs/CONFIGURATION.md.`,
      );
    }
    const hint = SECRET_KEY.test(keyBase)
      ? `expected ${keyBase === 'api.keys' ? 'role:key with a known role and a key of at least 16 characters' : e.message.toLowerCase()}; see docs/CONFIGURATION.md`
      : `expected ${e.message.toLowerCase()}; see docs/CONFIGURATION.md`;
    throw new PassageError(
      'PASSAGE_CONFIG_INVALID',
      `Invalid configuration: ${where} = ${shown(keyBase, e.value)}: ${hint}.`,
    );
  }
  const cfg = withDefaults as unknown as Config;
  if (cfg.kafka.heartbeatIntervalMs >= cfg.kafka.sessionTimeoutMs) {
    throw new PassageError(
      'PASSAGE_CONFIG_INVALID',
      'kafka.heartbeatIntervalMs must be lower than kafka.sessionTimeoutMs (a third of it is usual).',
    );
  }
  return deepFreeze(cfg);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
