import { type Config, loadConfig } from '@passage/config';
import { createLogger, type Logger } from '@passage/stream';

export interface CommandContext {
  config: Config;
  log: Logger;
  /** The embedded store directory (--data, PASSAGE_DATA_DIR, ./data). */
  dataDir: string;
}

export function makeContext(values: { data?: string; config?: string }): CommandContext {
  const config = loadConfig({ file: values.config, overrides: values.data ? { dataDir: values.data } : undefined });
  const log = createLogger({ level: config.logLevel });
  return { config, log, dataDir: config.dataDir };
}
