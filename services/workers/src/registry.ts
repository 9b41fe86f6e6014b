import type { Config } from '@passage/config';
import type { ProcessorRole, SinkRole } from '@passage/stream';
import { eventTotalsRole, eventTotalsSink } from './roles/event-totals.ts';

/** Every processing role and sink of Passage. Later roles register here. */
export interface RoleCatalog {
  processors: Record<string, (config: Config) => ProcessorRole<never>>;
  sinks: Record<string, (config: Config) => SinkRole<never>>;
}

export const catalog: RoleCatalog = {
  processors: {
    'event-totals': eventTotalsRole as (c: Config) => ProcessorRole<never>,
  },
  sinks: {
    'sink-event-totals': eventTotalsSink as (c: Config) => SinkRole<never>,
  },
};

export function registerProcessor(name: string, make: (config: Config) => ProcessorRole<never>): void {
  catalog.processors[name] = make;
}

export function registerSink(name: string, make: (config: Config) => SinkRole<never>): void {
  catalog.sinks[name] = make;
}

export function roleNames(): string[] {
  return [...Object.keys(catalog.processors), 'sink', ...Object.keys(catalog.sinks)];
}
