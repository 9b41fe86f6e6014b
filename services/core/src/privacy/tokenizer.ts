/**
 * Tokenizer: replaces raw device identifiers (Wi-Fi/BLE MAC addresses, plates) by keyed hashes at the
 * first stage (docs/OD-AND-PRIVACY.md, docs/adr/0002-privacy-model.md). token = base64url(HMAC-SHA-256(epochKey, `${kind}|${id}`)) truncated to
 * 22 characters (132 bits, of which ≥ 128 carry entropy), `id` in its canonical form (`canonicalDeviceId`: one device,
 * one token, whatever the sensor vendor's way of writing its address or plate).
 *
 * ## Key management (why a random per-epoch key and not HKDF(secret, epoch))
 *
 * Acceptance: "after a restart past a rotation, old tokens cannot be recomputed from anything stored".
 * - A key derived as HKDF(secret, salt = epoch) from a secret that comes from configuration fails this:
 *   the secret is stored (environment, file, vault), so anyone holding it can recompute the key of any
 *   past epoch and re-identify old tokens by hashing candidate MACs or plates (a small, enumerable space).
 * - A hash ratchet (key_{e+1} = HMAC(key_e, 'next'), old key erased) only helps if the starting secret is
 *   itself erased, which configuration cannot guarantee.
 * - So each epoch gets 32 bytes from the CSPRNG (`randomFillSync`), held only in this process's memory, in a
 *   Buffer that is overwritten with zeros (`fill(0)`) when the epoch is rotated out or `destroy()` is called.
 *   Nothing about the key is ever written, logged or returned by any method. After a restart there is no
 *   material left from which a past token could be recomputed.
 *
 * Consequences, accepted on purpose (without an operator secret, below):
 * - A restart inside an epoch starts a new key: a device seen before and after the restart gets two
 *   tokens, so trips spanning the restart are lost (the OD matcher only sees two shorter sessions).
 * - Every process has its own key, so the tokenizer role must run as ONE instance (or one instance per
 *   disjoint population of devices): two instances tokenizing different sites would give the same device
 *   two tokens and no trip could be matched. HMAC costs ~2 µs, one process handles several 100k/s.
 *
 * ## Operator secret (opt-in: `privacy.keySecret`, env PASSAGE_PRIVACY_KEY_SECRET)
 * The price above is the crash cost of a tokenizer restart (measured: one SIGKILL lost 29 % of the hour's trips).
 * An operator who accepts weaker privacy may supply a secret: each epoch's key is then
 * HMAC-SHA-256(secret, `passage-tokenizer-epoch-key|v1|rotationMs|epochOffsetMs|epoch`), so a restart inside an
 * epoch keeps the tokens and loses no trip. Nothing about the key is written either; but the secret itself is
 * stored by the operator, so whoever holds it (and the pseudonymous tokens of an epoch) can recompute that epoch's
 * key and re-identify tokens by hashing candidate plates or MACs. Acceptable only when the secret is kept like a
 * signing key (vault, not in the repository) and REPLACED regularly (replacing it has the effect of a restart
 * without secret). Without a secret (the default) keys are random as described above.
 *
 * ## Key hand-over within an epoch (the worker's default under Kafka, without a secret)
 * {@link Tokenizer.liveEpochs}, {@link Tokenizer.exportKey} and {@link Tokenizer.adoptKey} let the worker hand the
 * CURRENT random key to its own successor: it writes each key it creates to a compacted internal topic (optionally
 * encrypted) and tombstones it when the key is zeroed here; a restarted tokenizer adopts the keys still live, so a
 * restart inside an epoch keeps the tokens. No key is derivable from configuration: after a rotation (plus the grace
 * period) the key is gone from memory and tombstoned in the topic (docs/OD-AND-PRIVACY.md, Key hand-over).
 *
 * ## Epochs
 * epoch(ts) = floor((ts − epochOffsetMs) / rotationMs). With the default rotationMs = 24 h, set
 * epochOffsetMs = −utcOffsetMinutes·60 000 (see {@link localMidnightOffsetMs}) to rotate at local midnight.
 * Keys are created forward in event time: the first sighting of a new epoch rotates the key. A sighting of
 * the previous epoch is still tokenized while it is within `previousKeyGraceMs` of the boundary (late data);
 * the previous key is zeroed as soon as a sighting or {@link Tokenizer.advance} passes boundary + grace.
 * Older sightings are dropped (`tokenize` returns null) and counted in `stats().droppedNoKey`.
 */

