import type { Config } from '@passage/config';
import {
  handoverKek,
  handoverRecordKey,
  isRandomisedAddress,
  openHandoverKey,
  sealHandoverKey,
  Tokenizer,
  type TokenizerStats,
} from '@passage/core';
import {
  jsonCodec,
  type Operator,
  type OperatorContext,
  type ProcessorRole,
  RawSighting,
  type TokenSighting,
} from '@passage/stream';

/**
 * Role `tokenizer` (docs/ARCHITECTURE.md "Worker roles", docs/OD-AND-PRIVACY.md): `sightings.raw.v1` → `sightings.v1`. Each raw sighting's device id or plate
 * is replaced by `HMAC-SHA-256(epochKey, kind|id)` (22 base64url chars, @passage/core Tokenizer); the output is
 * keyed by token, so a token's sightings stay on one partition for the od-matcher.
 *
 * Privacy contract:
 * - The raw id exists only in the decoded input object while the batch is processed: it is never logged, never
 *   emitted (the output object is built field by field), never put in a dead letter (the role is marked
 *   `sensitiveInput`: its dead letters carry the reason code only, no excerpt and no parser message, since
 *   JSON parser messages quote the input).
 * - The epoch key is random, is zeroed when its epoch (plus a 5-minute grace for late sightings) is over and when
 *   the role closes. Sightings whose epoch key is gone are dropped and counted in
 *   `passage_state_size{state="droppedNoKey"}`.
 * - Key hand-over (Kafka, `privacy.keyHandover`, default on unless `privacy.keySecret` is set): each key this
 *   process creates is written (acks=all, before any token made with it is committed) to the compacted internal
 *   topic `<topics.sightings>.key` (tokenizer-keys.ts), encrypted when `privacy.keyHandoverSecret` is set, and
 *   tombstoned as soon as it is zeroed here; a restarted tokenizer adopts the keys of the current epoch (and of the
 *   previous one within its grace) at start, so a restart inside an epoch keeps the tokens. The key never goes to
 *   an output stream, a dead letter or a log line (this file logs epochs, counts and reasons only).
 * - Rotation: every `privacy.rotationHours` of the runtime's TRUSTED clock (`ctx.now()`: the host's UTC clock, or
 *   a replay's scenario clock), boundaries at UTC multiples of the period; never by message time, so a forged or
 *   broken timestamp cannot end an epoch and destroy the current key (the runtime's time guard dead-letters such
 *   inputs with BAD_TIMESTAMP before they get here). A sighting gets the key of the epoch it is processed in.
 *
 * Deployment: run ONE tokenizer instance (`passage worker --role tokenizer`, any number of partitions): each
 * process draws its own key, so two instances would give one device two tokens and no trip could be matched.
 * Without the hand-over (embedded runs, `privacy.keyHandover: false`) a restart draws a new key (trips spanning it
 * are lost), unless the operator opted in to keys derived from `privacy.keySecret` (PASSAGE_PRIVACY_KEY_SECRET):
 * then a restart within an epoch keeps the tokens (weaker privacy: whoever holds the secret can recompute every
 * epoch's key; docs/OD-AND-PRIVACY.md, Tokens).
 * Throughput is not the limit: one instance tokenizes several 100k sightings/s.
 */
/** Where the tokenizer hands its current key over to its successor (Kafka: tokenizer-keys.ts; tests: a fake). */
export interface TokenizerKeyStore {
  /** The live records: latest value per record key, tombstoned keys absent. */
  load(): Promise<Map<string, Buffer>>;
  /**
   * Writes a record durably (Kafka: acks=all). `timestamp`: the record's time, ms on the host clock (Kafka: its
   * CreateTime, from which the topic's retention deletes it).
   */
  put(recordKey: string, value: Buffer, timestamp: number): Promise<void>;
  /** Tombstones a record key (Kafka: a null value, acks=all), with the same timestamp as the key it deletes. */
  remove(recordKey: string, timestamp: number): Promise<void>;
  close?(): Promise<void>;
}

export interface KeyHandover {
  store: TokenizerKeyStore;
  /** `privacy.keyHandoverSecret` (empty: the key is stored unencrypted). */
  secret?: string;
  /** Attempts of a failed write before tokenizing without a handed-over key (the next batch tries again). */
  attempts?: number;
  retryMs?: number;
}

export class TokenizerOperator implements Operator<RawSighting> {
  readonly name = 'tokenizer';
  private readonly tokenizer: Tokenizer;
  readonly #handover: KeyHandover | null;
  readonly #kek: Buffer | null;
  /** Epoch → record key of the keys written to the store and not tombstoned yet. */
  readonly #stored = new Map<number, string>();
  #handoverStats = { adopted: 0, written: 0, tombstoned: 0, unreadable: 0, writeFailures: 0 };

  constructor(rotationMs: number, keySecret = '', handover?: KeyHandover) {
    this.tokenizer = new Tokenizer({ rotationMs, ...(keySecret !== '' ? { keySecret } : {}) });
    // Derived keys need no hand-over (the secret gives the same key after a restart).
    this.#handover = keySecret === '' && handover ? handover : null;
    this.#kek = this.#handover ? handoverKek(this.#handover.secret ?? '') : null;
  }

