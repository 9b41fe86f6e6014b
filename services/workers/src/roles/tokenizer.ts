import type { Config } from '@passage/config';
import { isRandomisedAddress, Tokenizer } from '@passage/core';
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
 * - The epoch key is random, lives only in this process, is zeroed when its epoch (plus a 5-minute grace for
 *   late sightings) is over and when the role closes. Sightings whose epoch key is gone are dropped and counted
 *   in `passage_state_size{state="droppedNoKey"}`.
 * - Rotation: every `privacy.rotationHours` of the runtime's TRUSTED clock (`ctx.now()`: the host's UTC clock, or
 *   a replay's scenario clock), boundaries at UTC multiples of the period; never by message time, so a forged or
 *   broken timestamp cannot end an epoch and destroy the current key (the runtime's time guard dead-letters such
 *   inputs with BAD_TIMESTAMP before they get here). A sighting gets the key of the epoch it is processed in.
 *
 * Deployment: run ONE tokenizer instance (`passage worker --role tokenizer`, any number of partitions): each
 * process draws its own key, so two instances would give one device two tokens and no trip could be matched.
 * A restart also draws a new key (trips spanning a restart are lost: the price of keys that are never stored),
 * unless the operator opted in to keys derived from `privacy.keySecret` (PASSAGE_PRIVACY_KEY_SECRET): then a
 * restart within an epoch keeps the tokens (weaker privacy: whoever holds the secret can recompute epoch keys;
 * docs/OD-AND-PRIVACY.md, Tokens).
 * Throughput is not the limit: one instance tokenizes several 100k sightings/s.
 */
export class TokenizerOperator implements Operator<RawSighting> {
  readonly name = 'tokenizer';
  private readonly tokenizer: Tokenizer;

  constructor(rotationMs: number, keySecret = '') {
    this.tokenizer = new Tokenizer({ rotationMs, ...(keySecret !== '' ? { keySecret } : {}) });
  }

  processBatch(events: readonly RawSighting[], ctx: OperatorContext): void {
    const before = this.tokenizer.stats();
    const now = ctx.now?.() ?? Date.now();
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

  onWatermark(wm: number, ctx: OperatorContext): void {
    // Destroys the previous epoch's key on time by the trusted clock, even when no sighting arrives.
    if (Number.isFinite(wm) && this.tokenizer.currentEpoch() !== null)
      this.tokenizer.advance(ctx.now?.() ?? Date.now());
  }

  snapshot(): Record<string, number> {
    const s = this.tokenizer.stats();
    return { tokenized: s.tokenized, droppedNoKey: s.droppedNoKey, rotations: s.rotations };
  }

  onClose(): void {
    if (!this.tokenizer.destroyed) this.tokenizer.destroy();
  }
}

export function tokenizerRole(config: Config): ProcessorRole<RawSighting> & { sensitiveInput: true } {
  return {
    name: 'tokenizer',
    input: config.topics.sightingsRaw,
    codec: jsonCodec(RawSighting, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (s) => s.ts,
    // A stateless map: late sightings are passed on; the od-matcher decides (it dead-letters them).
    lateEvents: 'process',
    outputs: { sightings: config.topics.sightings },
    sensitiveInput: true,
    create: () => new TokenizerOperator(Math.round(config.privacy.rotationHours * 3_600_000), config.privacy.keySecret),
  };
}
