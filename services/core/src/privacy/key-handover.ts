/**
 * Key hand-over record of the tokenizer (docs/OD-AND-PRIVACY.md, Key hand-over): the bytes a tokenizer writes to its
 * compacted internal key topic so that a restarted instance adopts the current epoch's random key. Pure (no I/O).
 *
 * Layout (binary, never JSON, so the key never exists as an immutable JS string):
 *   'PTK1' | mode (1 byte: 0 plain, 1 AES-256-GCM) | rotationMs | epochOffsetMs | epoch (3 × float64 BE)
 *   | mode 0: key (32) | mode 1: iv (12) | tag (16) | ciphertext (32)
 * The header (everything before the key) is the GCM additional data: a record cannot be moved to another epoch or
 * rotation. With a key-encryption secret (`privacy.keyHandoverSecret`), the AES key is
 * HMAC-SHA-256(secret, "passage-tokenizer-key-handover|v1"); without it the key is stored in clear (the topic is then
 * as sensitive as the tokenizer's memory, for the epoch's duration).
 */
import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';
import { PassageError } from '../errors.ts';

const MAGIC = Buffer.from('PTK1', 'ascii');
const HEADER = 4 + 1 + 3 * 8;
const KEY_BYTES = 32;
const IV = 12;
const TAG = 16;

export interface HandoverEpoch {
  rotationMs: number;
  epochOffsetMs: number;
  epoch: number;
}

/** Record key of an epoch's key in the key topic (compaction and tombstones work per record key). */
export function handoverRecordKey(e: HandoverEpoch): string {
  return `${e.rotationMs}/${e.epochOffsetMs}/${e.epoch}`;
}

/** The AES-256 key derived from the operator's key-encryption secret (≥ 32 characters), or null without one. */
export function handoverKek(secret: string): Buffer | null {
  if (secret === '') return null;
  if (secret.length < 32) {
    // The value is never part of a message (it is a secret).
    throw new PassageError(
      'PASSAGE_PRIVACY_CONFIG',
      `privacy.keyHandoverSecret is too short (${secret.length} characters): use at least 32 random characters, e.g. \`openssl rand -base64 48\`, or leave it empty to store the hand-over key unencrypted.`,
    );
  }
  return createHmac('sha256', secret).update('passage-tokenizer-key-handover|v1').digest();
}

function header(e: HandoverEpoch, mode: number): Buffer {
  const h = Buffer.alloc(HEADER);
  MAGIC.copy(h, 0);
  h.writeUInt8(mode, 4);
  h.writeDoubleBE(e.rotationMs, 5);
  h.writeDoubleBE(e.epochOffsetMs, 13);
  h.writeDoubleBE(e.epoch, 21);
  return h;
}

/** The record value for `key` (32 bytes) of epoch `e`; encrypted when `kek` is given. */
export function sealHandoverKey(e: HandoverEpoch, key: Buffer, kek: Buffer | null): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`a hand-over key has ${KEY_BYTES} bytes`);
  const h = header(e, kek === null ? 0 : 1);
  if (kek === null) return Buffer.concat([h, key]);
  const iv = Buffer.alloc(IV);
  randomFillSync(iv);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(h);
  const ct = Buffer.concat([c.update(key), c.final()]);
  return Buffer.concat([h, iv, c.getAuthTag(), ct]);
}

export type OpenedHandoverKey =
  | { ok: true; epoch: number; key: Buffer }
  | { ok: false; reason: 'malformed' | 'other-rotation' | 'needs-secret' | 'wrong-secret' };

/**
 * Reads a record value written by {@link sealHandoverKey} for the rotation of `expect` (its `epoch` is ignored).
 * The returned key is a fresh buffer the caller zeroes after use. Never throws on bad input: a record of another
 * rotation, a missing or wrong secret, or a malformed value is reported, and its bytes are not returned.
 */
export function openHandoverKey(
  value: Buffer,
  expect: Omit<HandoverEpoch, 'epoch'>,
  kek: Buffer | null,
): OpenedHandoverKey {
  if (value.length < HEADER || !value.subarray(0, 4).equals(MAGIC)) return { ok: false, reason: 'malformed' };
  const mode = value.readUInt8(4);
  const rotationMs = value.readDoubleBE(5);
  const epochOffsetMs = value.readDoubleBE(13);
  const epoch = value.readDoubleBE(21);
  if (!Number.isSafeInteger(epoch)) return { ok: false, reason: 'malformed' };
  if (rotationMs !== expect.rotationMs || epochOffsetMs !== expect.epochOffsetMs)
    return { ok: false, reason: 'other-rotation' };
  const h = value.subarray(0, HEADER);
  if (mode === 0) {
    if (value.length !== HEADER + KEY_BYTES) return { ok: false, reason: 'malformed' };
    const key = Buffer.alloc(KEY_BYTES);
    value.copy(key, 0, HEADER);
    return { ok: true, epoch, key };
  }
  if (mode !== 1 || value.length !== HEADER + IV + TAG + KEY_BYTES) return { ok: false, reason: 'malformed' };
  if (kek === null) return { ok: false, reason: 'needs-secret' };
  try {
    const d = createDecipheriv('aes-256-gcm', kek, value.subarray(HEADER, HEADER + IV));
    d.setAAD(h);
    d.setAuthTag(value.subarray(HEADER + IV, HEADER + IV + TAG));
    const key = Buffer.concat([d.update(value.subarray(HEADER + IV + TAG)), d.final()]);
    return { ok: true, epoch, key };
  } catch {
    return { ok: false, reason: 'wrong-secret' };
  }
}