  #recordKey(epoch: number): string {
    return handoverRecordKey({
      rotationMs: this.tokenizer.rotationMs,
      epochOffsetMs: this.tokenizer.epochOffsetMs,
      epoch,
    });
  }

  /** Adopts the keys an earlier instance handed over (current epoch, previous within its grace); tombstones the rest. */
  async onStart(ctx: OperatorContext): Promise<void> {
    if (!this.#handover) return;
    const now = ctx.now?.() ?? Date.now();
    const nowEpoch = this.tokenizer.epochOf(now);
    let records = new Map<string, Buffer>();
    // A read can fail for a moment (a partition leader moving, a topic just created): retried with the same backoff as
    // writes before giving up on the earlier instance's key, which would split every device's tokens at the restart.
    const h = this.#handover;
    const attempts = h.attempts ?? 5;
    for (let i = 1; i <= attempts; i++) {
      try {
        records = await h.store.load();
        break;
      } catch (e) {
        if (i < attempts) {
          ctx.log.info({ err: (e as Error).message, attempt: i }, 'tokenizer key hand-over read failed: retrying');
          await new Promise((r) => setTimeout(r, (h.retryMs ?? 500) * i));
          continue;
        }
        // Tokenizing goes on with a fresh key (the hand-over of the earlier instance is lost, said here and counted).
        this.#handoverStats.unreadable++;
        ctx.log.warn(
          { err: (e as Error).message, attempts },
          'tokenizer key hand-over could not be read: starting with a new key',
        );
      }
    }
    const rotation = { rotationMs: this.tokenizer.rotationMs, epochOffsetMs: this.tokenizer.epochOffsetMs };
    const usable: { epoch: number; key: Buffer; rk: string }[] = [];
    const stale: { rk: string; epoch: number | null }[] = [];
    for (const [rk, value] of records) {
      const o = openHandoverKey(value, rotation, this.#kek);
      value.fill(0);
      if (o.ok && rk === this.#recordKey(o.epoch) && (o.epoch === nowEpoch || o.epoch === nowEpoch - 1))
        usable.push({ epoch: o.epoch, key: o.key, rk });
      else {
        if (o.ok) o.key.fill(0);
        else {
          this.#handoverStats.unreadable++;
          // The reason and the count only: never a byte of the record.
          ctx.log.warn({ reason: o.reason }, 'tokenizer: a handed-over key cannot be used; it is tombstoned');
        }
        stale.push({ rk, epoch: o.ok ? o.epoch : null });
      }
    }
    usable.sort((a, b) => a.epoch - b.epoch);
    for (const u of usable) {
      if (this.tokenizer.adoptKey(u.epoch, u.key)) {
        this.#stored.set(u.epoch, u.rk);
        this.#handoverStats.adopted++;
      } else stale.push({ rk: u.rk, epoch: u.epoch });
      u.key.fill(0);
    }
    // Keys a crashed predecessor could not destroy (their epoch and grace are over): destroyed now.
    for (const { rk, epoch } of stale) await this.#write(rk, null, ctx, epoch);
    ctx.log.info(
      { adopted: this.#handoverStats.adopted, tombstoned: stale.length, epoch: this.tokenizer.currentEpoch() },
      'tokenizer key hand-over read',
    );
    this.tokenizer.advance(now);
    await this.#sync(ctx);
  }

  /** Writes each live key not written yet; tombstones each written key no longer live. */
  async #sync(ctx: OperatorContext): Promise<void> {
    if (!this.#handover) return;
    const live = this.tokenizer.liveEpochs();
    for (const [epoch, rk] of this.#stored) {
      if (!live.includes(epoch) && (await this.#write(rk, null, ctx, epoch))) this.#stored.delete(epoch);
    }
    for (const epoch of live) {
      if (this.#stored.has(epoch)) continue;
      const key = this.tokenizer.exportKey(epoch);
      if (key === null) continue;
      const rk = this.#recordKey(epoch);
      const value = sealHandoverKey(
        { rotationMs: this.tokenizer.rotationMs, epochOffsetMs: this.tokenizer.epochOffsetMs, epoch },
        key,
        this.#kek,
      );
      key.fill(0);
      if (await this.#write(rk, value, ctx, epoch)) this.#stored.set(epoch, rk);
      value.fill(0);
    }
  }

  /**
   * Host-clock time of an epoch's start: the timestamp of every record about that epoch, so the key topic's
   * retention (rotation + grace + 10 min) deletes a key's bytes at a time fixed by its epoch, not by when it was
   * written. The trusted clock may be a replay's scenario clock: its offset to the host clock is applied.
   */
  #recordTime(epoch: number | null, ctx: OperatorContext): number {
    const host = Date.now();
    if (epoch === null) return host;
    return host - Math.max(0, (ctx.now?.() ?? host) - this.tokenizer.epochStart(epoch));
  }

  /** put (value) or tombstone (null) with retries; false when every attempt failed (tried again next batch). */
  async #write(rk: string, value: Buffer | null, ctx: OperatorContext, epoch: number | null): Promise<boolean> {
    const ts = this.#recordTime(epoch, ctx);
    const h = this.#handover as KeyHandover;
    const attempts = h.attempts ?? 5;
    for (let i = 1; i <= attempts; i++) {
      try {
        if (value === null) await h.store.remove(rk, ts);
        else await h.store.put(rk, value, ts);
        if (value === null) this.#handoverStats.tombstoned++;
        else this.#handoverStats.written++;
        return true;
      } catch (e) {
        if (i === attempts) {
          this.#handoverStats.writeFailures++;
          ctx.log.warn(
            { err: (e as Error).message, tombstone: value === null, attempts },
            'tokenizer key hand-over write failed: tokenizing on; a restart before it succeeds draws a new key',
          );
          return false;
        }
        await new Promise((r) => setTimeout(r, (h.retryMs ?? 500) * i));
      }
    }
    return false;
  }

  /** True when a live key is not written yet or a written key is no longer live (hand-over only). */
  #outOfSync(): boolean {
    if (!this.#handover) return false;
    const live = this.tokenizer.liveEpochs();
    return live.length !== this.#stored.size || live.some((e) => !this.#stored.has(e));
  }

  processBatch(events: readonly RawSighting[], ctx: OperatorContext): void | Promise<void> {
    // The key of this batch's epoch is handed over before any token made with it can be committed. Synchronous
    // when nothing is to be written (every batch of an epoch but its first).
    const before = this.tokenizer.stats();
    const now = ctx.now?.() ?? Date.now();
    this.tokenizer.advance(now);
    if (this.#outOfSync()) return this.#sync(ctx).then(() => this.#tokenizeBatch(events, now, before, ctx));
    this.#tokenizeBatch(events, now, before, ctx);
  }

  #tokenizeBatch(events: readonly RawSighting[], now: number, before: TokenizerStats, ctx: OperatorContext): void {
    for (const s of events) {
      const token = this.tokenizer.tokenize(s.kind, s.id, now);
      if (token === null) continue;
      const out: TokenSighting = { siteId: s.siteId, ts: s.ts, kind: s.kind, token };
      if (isRandomisedAddress(s.kind, s.id)) out.randomised = true;
      ctx.emit('sightings', token, out);
    }
    const after = this.tokenizer.stats();
    // Counts and epoch numbers only: never an identifier, a token or key material.
    if (after.rotations !== before.rotations) {
      ctx.log.info({ epoch: this.tokenizer.currentEpoch(), rotations: after.rotations }, 'tokenizer key rotated');
    }
    ctx.log.debug(
      {
        sightings: events.length,
        tokenized: after.tokenized - before.tokenized,
        dropped: after.droppedNoKey - before.droppedNoKey,
      },
      'tokenized batch',
    );
  }

  onWatermark(wm: number, ctx: OperatorContext): void | Promise<void> {
    // Destroys the previous epoch's key on time by the trusted clock, even when no sighting arrives (and its
    // hand-over record with it).
    if (!Number.isFinite(wm) || this.tokenizer.currentEpoch() === null) return;
    this.tokenizer.advance(ctx.now?.() ?? Date.now());
    if (this.#outOfSync()) return this.#sync(ctx);
  }

  snapshot(): Record<string, number> {
    const s = this.tokenizer.stats();
    const h = this.#handoverStats;
    return {
      tokenized: s.tokenized,
      droppedNoKey: s.droppedNoKey,
      rotations: s.rotations,
      ...(this.#handover
        ? {
            keysAdopted: h.adopted,
            keysWritten: h.written,
            keysTombstoned: h.tombstoned,
            keysUnreadable: h.unreadable,
            keyWriteFailures: h.writeFailures,
          }
        : {}),
    };
  }

  /**
   * A stop keeps the current key in the hand-over topic for the next instance (a deploy is a restart too); it is
   * tombstoned by whichever instance holds it when the epoch and grace end, or expires with the topic's retention.
   */
  async onClose(): Promise<void> {
    if (!this.tokenizer.destroyed) this.tokenizer.destroy();
    await this.#handover?.store.close?.();
  }
}

/**
 * `handover`: the key store, given by the Kafka worker when `privacy.keyHandover` is on and `privacy.keySecret`
 * empty (runtime.ts); embedded runs pass none (no restart to survive).
 */
export function tokenizerRole(
  config: Config,
  handover?: TokenizerKeyStore,
): ProcessorRole<RawSighting> & { sensitiveInput: true } {
  return {
    name: 'tokenizer',
    input: config.topics.sightingsRaw,
    codec: jsonCodec(RawSighting, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (s) => s.ts,
    // A stateless map: late sightings are passed on; the od-matcher decides (it dead-letters them).
    lateEvents: 'process',
    outputs: { sightings: config.topics.sightings },
    sensitiveInput: true,
    create: () =>
      new TokenizerOperator(
        Math.round(config.privacy.rotationHours * 3_600_000),
        config.privacy.keySecret,
        handover ? { store: handover, secret: config.privacy.keyHandoverSecret } : undefined,
      ),
  };
}
