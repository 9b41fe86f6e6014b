import { describe, expect, it } from 'vitest';
import { handoverKek, handoverRecordKey, openHandoverKey, sealHandoverKey } from './key-handover.ts';
import { Tokenizer } from './tokenizer.ts';

const HOUR = 3_600_000;
const ROT = { rotationMs: HOUR, epochOffsetMs: 0 };
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255));

describe('key hand-over record', () => {
  it('round-trips a key in clear and encrypted; the encrypted record does not contain the key', () => {
    const plain = sealHandoverKey({ ...ROT, epoch: 493_000 }, KEY, null);
    expect(plain.length).toBe(29 + 32);
    expect(plain.includes(KEY)).toBe(true);
    const o = openHandoverKey(plain, ROT, null);
    expect(o.ok && o.epoch).toBe(493_000);
    expect(o.ok && o.key.equals(KEY)).toBe(true);

    const kek = handoverKek('kek-for-tests-only-0123456789-abcdefgh');
    const enc = sealHandoverKey({ ...ROT, epoch: 493_000 }, KEY, kek);
    expect(enc.length).toBe(29 + 12 + 16 + 32);
    expect(enc.includes(KEY)).toBe(false);
    expect(enc.includes(KEY.subarray(0, 8))).toBe(false);
    const e = openHandoverKey(enc, ROT, kek);
    expect(e.ok && e.key.equals(KEY)).toBe(true);
    // Two seals of the same key differ (random IV).
    expect(sealHandoverKey({ ...ROT, epoch: 493_000 }, KEY, kek).equals(enc)).toBe(false);
  });

  it('refuses a record of another rotation, without the secret, with a wrong secret, moved to another epoch', () => {
    const kek = handoverKek('kek-for-tests-only-0123456789-abcdefgh');
    const enc = sealHandoverKey({ ...ROT, epoch: 7 }, KEY, kek);
    expect(openHandoverKey(enc, { rotationMs: 2 * HOUR, epochOffsetMs: 0 }, kek)).toEqual({
      ok: false,
      reason: 'other-rotation',
    });
    expect(openHandoverKey(enc, ROT, null)).toEqual({ ok: false, reason: 'needs-secret' });
    expect(openHandoverKey(enc, ROT, handoverKek('another-kek-for-tests-0123456789-abcdefgh'))).toEqual({
      ok: false,
      reason: 'wrong-secret',
    });
    const moved = Buffer.from(enc);
    moved.writeDoubleBE(8, 21); // the header is authenticated: a key cannot be replayed as another epoch's
    expect(openHandoverKey(moved, ROT, kek)).toEqual({ ok: false, reason: 'wrong-secret' });
    expect(openHandoverKey(Buffer.from('PTK1'), ROT, null)).toEqual({ ok: false, reason: 'malformed' });
    expect(openHandoverKey(Buffer.alloc(61), ROT, null)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a key-encryption secret shorter than 32 characters is refused without echoing it', () => {
    expect(() => handoverKek('short-secret-xyz')).toThrow(/keyHandoverSecret is too short \(16 characters\)/);
    try {
      handoverKek('short-secret-xyz');
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('short-secret-xyz');
    }
    expect(handoverKek('')).toBeNull();
    expect(handoverRecordKey({ ...ROT, epoch: 12 })).toBe('3600000/0/12');
  });
});

describe('Tokenizer exportKey / adoptKey', () => {
  const T = Date.parse('2026-03-10T07:20:00Z');
  it('an adopted key gives the same tokens as the tokenizer that exported it', () => {
    const a = new Tokenizer({ rotationMs: HOUR });
    const ta = a.tokenize('wifi', '00:1a:2b:00:00:01', T);
    const epoch = a.epochOf(T);
    expect(a.liveEpochs()).toEqual([epoch]);
    const k = a.exportKey(epoch) as Buffer;
    expect(a.exportKey(epoch - 1)).toBeNull();
    const b = new Tokenizer({ rotationMs: HOUR });
    expect(b.adoptKey(epoch, k)).toBe(true);
    k.fill(0); // the caller's copy: zeroing it does not touch the adopted key
    expect(b.tokenize('wifi', '00:1a:2b:00:00:01', T + 600_000)).toBe(ta);
    expect(b.stats()).toMatchObject({ adopted: 1, rotations: 0, tokenized: 1 });
    // A fresh tokenizer without the hand-over gives another token.
    expect(new Tokenizer({ rotationMs: HOUR }).tokenize('wifi', '00:1a:2b:00:00:01', T)).not.toBe(ta);
  });

  it('adopts the previous epoch beside the current one, refuses what does not fit, zeroes on time', () => {
    const a = new Tokenizer({ rotationMs: HOUR });
    const e = a.epochOf(T);
    const b = new Tokenizer({ rotationMs: HOUR });
    expect(b.adoptKey(e - 1, Buffer.alloc(32, 1))).toBe(true);
    expect(b.adoptKey(e, Buffer.alloc(32, 2))).toBe(true);
    expect(b.liveEpochs()).toEqual([e - 1, e]);
    expect(b.adoptKey(e, Buffer.alloc(32, 3))).toBe(false); // held already
    expect(b.adoptKey(e - 5, Buffer.alloc(32, 3))).toBe(false);
    expect(b.adoptKey(e + 1, Buffer.alloc(31, 3))).toBe(false); // wrong length
    // 20 min into epoch e: past the 5-min grace, the previous key is zeroed.
    b.advance(T);
    expect(b.liveEpochs()).toEqual([e]);
    expect(b.stats().rotations).toBe(0);
  });
});
