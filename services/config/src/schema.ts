import { type Static, Type } from '@sinclair/typebox';

/**
 * The one configuration of Passage. Every key has a default; each can be set in a JSON file
 * (`--config <file>` or `PASSAGE_CONFIG`) and overridden by the environment variable named in `ENV`.
 */
export const ConfigSchema = Type.Object(
  {
    /** Directory of the embedded ClickHouse (chDB) store. @default './data' (env PASSAGE_DATA_DIR) */
    dataDir: Type.String({ minLength: 1, default: './data' }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    kafka: Type.Object(
      {
        /** Comma-separated bootstrap brokers. Empty = embedded mode (in-process channels). */
        brokers: Type.Array(Type.String({ pattern: '^[^\\s:,]+:[0-9]{1,5}$' }), { default: [] }),
        clientId: Type.String({ minLength: 1, default: 'passage' }),
        /** Prefix of consumer group ids: `<prefix>.<role>`. */
        groupPrefix: Type.String({ minLength: 1, default: 'passage' }),
        /** Partitions created for Passage's topics when they do not exist. */
        partitions: Type.Integer({ minimum: 1, maximum: 1024, default: 4 }),
        sessionTimeoutMs: Type.Integer({ minimum: 6000, default: 30000 }),
        heartbeatIntervalMs: Type.Integer({ minimum: 100, default: 3000 }),
        /** Max bytes fetched per partition per request. */
        maxBytesPerPartition: Type.Integer({ minimum: 1024, default: 1048576 }),
      },
      { default: {} },
    ),
    clickhouse: Type.Object(
      {
        /** HTTP(S) URL of a ClickHouse server. Empty = embedded chDB in `dataDir`. */
        url: Type.String({ default: '' }),
        username: Type.String({ default: 'default' }),
        password: Type.String({ default: '' }),
        database: Type.String({ minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'default' }),
      },
      { default: {} },
    ),
    topics: Type.Object(
      {
        detections: Type.String({ default: 'detections.v1' }),
        counts: Type.String({ default: 'counts.v1' }),
        sightingsRaw: Type.String({ default: 'sightings.raw.v1' }),
        sightings: Type.String({ default: 'sightings.v1' }),
        movements: Type.String({ default: 'movements.v1' }),
        lineCounts: Type.String({ default: 'line-counts.v1' }),
        od: Type.String({ default: 'od.v1' }),
        countsNorm: Type.String({ default: 'counts.norm.v1' }),
        events: Type.String({ default: 'events.v1' }),
        eventTotals: Type.String({ default: 'event-totals.v1' }),
        dlq: Type.String({ default: 'dlq.v1' }),
      },
      { default: {} },
    ),
    stream: Type.Object(
      {
        /** Largest Kafka message accepted, in bytes; larger ones are dead-lettered (TOO_LARGE). */
        maxMessageBytes: Type.Integer({ minimum: 1024, default: 1048576 }),
        /** Tumbling window size of aggregates, ms. */
        windowMs: Type.Integer({ minimum: 1000, default: 60000 }),
        /** Events older than the watermark by more than this are counted as late. */
        allowedLatenessMs: Type.Integer({ minimum: 0, default: 120000 }),
        /** Rows buffered by a sink before it flushes to ClickHouse. */
        sinkBatchRows: Type.Integer({ minimum: 1, default: 20000 }),
        /** Max time a sink holds rows before flushing, ms. */
        sinkFlushMs: Type.Integer({ minimum: 10, default: 1000 }),
        /** Backpressure: pending rows at which intake pauses. */
        highWaterRows: Type.Integer({ minimum: 1, default: 200000 }),
      },
      { default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /** API keys: `role:key` pairs; keys are hashed at start and never logged. */
        keys: Type.Array(Type.String({ pattern: '^(planner|traffic|data-officer|admin):.{16,}$' }), {
          default: [],
        }),
        corsOrigins: Type.Array(Type.String(), { default: [] }),
        rateLimitPerMinute: Type.Integer({ minimum: 1, default: 600 }),
      },
      { default: {} },
    ),
    privacy: Type.Object(
      {
        /** Minimum distinct tokens per published OD cell or export cell. */
        k: Type.Integer({ minimum: 2, default: 5 }),
        /** Rotation period of the tokenizer's key, hours. */
        rotationHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
        /** Max travel time between two sightings of one trip, seconds. */
        maxTravelTimeS: Type.Integer({ minimum: 60, default: 2700 }),
      },
      { default: {} },
    ),
    classifier: Type.Object(
      {
        intraOpNumThreads: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
        batchSize: Type.Integer({ minimum: 1, default: 256 }),
      },
      { default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Environment variables and the key each one sets. Lists are comma-separated. */
export const ENV: Record<string, { key: string; kind: 'string' | 'int' | 'number' | 'list' }> = {
  PASSAGE_DATA_DIR: { key: 'dataDir', kind: 'string' },
  PASSAGE_LOG_LEVEL: { key: 'logLevel', kind: 'string' },
  KAFKA_BROKERS: { key: 'kafka.brokers', kind: 'list' },
  KAFKA_CLIENT_ID: { key: 'kafka.clientId', kind: 'string' },
  KAFKA_GROUP_PREFIX: { key: 'kafka.groupPrefix', kind: 'string' },
  KAFKA_PARTITIONS: { key: 'kafka.partitions', kind: 'int' },
  CLICKHOUSE_URL: { key: 'clickhouse.url', kind: 'string' },
  CLICKHOUSE_USER: { key: 'clickhouse.username', kind: 'string' },
  CLICKHOUSE_PASSWORD: { key: 'clickhouse.password', kind: 'string' },
  CLICKHOUSE_DATABASE: { key: 'clickhouse.database', kind: 'string' },
  PASSAGE_API_HOST: { key: 'api.host', kind: 'string' },
  PASSAGE_API_PORT: { key: 'api.port', kind: 'int' },
  PASSAGE_API_KEYS: { key: 'api.keys', kind: 'list' },
  PASSAGE_CORS_ORIGINS: { key: 'api.corsOrigins', kind: 'list' },
  PASSAGE_K_ANONYMITY: { key: 'privacy.k', kind: 'int' },
  PASSAGE_TOKEN_ROTATION_HOURS: { key: 'privacy.rotationHours', kind: 'number' },
  PASSAGE_ONNX_THREADS: { key: 'classifier.intraOpNumThreads', kind: 'int' },
};
