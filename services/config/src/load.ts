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

function merge(base: Obj, extra: Obj): Obj {
  for (const [k, v] of Object.entries(extra)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof base[k] === 'object' && base[k]) {
      merge(base[k] as Obj, v as Obj);
    } else if (v !== undefined) {
      base[k] = v;
    }
  }
  return base;
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
    const hint =
      e.message === 'Unexpected property'
        ? `remove it or fix its spelling; known keys are listed in docs/CONFIGURATION.md`
        : `expected ${e.message.toLowerCase()}; see docs/CONFIGURATION.md`;
    throw new PassageError(
      'PASSAGE_CONFIG_INVALID',
      `Invalid configuration: ${where} = ${JSON.stringify(e.value)}: ${hint}.`,
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
