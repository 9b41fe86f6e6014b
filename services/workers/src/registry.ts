import type { Config } from '@passage/config';
import type { ProcessorRole, SinkRole } from '@passage/stream';
import { countsRole, countsSink, sensorHealthSink } from './roles/counts.ts';
import { dischargeSink } from './roles/discharge.ts';
import { eventTotalsRole, eventTotalsSink } from './roles/event-totals.ts';
import { forecastRole, forecastsSink } from './roles/forecast.ts';
import { ingestDetectionsRole } from './roles/ingest-detections.ts';
import { odHourlySink, odMatcherRole, odSink } from './roles/od-matcher.ts';
import { tokenizerRole } from './roles/tokenizer.ts';
import { lineCountsSink, movementsSink, videoFlowsRole } from './roles/video-flows.ts';

/** Every processing role and sink of Passage. Later roles register here. */
export interface RoleCatalog {
  processors: Record<string, (config: Config) => ProcessorRole<never>>;
  sinks: Record<string, (config: Config) => SinkRole<never>>;
}

export const catalog: RoleCatalog = {
  processors: {
    'event-totals': eventTotalsRole as (c: Config) => ProcessorRole<never>,
    'video-flows': videoFlowsRole as (c: Config) => ProcessorRole<never>,
    'ingest-detections': ingestDetectionsRole as (c: Config) => ProcessorRole<never>,
    counts: countsRole as (c: Config) => ProcessorRole<never>,
    tokenizer: tokenizerRole as (c: Config) => ProcessorRole<never>,
    'od-matcher': odMatcherRole as (c: Config) => ProcessorRole<never>,
    forecast: forecastRole as (c: Config) => ProcessorRole<never>,
  },
  sinks: {
    'sink-event-totals': eventTotalsSink as (c: Config) => SinkRole<never>,
    'sink-line-counts': lineCountsSink as (c: Config) => SinkRole<never>,
    'sink-movements': movementsSink as (c: Config) => SinkRole<never>,
    'sink-discharge': dischargeSink as (c: Config) => SinkRole<never>,
    'sink-counts': countsSink as (c: Config) => SinkRole<never>,
    'sink-sensor-health': sensorHealthSink as (c: Config) => SinkRole<never>,
    'sink-od': odSink as (c: Config) => SinkRole<never>,
    'sink-od-hourly': odHourlySink as (c: Config) => SinkRole<never>,
    'sink-forecasts': forecastsSink as (c: Config) => SinkRole<never>,
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
