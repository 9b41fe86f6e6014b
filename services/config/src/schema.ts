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
        /** Replication factor of topics Passage creates; -1 = the broker's `default.replication.factor`. */
        replicationFactor: Type.Integer({ minimum: -1, maximum: 16, default: -1 }),
        /**
         * TLS to the brokers. On when `enabled` is true or a CA / client certificate is given. Values are paths of
         * PEM files: `ca` (trusted CA, default the system's), `cert` + `key` (client certificate for mutual TLS).
         */
        ssl: Type.Object(
          {
            enabled: Type.Boolean({ default: false }),
            ca: Type.String({ default: '' }),
            cert: Type.String({ default: '' }),
            key: Type.String({ default: '' }),
            /** Passphrase of an encrypted `key` file. */
            keyPassword: Type.String({ default: '' }),
            /** Host name checked against the broker certificate, when it differs from the bootstrap host. */
            servername: Type.String({ default: '' }),
            /** false accepts any broker certificate (tests only: it disables server authentication). */
            rejectUnauthorized: Type.Boolean({ default: true }),
          },
          { default: {}, additionalProperties: false },
        ),
        /** SASL authentication; `mechanism` empty = none. */
        sasl: Type.Object(
          {
            mechanism: Type.Union(
              [Type.Literal(''), Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')],
              { default: '' },
            ),
            username: Type.String({ default: '' }),
            password: Type.String({ default: '' }),
          },
          { default: {}, additionalProperties: false },
        ),
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
        /** Raw edge payloads (DeepStream nvmsgconv or generic frames) read by the ingest-detections role. */
        detectionsRaw: Type.String({ default: 'detections.raw.v1' }),
        counts: Type.String({ default: 'counts.v1' }),
        sightingsRaw: Type.String({ default: 'sightings.raw.v1' }),
        sightings: Type.String({ default: 'sightings.v1' }),
        movements: Type.String({ default: 'movements.v1' }),
        /** Queue-discharge aggregates of the video-flows role (saturated headways, sink-discharge → queue_discharge_15m). */
        discharge: Type.String({ default: 'discharge.v1' }),
        lineCounts: Type.String({ default: 'line-counts.v1' }),
        od: Type.String({ default: 'od.v1' }),
        /** Hourly k-anonymous OD cells and per-site distinct-device counts (od-matcher → sink-od-hourly → od_1h). */
        odHourly: Type.String({ default: 'od.hourly.v1' }),
        countsNorm: Type.String({ default: 'counts.norm.v1' }),
        /** Sensor health findings of the counts role (rows of sensor_health). */
        sensorHealth: Type.String({ default: 'sensor-health.v1' }),
        /** Day-ahead footfall forecasts (role forecast → sink-forecasts → footfall_forecasts). */
        forecasts: Type.String({ default: 'forecasts.v1' }),
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
        /**
         * A partition (or upstream task) silent this long, ms of processing time, with no backlog, stops holding a
         * role's watermark back until it delivers again.
         */
        idleTimeoutMs: Type.Integer({ minimum: 100, default: 30000 }),
        /**
         * Event-time guard rails: inputs with a timestamp outside [now − maxPastMs, now + maxFutureMs] of a trusted
         * clock go to the dead-letter topic (BAD_TIMESTAMP) and never move watermarks, windows or key epochs.
         */
        timeGuard: Type.Object(
          {
            /**
             * 'wall': this host's UTC clock (embedded replays pass their scenario clock); 'record': each Kafka
             * record's timestamp (a topic with message.timestamp.type=LogAppendTime, or a replay that stamps its
             * scenario clock). 'off': no check.
             */
            clock: Type.Union([Type.Literal('wall'), Type.Literal('record'), Type.Literal('off')], { default: 'wall' }),
            /** How old an input may be: 20 years, so archives of counts can be imported; lower it for live feeds. */
            maxPastMs: Type.Integer({ minimum: 0, default: 631_152_000_000 }),
            /** How far ahead of the trusted clock an input may be (clock skew of the sensors), ms. */
            maxFutureMs: Type.Integer({ minimum: 0, default: 600_000 }),
          },
          { default: {} },
        ),
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
        /**
         * Failed key checks (unknown API key) one client address may make per minute; past it, that address's
         * requests with a key get 429 PASSAGE_AUTH_RATE_LIMITED until the minute ends.
         */
        authFailuresPerMinute: Type.Integer({ minimum: 1, default: 10 }),
        /**
         * Reverse proxies whose `X-Forwarded-For` is believed, as comma-separated addresses or CIDR ranges
         * (e.g. `127.0.0.1,10.0.0.0/8`). Empty: the client address is the socket's. Set it behind a proxy, or every
         * client shares the proxy's address in rate limiting (and one client's wrong keys lock out all keyed users).
         */
        trustProxy: Type.String({ default: '', pattern: '^[0-9a-fA-F.:/, ]*$' }),
        /**
         * MapLibre style URL (absolute http(s) or a same-origin path) drawn under the dashboard's flow map, e.g. a
         * self-hosted vector-tile style. Empty = the offline GeoJSON base map (scenario streets, zones, communes).
         */
        mapStyleUrl: Type.String({ default: '', pattern: '^(|https?://.+|/.*)$' }),
      },
      { default: {} },
    ),
    privacy: Type.Object(
      {
        /** Minimum distinct tokens per published OD cell or export cell. */
        k: Type.Integer({ minimum: 2, default: 5 }),
        /** Rotation period of the tokenizer's key, hours. */
        rotationHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
        /**
         * Opt-in, weaker privacy: a secret (≥ 32 characters) from which the tokenizer derives each epoch's key, so a
         * tokenizer restart keeps the tokens of the epoch (docs/OD-AND-PRIVACY.md, Tokens). Empty (default) = random
         * keys held only in memory. Set it from the environment (PASSAGE_PRIVACY_KEY_SECRET), never in a file.
         */
        keySecret: Type.String({ default: '' }),
        /**
         * Key hand-over within an epoch (Kafka only; ignored with keySecret, embedded runs have no restart to
         * survive): the tokenizer writes its current random epoch key to the compacted topic `<topics.sightings>.key`
         * and tombstones it when the key is destroyed, so a restart inside an epoch keeps the tokens
         * (docs/OD-AND-PRIVACY.md, Key hand-over). false: a restart draws a new key (trips spanning it are lost).
         */
        keyHandover: Type.Boolean({ default: true }),
        /**
         * Optional key-encryption secret (≥ 32 characters) for the hand-over: the stored key is AES-256-GCM encrypted
         * with a key derived from it. Empty = stored in clear (readers of the key topic during the epoch can link its
         * tokens). From the environment (PASSAGE_PRIVACY_KEY_HANDOVER_SECRET), never in a file.
         */
        keyHandoverSecret: Type.String({ default: '' }),
        /** Max travel time between two sightings of one trip, seconds. */
        maxTravelTimeS: Type.Integer({ minimum: 60, default: 2700 }),
      },
      { default: {} },
    ),
    counts: Type.Object(
      {
        /** Bins the counts role writes; a record only feeds bins at least as long as itself. */
        intervals: Type.Array(Type.Union([Type.Literal('1m'), Type.Literal('15m'), Type.Literal('1h')]), {
          minItems: 1,
          default: ['1m', '15m', '1h'],
        }),
        /** Local time = UTC + this (minutes), for the health checks' daytime and hour-of-week profile. */
        utcOffsetMinutes: Type.Integer({ minimum: -900, maximum: 900, default: 0 }),
        /** Closed bins kept per series for the health checks (profile, runs, jumps). */
        healthHistoryBins: Type.Integer({ minimum: 16, maximum: 100000, default: 1440 }),
        /**
         * Ceiling of a counter record: at most this many per hour of its interval (at least one minute); above it
         * the record is dead-lettered (BAD_VALUE) as a unit error or a broken sensor.
         */
        maxPerHour: Type.Number({ exclusiveMinimum: 0, default: 20000 }),
        /** How long (event time behind the watermark, ms) a record's message id is remembered to drop redeliveries. */
        dedupWindowMs: Type.Integer({ minimum: 0, default: 7_200_000 }),
      },
      { default: {} },
    ),
    od: Type.Object(
      {
        /** OD aggregation window by departure time, ms. */
        windowMs: Type.Integer({ minimum: 60000, default: 900000 }),
        /** Longest trip (first to last sighting), s; longer sessions are cut. */
        maxTripDurationS: Type.Integer({ minimum: 60, default: 7200 }),
        /** Cap on live tokens held by the matcher (bounded memory). */
        maxTokens: Type.Integer({ minimum: 1, default: 500000 }),
        /** What happens to cells below privacy.k: 'suppress' or 'merge-to-other'. */
        kRule: Type.Union([Type.Literal('suppress'), Type.Literal('merge-to-other')], { default: 'suppress' }),
        /**
         * Randomised (locally administered) Wi-Fi/BLE addresses rotate every few minutes and cut trips into
         * fragments: 'skip' leaves them out of OD matching (counted in the `randomised` state metric), 'keep'
         * matches them like universal addresses.
         */
        randomisedAddresses: Type.Union([Type.Literal('skip'), Type.Literal('keep')], { default: 'skip' }),
        /**
         * Round trips: a device seen only in one zone but out of sight ≥ this many seconds between two visits went
         * out and came back through the zone (origin = destination, travel time = time away). 0 = not reported.
         */
        roundTripMinDwellS: Type.Integer({ minimum: 0, default: 300 }),
        /**
         * A trip whose first (last) zone was crossed (entered by one sighting site, left by another) started (ended)
         * outside the observed zones: 'unobserved' reports that end as '(unobserved)', 'zone' credits the crossed zone.
         */
        passThrough: Type.Union([Type.Literal('unobserved'), Type.Literal('zone')], { default: 'unobserved' }),
        /**
         * Road network of the deployment for the OD estimation's route shares (counted camera lines as constraints;
         * docs/OD-AND-PRIVACY.md): a SUMO `net.xml` or `net.xml.gz` in local metres around the sites file's
         * `origin` (netconvert's `projParameter="!"`). Empty = `sumo/net.xml.gz` (or `sumo/net.xml`) beside the
         * sites file when there is one; `none` = no route model.
         */
        network: Type.String({ default: '' }),
        /** Sighting site id → OD zone id. Empty = every site is its own zone. */
        siteZones: Type.Record(Type.String(), Type.String(), { default: {} }),
        /**
         * Reference counters for the expansion of observed OD to population flows: counts of `sensorId`
         * (optionally one direction, some modes) give the trips leaving (`origin`) or reaching
         * (`destination`) `zone`, times `factor`.
         */
        reference: Type.Array(
          Type.Object(
            {
              zone: Type.String({ minLength: 1 }),
              margin: Type.Union([Type.Literal('origin'), Type.Literal('destination')]),
              sensorId: Type.String({ minLength: 1 }),
              direction: Type.Optional(Type.String()),
              modes: Type.Optional(Type.Array(Type.String())),
              /** OD mode group the counter stands for (`motor` for ANPR cells, `all` for Wi-Fi/BLE). */
              odMode: Type.String({ minLength: 1, default: 'motor' }),
              factor: Type.Number({ exclusiveMinimum: 0, default: 1 }),
            },
            { additionalProperties: false },
          ),
          { default: [] },
        ),
      },
      { default: {} },
    ),
    ingest: Type.Object(
      {
        /** Format of `topics.detectionsRaw`: 'deepstream' (nvmsgconv full or minimal schema) or 'json' (detections.v1). */
        detectionsFormat: Type.Union([Type.Literal('deepstream'), Type.Literal('json')], { default: 'deepstream' }),
        /** DeepStream full schema: a frame is complete when a later timestamp arrives, or this long (event time) after. */
        frameMaxDelayMs: Type.Integer({ minimum: 0, default: 200 }),
      },
      { default: {} },
    ),
    /** Sites, cameras (lines, zones, calibration), counters and sighting sites: a scenario.json-format file. */
    sitesFile: Type.String({ default: '' }),
    video: Type.Object(
      {
        /** Default frame rate of cameras that do not state theirs. */
        fps: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** A camera silent this long (event time) has its live tracks ended. */
        idleFlushMs: Type.Integer({ minimum: 100, default: 5000 }),
        /**
         * Kafka: how far (event time) a restarted video-flows, or the new owner of a camera's partition, may re-read
         * the camera's frames before the committed offset to rebuild its live tracks (warm-up; tracks are never
         * stored, only the input offset to re-read from). 0: no re-read (tracks alive at a crash or hand-over lost).
         */
        replayMaxMs: Type.Integer({ minimum: 0, default: 300000 }),
        /** A forward jump of a camera's clock beyond this ends its live tracks first. */
        maxClockJumpMs: Type.Integer({ minimum: 1000, default: 60000 }),
        /** ByteTrack parameters (see services/core/src/tracker/options.ts), e.g. {"trackHigh": 0.6}. */
        tracker: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean()]), { default: {} }),
        /**
         * Tracker score thresholds follow each camera's own score distribution (scaled down for a detector that
         * scores lower; services/core/src/tracker/score-distribution.ts); false keeps the fixed `tracker` thresholds.
         */
        adaptiveScores: Type.Boolean({ default: true }),
      },
      { default: {} },
    ),
    footfall: Type.Object(
      {
        /** IANA zone of the counting sites: forecasts, calendars and comparisons use local days and hours. */
        timeZone: Type.String({ default: 'Europe/Paris' }),
        /** Country and region of public holidays (`date-holidays` codes), e.g. FR / '' or AU / VIC. */
        country: Type.String({ default: 'FR' }),
        region: Type.String({ default: '' }),
        /** School-holiday zone matched against calendar events of region `<country>-<zone>` (A, B, C in France). */
        schoolZone: Type.String({ default: '' }),
        /** ONNX forecast model (`passage forecast train --out`); empty = the forecast role does not start. */
        modelPath: Type.String({ default: '' }),
        /** Local hours between intraday refreshes of the current day's remaining hours (0 = none). */
        refreshHours: Type.Integer({ minimum: 0, maximum: 24, default: 6 }),
      },
      { default: {} },
    ),
    classifier: Type.Object(
      {
        intraOpNumThreads: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
        batchSize: Type.Integer({ minimum: 1, default: 256 }),
        /** ONNX model path; empty = the model shipped in models/mode-classifier. */
        modelPath: Type.String({ default: '' }),
        /**
         * `onnx`: the ONNX model, gated against the detector vote (models/mode-classifier/src/gate.ts);
         * `detector`: the detector's majority vote only (no model loaded).
         */
        mode: Type.Union([Type.Literal('onnx'), Type.Literal('detector')], { default: 'onnx' }),
      },
      { default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Environment variables and the key each one sets. Lists are comma-separated. */
export const ENV: Record<string, { key: string; kind: 'string' | 'int' | 'number' | 'list' | 'bool' }> = {
  PASSAGE_DATA_DIR: { key: 'dataDir', kind: 'string' },
  PASSAGE_LOG_LEVEL: { key: 'logLevel', kind: 'string' },
  KAFKA_BROKERS: { key: 'kafka.brokers', kind: 'list' },
  KAFKA_CLIENT_ID: { key: 'kafka.clientId', kind: 'string' },
  KAFKA_GROUP_PREFIX: { key: 'kafka.groupPrefix', kind: 'string' },
  KAFKA_PARTITIONS: { key: 'kafka.partitions', kind: 'int' },
  KAFKA_REPLICATION_FACTOR: { key: 'kafka.replicationFactor', kind: 'int' },
  KAFKA_SSL: { key: 'kafka.ssl.enabled', kind: 'bool' },
  KAFKA_SSL_CA: { key: 'kafka.ssl.ca', kind: 'string' },
  KAFKA_SSL_CERT: { key: 'kafka.ssl.cert', kind: 'string' },
  KAFKA_SSL_KEY: { key: 'kafka.ssl.key', kind: 'string' },
  KAFKA_SSL_KEY_PASSWORD: { key: 'kafka.ssl.keyPassword', kind: 'string' },
  KAFKA_SSL_SERVERNAME: { key: 'kafka.ssl.servername', kind: 'string' },
  KAFKA_SSL_REJECT_UNAUTHORIZED: { key: 'kafka.ssl.rejectUnauthorized', kind: 'bool' },
  KAFKA_SASL_MECHANISM: { key: 'kafka.sasl.mechanism', kind: 'string' },
  KAFKA_SASL_USERNAME: { key: 'kafka.sasl.username', kind: 'string' },
  KAFKA_SASL_PASSWORD: { key: 'kafka.sasl.password', kind: 'string' },
  CLICKHOUSE_URL: { key: 'clickhouse.url', kind: 'string' },
  CLICKHOUSE_USER: { key: 'clickhouse.username', kind: 'string' },
  CLICKHOUSE_PASSWORD: { key: 'clickhouse.password', kind: 'string' },
  CLICKHOUSE_DATABASE: { key: 'clickhouse.database', kind: 'string' },
  PASSAGE_API_HOST: { key: 'api.host', kind: 'string' },
  PASSAGE_API_PORT: { key: 'api.port', kind: 'int' },
  PASSAGE_API_KEYS: { key: 'api.keys', kind: 'list' },
  PASSAGE_API_TRUST_PROXY: { key: 'api.trustProxy', kind: 'string' },
  PASSAGE_CORS_ORIGINS: { key: 'api.corsOrigins', kind: 'list' },
  PASSAGE_MAP_STYLE_URL: { key: 'api.mapStyleUrl', kind: 'string' },
  PASSAGE_K_ANONYMITY: { key: 'privacy.k', kind: 'int' },
  PASSAGE_TOKEN_ROTATION_HOURS: { key: 'privacy.rotationHours', kind: 'number' },
  PASSAGE_PRIVACY_KEY_SECRET: { key: 'privacy.keySecret', kind: 'string' },
  PASSAGE_PRIVACY_KEY_HANDOVER: { key: 'privacy.keyHandover', kind: 'bool' },
  PASSAGE_PRIVACY_KEY_HANDOVER_SECRET: { key: 'privacy.keyHandoverSecret', kind: 'string' },
  PASSAGE_SITES_FILE: { key: 'sitesFile', kind: 'string' },
  PASSAGE_TIME_GUARD_CLOCK: { key: 'stream.timeGuard.clock', kind: 'string' },
  PASSAGE_ONNX_THREADS: { key: 'classifier.intraOpNumThreads', kind: 'int' },
  PASSAGE_CLASSIFIER_MODE: { key: 'classifier.mode', kind: 'string' },
  PASSAGE_TIMEZONE: { key: 'footfall.timeZone', kind: 'string' },
  PASSAGE_FORECAST_MODEL: { key: 'footfall.modelPath', kind: 'string' },
};
