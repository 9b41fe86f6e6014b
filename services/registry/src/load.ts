/**
 * Reading a registry file: the registry format (docs/SITES.md) or, for backward compatibility, a simulator's
 * `scenario.json` (infra/scenarios/README.md), whose simulation fields are dropped. One validation at load, shared
 * by the workers and the store: a file with errors is refused with PASSAGE_REGISTRY_INVALID listing every error.
 */
import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config';
import type { Registry } from './model.ts';
import type { RegistryDocument } from './schema.ts';
import { type ValidationResult, validateRegistry } from './validate.ts';

/**
 * Top-level fields of scenario.json that are simulation, not registry (`synth`: how the synthesisers render the
 * world's sensors — detector convention, phone address randomisation).
 */
const SIMULATION_FIELDS = ['start', 'durationS', 'seed', 'stepS', 'network', 'synth'] as const;

/** True when the document is a simulator scenario (it has a time base). */
export function isScenarioDocument(doc: unknown): boolean {
  return doc !== null && typeof doc === 'object' && 'start' in doc && 'durationS' in doc;
}

/**
 * The registry part of a scenario.json: what a city would own (cameras, counters, sighting sites, zones), without
 * the simulation (time base, seed, network description, counters' declared faults).
 */
export function registryFromScenario(doc: Record<string, unknown>): RegistryDocument {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if ((SIMULATION_FIELDS as readonly string[]).includes(k)) continue;
    out[k] = v;
  }
  if (typeof doc.network === 'string' && doc.network) out.description = doc.network;
  if (Array.isArray(doc.counters)) {
    out.counters = doc.counters.map((c) => {
      if (c === null || typeof c !== 'object') return c;
      const { faulty: _f, ...rest } = c as Record<string, unknown>;
      return rest;
    });
  }
  return out as RegistryDocument;
}

export interface ReadRegistryResult extends ValidationResult {
  path: string;
  /** The file was a scenario.json read as a registry. */
  fromScenario: boolean;
}

/** Reads and validates a registry (or scenario.json) file; never throws on content, only on an unreadable file. */
export function readRegistryFile(path: string): ReadRegistryResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_INVALID',
      `Cannot read the sites file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}. Check PASSAGE_SITES_FILE / sitesFile.`,
      { cause },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_INVALID',
      `The sites file ${path} is not JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const fromScenario = isScenarioDocument(doc);
  const r = validateRegistry(fromScenario ? registryFromScenario(doc as Record<string, unknown>) : doc);
  return { ...r, path, fromScenario };
}

/** One line per issue: `<path>: <message> [<code>]`. */
export function formatIssues(issues: readonly { path: string; code: string; message: string }[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message} [${i.code}]`).join('\n');
}

const cache = new Map<string, Registry>();

/**
 * The validated registry of `path`, read once per process. Throws PASSAGE_SITES_FILE_MISSING without a path and
 * PASSAGE_REGISTRY_INVALID (every error, with its path) when the file has errors.
 */
export function loadRegistry(path: string): Registry {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!path) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_MISSING',
      'No sites file configured: set PASSAGE_SITES_FILE (or config key sitesFile) to the site registry describing ' +
        'cameras, lines, zones, calibration, counters and sighting sites (docs/SITES.md).',
    );
  }
  const r = readRegistryFile(path);
  if (!r.registry) {
    throw new PassageError(
      'PASSAGE_REGISTRY_INVALID',
      `The sites file ${path} has ${r.errors.length} error(s); fix them (check with \`passage sites validate ${path}\`, format in docs/SITES.md):\n${formatIssues(r.errors)}`,
    );
  }
  cache.set(path, r.registry);
  return r.registry;
}

/** Forgets cached registries (tests, or a reload after the file changed). */
export function clearRegistryCache(): void {
  cache.clear();
}