import { createHmac, randomFillSync } from 'node:crypto';
import { PassageError } from '../errors.ts';

export type SightingKindLike = 'wifi' | 'ble' | 'anpr';

/** Same shape as `RawSighting` in @passage/stream contracts (core stays free of our packages). */
export interface RawSightingLike {
  siteId: string;
  ts: number;
  kind: SightingKindLike;
  id: string;
}

/** Same shape as `TokenSighting` in @passage/stream contracts. */
export interface TokenSightingLike {
  siteId: string;
  ts: number;
  kind: SightingKindLike;
  token: string;
  /** The raw address was a locally administered (randomised) MAC: see isRandomisedAddress. */
  randomised?: boolean;
}

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/;
/** Cisco's dotted form of a MAC address, `aabb.ccdd.eeff`. */
const MAC_DOTTED_RE = /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/;

/**
 * The canonical form of a sighting's id, which the token is computed from, so that two sensors that write the same
 * device or plate differently give one token: a Wi-Fi/BLE MAC address (`AA:BB:CC:DD:EE:FF`, `aa-bb-…`,
 * `aabbccddeeff`, Cisco's `aabb.ccdd.eeff`) → twelve lower-case hex digits; a plate → its letters and digits,
 * upper-case, without spaces, dashes or dots (`ab-123 cd` → `AB123CD`); any other id trimmed. An id with nothing
 * left is kept as it came (trimmed). The raw id is not kept: the result only feeds the keyed hash.
 */
export function canonicalDeviceId(kind: SightingKindLike, id: string): string {
  const t = id.trim();
  if (kind === 'anpr') {
    const plate = t.replace(/[^\p{L}\p{N}]/gu, '').toUpperCase();
    return plate === '' ? t : plate;
  }
  if (MAC_RE.test(t) || MAC_DOTTED_RE.test(t)) return t.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  return t;
}

/**
 * True when a Wi-Fi/BLE id is a MAC address with the locally administered bit (0x02 of the first octet) set:
 * a randomised address, which phones rotate every few minutes (Wi-Fi probe requests, BLE resolvable private
 * addresses). Such an address cannot follow a device along a trip: its token yields fragments. Plates, and
 * ids that are not MACs, are never randomised.
 */
export function isRandomisedAddress(kind: SightingKindLike, id: string): boolean {
  const t = id.trim();
  if (kind === 'anpr' || !(MAC_RE.test(t) || MAC_DOTTED_RE.test(t))) return false;
  return (Number.parseInt(t.slice(0, 2), 16) & 0x02) !== 0;
}

export interface TokenizerOptions {
  /** Epoch length. @default 86_400_000 (24 h) */
  rotationMs?: number;
  /** Shift of epoch boundaries, ms: boundaries are at k·rotationMs + epochOffsetMs. @default 0 (UTC midnight) */
  epochOffsetMs?: number;
  /** How long after a boundary a late sighting of the previous epoch is still tokenized. @default 300_000 */
  previousKeyGraceMs?: number;
  /**
   * OPT-IN, weaker privacy (see "Operator secret" above): an operator-supplied secret (≥ 32 characters, e.g.
   * `openssl rand -base64 48`) from which each epoch's key is derived as HMAC-SHA-256(secret, epoch label), so a
   * restarted tokenizer (or a second instance) gives the same tokens within an epoch. Anyone holding the secret can
   * recompute the key of any epoch. @default undefined (random per-epoch keys, never recomputable)
   */
  keySecret?: string;
}

export interface TokenizerStats {
  tokenized: number;
  /** Sightings whose epoch key no longer exists (too late) or does not exist yet (further back). */
  droppedNoKey: number;
  rotations: number;
  /** Keys adopted from an earlier instance (key hand-over). */
  adopted: number;
}

export const TOKEN_LENGTH = 22;
const KEY_BYTES = 32;

function configError(message: string): PassageError {
  return new PassageError('PASSAGE_PRIVACY_CONFIG', message);
}

/** epochOffsetMs that aligns epochs to local midnight for a zone at `utcOffsetMinutes` (e.g. +60 for CET). */
export function localMidnightOffsetMs(utcOffsetMinutes: number): number {
  return -utcOffsetMinutes * 60_000;
}

interface EpochKey {
  epoch: number;
  key: Buffer;
}

