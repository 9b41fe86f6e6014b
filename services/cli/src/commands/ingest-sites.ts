/**
 * The sites side of `passage ingest` for counter feeds: the store gets the deployment's registry when one is
 * configured (`sitesFile`), otherwise the sensors the feed describes (Telraam segment, SensorThings Datastream with
 * its Thing location, DATEX II measurement site), and the user is told what is missing (geometry, modes, or
 * sensors absent from the registry, whose records are dead-lettered UNKNOWN_SENSOR by the counts role).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '@passage/config';
import { describeCountFeed } from '@passage/ingest';
import { validateRegistry } from '@passage/registry';
import { loadRegistryMetadata, loadScenarioMetadata, type Store } from '@passage/store';
import type { CountRecord } from '@passage/stream';

export interface SiteWarning {
  code: string;
  message: string;
}

const list = (ids: readonly string[]) => `${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`;

async function knownDevices(store: Store, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rs = await store.client.query({
    query: 'SELECT DISTINCT device_id FROM devices FINAL WHERE has({ids:Array(String)}, device_id)',
    query_params: { ids: [...ids] },
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ device_id: string }>()).map((r) => r.device_id));
}

/**
 * Registers the sites of a counter feed in the store before its records go through the counts role; returns the
 * warnings to show (each says what to add and where). `file` is the feed file (read again for positions).
 */
export async function registerFeedSites(
  store: Store,
  config: Config,
  format: string,
  file: string,
  records: readonly CountRecord[],
): Promise<SiteWarning[]> {
  const ids = [...new Set(records.map((r) => r.sensorId))].sort();
  if (config.sitesFile) {
    const reg = await loadScenarioMetadata(store.client, config.sitesFile);
    const known = await knownDevices(store, ids);
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length === 0) return [];
    return [
      {
        code: 'PASSAGE_INGEST_NOT_IN_REGISTRY',
        message:
          `${missing.length} sensor(s) of the file are not counters of the site registry ${config.sitesFile} ` +
          `(${reg.scenario}): ${list(missing)}. Their records are dead-lettered (UNKNOWN_SENSOR): add them to ` +
          'counters[] with their kind, modes and "line" (docs/SITES.md), then ingest again.',
      },
    ];
  }
  let text: unknown = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // positions are optional: describe from the records alone
  }
  const feed = describeCountFeed(format, text, records);
  const known = await knownDevices(store, ids);
  const fresh = feed.counters.filter((c) => !known.has(c.id)).map((c) => ({ ...c, name: c.name.slice(0, 256) }));
  const warnings: SiteWarning[] = [];
  if (fresh.length > 0) {
    const r = validateRegistry({ name: `ingest-${format}`, counters: fresh });
    if (r.registry) await loadRegistryMetadata(store.client, r.registry);
    else {
      warnings.push({
        code: 'PASSAGE_INGEST_SITE_INCOMPLETE',
        message: `The sensors of the file could not be registered (${r.errors
          .map((e) => `${e.path}: ${e.message}`)
          .join('; ')
          .slice(0, 300)}): describe them in a site registry (PASSAGE_SITES_FILE, docs/SITES.md).`,
      });
    }
  }
  const lacking = feed.lacking.filter((l) => fresh.some((c) => c.id === l.sensorId));
  if (lacking.length > 0) {
    warnings.push({
      code: 'PASSAGE_INGEST_SITE_INCOMPLETE',
      message:
        `${lacking.length} sensor(s) registered from the file without ${[...new Set(lacking.flatMap((l) => l.missing))].join(' or ')}: ` +
        `${list(lacking.map((l) => l.sensorId))}. They are exported without a place until a site registry ` +
        `(PASSAGE_SITES_FILE) gives them one: ${lacking[0].hint}.`,
    });
  }
  return warnings;
}