export class Tokenizer {
  readonly rotationMs: number;
  readonly epochOffsetMs: number;
  readonly previousKeyGraceMs: number;
  #current: EpochKey | null = null;
  #previous: EpochKey | null = null;
  #destroyed = false;
  #stats: TokenizerStats = { tokenized: 0, droppedNoKey: 0, rotations: 0, adopted: 0 };
  /** The operator secret (opt-in), in a dedicated buffer zeroed by destroy(). */
  #secret: Buffer | null = null;

  constructor(options: TokenizerOptions = {}) {
    this.rotationMs = options.rotationMs ?? 86_400_000;
    this.epochOffsetMs = options.epochOffsetMs ?? 0;
    this.previousKeyGraceMs = options.previousKeyGraceMs ?? 300_000;
    if (!Number.isFinite(this.rotationMs) || this.rotationMs < 1000) {
      throw configError(`rotationMs = ${this.rotationMs} must be a number ≥ 1000; the default is 86400000 (24 h).`);
    }
    if (!Number.isFinite(this.epochOffsetMs)) throw configError('epochOffsetMs must be a finite number of ms.');
    if (!(this.previousKeyGraceMs >= 0 && this.previousKeyGraceMs < this.rotationMs)) {
      throw configError(`previousKeyGraceMs = ${this.previousKeyGraceMs} must be ≥ 0 and < rotationMs.`);
    }
    if (options.keySecret !== undefined && options.keySecret !== '') {
      // The value is never part of a message (it is a secret).
      if (options.keySecret.length < 32) {
        throw configError(
          `privacy.keySecret is too short (${options.keySecret.length} characters): use at least 32 random characters, e.g. \`openssl rand -base64 48\`, or leave it empty for random keys.`,
        );
      }
      const b = Buffer.from(options.keySecret, 'utf8');
      this.#secret = Buffer.alloc(b.length);
      b.copy(this.#secret);
      b.fill(0);
    }
  }

  /** True when keys are derived from an operator secret (same tokens after a restart within an epoch). */
  get derivedKeys(): boolean {
    return this.#secret !== null;
  }

  epochOf(ts: number): number {
    return Math.floor((ts - this.epochOffsetMs) / this.rotationMs);
  }

  /** Start of an epoch, ms since the Unix epoch. */
  epochStart(epoch: number): number {
    return epoch * this.rotationMs + this.epochOffsetMs;
  }

  /** The epoch whose key is current, or null before the first sighting / after destroy. */
  currentEpoch(): number | null {
    return this.#current?.epoch ?? null;
  }

  stats(): Readonly<TokenizerStats> {
    return { ...this.#stats };
  }

  /**
   * Token for (kind, id) at event time ts, or null when the key of ts's epoch is gone (or never existed
   * because ts is older than the first epoch this process saw).
   */
  tokenize(kind: SightingKindLike, id: string, ts: number): string | null {
    this.#assertAlive();
    const epoch = this.epochOf(ts);
    this.advance(ts);
    let key: Buffer | null = null;
    if (this.#current !== null && this.#current.epoch === epoch) key = this.#current.key;
    else if (this.#previous !== null && this.#previous.epoch === epoch) key = this.#previous.key;
    if (key === null) {
      this.#stats.droppedNoKey++;
      return null;
    }
    this.#stats.tokenized++;
    return createHmac('sha256', key)
      .update(kind)
      .update('|')
      .update(canonicalDeviceId(kind, id))
      .digest('base64url')
      .slice(0, TOKEN_LENGTH);
  }

  /** Tokenize one raw sighting; the raw id is not copied anywhere. */
  tokenizeSighting(s: RawSightingLike): TokenSightingLike | null {
    const token = this.tokenize(s.kind, s.id, s.ts);
    return token === null ? null : { siteId: s.siteId, ts: s.ts, kind: s.kind, token };
  }

  /**
   * Move event time forward: creates the key of ts's epoch when it is newer than the current one, and
   * zeroes the previous key once ts is past its grace period. Called by `tokenize`; a worker also calls
   * it on watermarks so that keys are destroyed on time even when no sighting arrives.
   */
  advance(ts: number): void {
    this.#assertAlive();
    const epoch = this.epochOf(ts);
    if (this.#current === null || epoch > this.#current.epoch) {
      // Keep the outgoing key for late sightings only when the new epoch directly follows it.
      this.#install(epoch, this.#current !== null && epoch === this.#current.epoch + 1);
    }
    if (this.#previous !== null && ts >= this.epochStart(this.#previous.epoch + 1) + this.previousKeyGraceMs) {
      this.#previous.key.fill(0);
      this.#previous = null;
    }
  }

  /**
   * Rotate now: every existing key is zeroed at once (no grace period) and a fresh random key is created
   * for `toEpoch` (default: current epoch + 1, or the epoch of `Date.now()` before the first sighting).
   * Sightings of older epochs are dropped from then on.
   */
  rotate(toEpoch?: number): void {
    this.#assertAlive();
    const next = toEpoch ?? (this.#current === null ? this.epochOf(Date.now()) : this.#current.epoch + 1);
    if (this.#current !== null && next <= this.#current.epoch) {
      throw configError(`rotate(${next}) must move forward from epoch ${this.#current.epoch}.`);
    }
    this.#install(next, false);
  }

  #install(epoch: number, keepPrevious: boolean): void {
    if (this.#previous !== null) {
      this.#previous.key.fill(0);
      this.#previous = null;
    }
    if (this.#current !== null) {
      if (keepPrevious) this.#previous = this.#current;
      else this.#current.key.fill(0);
    }
    // A dedicated (non-pooled) buffer, so that fill(0) wipes exactly and only this key.
    const key = Buffer.alloc(KEY_BYTES);
    if (this.#secret === null) randomFillSync(key);
    else {
      createHmac('sha256', this.#secret)
        .update(`passage-tokenizer-epoch-key|v1|${this.rotationMs}|${this.epochOffsetMs}|${epoch}`)
        .digest()
        .copy(key);
    }
    this.#current = { epoch, key };
    this.#stats.rotations++;
  }

  /** Epochs whose key is held now (previous first), for the key hand-over. */
  liveEpochs(): number[] {
    const out: number[] = [];
    if (this.#previous !== null) out.push(this.#previous.epoch);
    if (this.#current !== null) out.push(this.#current.epoch);
    return out;
  }

  /**
   * A COPY of the key of `epoch` (null when it is not held), for the key hand-over only: the caller stores it where
   * a restarted tokenizer of the same deployment can adopt it, and zeroes the copy (`fill(0)`) when done.
   */
  exportKey(epoch: number): Buffer | null {
    this.#assertAlive();
    const k =
      this.#current?.epoch === epoch ? this.#current.key : this.#previous?.epoch === epoch ? this.#previous.key : null;
    if (k === null) return null;
    const copy = Buffer.alloc(KEY_BYTES);
    k.copy(copy);
    return copy;
  }

  /**
   * Adopts a key handed over by an earlier instance (before the first sighting: once a key was created, a key of
   * the same or a later epoch wins). The bytes are copied; the caller zeroes its buffer. Returns false (nothing
   * adopted) when the key does not fit: wrong length, an epoch this tokenizer already holds, or an epoch older than
   * the one before the current. Does not count as a rotation; `advance` zeroes it on time like any key.
   */
  adoptKey(epoch: number, key: Buffer): boolean {
    this.#assertAlive();
    if (key.length !== KEY_BYTES || !Number.isSafeInteger(epoch)) return false;
    const copy = () => {
      const b = Buffer.alloc(KEY_BYTES);
      key.copy(b);
      return { epoch, key: b };
    };
    const cur = this.#current;
    if (cur === null) this.#current = copy();
    else if (epoch === cur.epoch + 1) {
      this.#previous?.key.fill(0);
      this.#previous = cur;
      this.#current = copy();
    } else if (epoch === cur.epoch - 1 && this.#previous === null) this.#previous = copy();
    else return false;
    this.#stats.adopted++;
    return true;
  }

  /** Zero every key; the tokenizer cannot be used afterwards. */
  destroy(): void {
    if (this.#current !== null) this.#current.key.fill(0);
    if (this.#previous !== null) this.#previous.key.fill(0);
    this.#current = null;
    this.#previous = null;
    this.#secret?.fill(0);
    this.#secret = null;
    this.#destroyed = true;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Never serialise key material, even by accident. */
  toJSON(): Record<string, unknown> {
    return { rotationMs: this.rotationMs, epochOffsetMs: this.epochOffsetMs, currentEpoch: this.currentEpoch() };
  }

  #assertAlive(): void {
    if (this.#destroyed) {
      throw Object.assign(new Error('PASSAGE_TOKENIZER_DESTROYED: this tokenizer was destroyed; create a new one.'), {
        code: 'PASSAGE_TOKENIZER_DESTROYED',
      });
    }
  }
}
