import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

// Capture every key buffer the tokenizer allocates, to prove that rotation wipes it.
const keys: Buffer[] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buf: T): T => {
      const out = real.randomFillSync(buf);
      keys.push(out as unknown as Buffer);
      return out;
    },
  };
});

const { Tokenizer, TOKEN_LENGTH, canonicalDeviceId, isRandomisedAddress, localMidnightOffsetMs } = await import(
  './tokenizer.ts'
);

const DAY = 86_400_000;
const T0 = Date.parse('2025-10-01T10:00:00Z');

describe('Tokenizer', () => {
  it('same device, same epoch → same token; another epoch → another token', () => {
    const t = new Tokenizer();
    const a = t.tokenize('wifi', 'aa:bb:cc:dd:ee:ff', T0) as string;
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).toHaveLength(TOKEN_LENGTH);
    expect(t.tokenize('wifi', 'aa:bb:cc:dd:ee:ff', T0 + 3_600_000)).toBe(a);
    expect(t.tokenize('ble', 'aa:bb:cc:dd:ee:ff', T0)).not.toBe(a); // kind is part of the input
    expect(t.tokenize('wifi', 'aa:bb:cc:dd:ee:fe', T0)).not.toBe(a);
    const b = t.tokenize('wifi', 'aa:bb:cc:dd:ee:ff', T0 + DAY);
    expect(b).not.toBeNull();
    expect(b).not.toBe(a);
    expect(t.stats()).toEqual({ tokenized: 5, droppedNoKey: 0, rotations: 2, adopted: 0 });
  });

  it('two tokenizers (a restart) never share tokens', () => {
    const a = new Tokenizer().tokenize('anpr', 'AB-123-CD', T0);
    const b = new Tokenizer().tokenize('anpr', 'AB-123-CD', T0);
    expect(a).not.toBe(b);
  });

  it('rotate() zeroes the old key buffer; the old token cannot be recomputed', () => {
    keys.length = 0;
    const t = new Tokenizer();
    const before = t.tokenize('wifi', 'dev-1', T0);
    expect(keys).toHaveLength(1);
    const old = keys[0];
    expect(old.length).toBe(32);
    expect(old.some((b) => b !== 0)).toBe(true);
    t.rotate();
    expect(keys).toHaveLength(2);
    expect(old.every((b) => b === 0)).toBe(true);
    expect(keys[1].some((b) => b !== 0)).toBe(true);
    // The old epoch's key is gone: its sightings are dropped, not tokenized under a wrong key.
    expect(t.tokenize('wifi', 'dev-1', T0)).toBeNull();
    expect(t.currentEpoch()).toBe(t.epochOf(T0) + 1);
    expect(t.tokenize('wifi', 'dev-1', T0 + DAY)).not.toBe(before);
    t.destroy();
    expect(keys[1].every((b) => b === 0)).toBe(true);
    expect(() => t.tokenize('wifi', 'dev-1', T0 + DAY)).toThrow(
      expect.objectContaining({ code: 'PASSAGE_TOKENIZER_DESTROYED' }),
    );
  });

  it('keeps the previous key for late sightings during the grace period only, then zeroes it', () => {
    keys.length = 0;
    const t = new Tokenizer({ previousKeyGraceMs: 300_000 });
    const midnight = Date.parse('2025-10-02T00:00:00Z');
    const a = t.tokenize('ble', 'x', midnight - 1000) as string;
    t.tokenize('ble', 'y', midnight + 1000); // new epoch: new key, the old one kept for 5 min
    expect(keys).toHaveLength(2);
    expect(t.tokenize('ble', 'x', midnight - 500)).toBe(a);
    t.advance(midnight + 300_000);
    expect(keys[0].every((b) => b === 0)).toBe(true);
    expect(t.tokenize('ble', 'x', midnight - 500)).toBeNull();
    expect(t.stats().droppedNoKey).toBe(1);
  });

  it('aligns epochs to local midnight', () => {
    const t = new Tokenizer({ epochOffsetMs: localMidnightOffsetMs(120) }); // CEST, UTC+2
    // 21:59Z and 22:01Z are 23:59 and 00:01 local: different epochs.
    expect(t.epochOf(Date.parse('2025-10-01T22:01:00Z'))).toBe(t.epochOf(Date.parse('2025-10-01T21:59:00Z')) + 1);
    expect(t.epochStart(t.epochOf(Date.parse('2025-10-01T22:01:00Z')))).toBe(Date.parse('2025-10-01T22:00:00Z'));
  });

  it('no API returns or prints the key', () => {
    keys.length = 0;
    const t = new Tokenizer();
    t.tokenize('wifi', 'dev', T0);
    const hex = keys[0].toString('hex');
    const b64 = keys[0].toString('base64');
    const shown = [
      JSON.stringify(t),
      inspect(t, { showHidden: true, depth: 5 }),
      String(Object.keys(t)),
      JSON.stringify(t.stats()),
    ];
    for (const s of shown) {
      expect(s.includes(hex)).toBe(false);
      expect(s.includes(b64)).toBe(false);
      expect(s).not.toMatch(/\bkey\b/i);
    }
    const methods = Object.getOwnPropertyNames(Tokenizer.prototype);
    // The only way out is the explicit hand-over copy (exportKey, used by the tokenizer role to write the current
    // key to its key topic: docs/OD-AND-PRIVACY.md, Key hand-over); no getter, no `key` property.
    expect(methods.filter((m) => /key/i.test(m)).sort()).toEqual(['adoptKey', 'derivedKeys', 'exportKey']); // derivedKeys: a boolean
  });

  it('tokenizeSighting keeps site, time and kind, drops the id', () => {
    const t = new Tokenizer();
    const s = t.tokenizeSighting({ siteId: 'S1', ts: T0, kind: 'wifi', id: 'aa:bb' });
    expect(s).toEqual({ siteId: 'S1', ts: T0, kind: 'wifi', token: t.tokenize('wifi', 'aa:bb', T0) });
    expect(JSON.stringify(s)).not.toContain('aa:bb');
  });

  it('rejects bad configuration', () => {
    expect(() => new Tokenizer({ rotationMs: 10 })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_PRIVACY_CONFIG' }),
    );
    expect(() => new Tokenizer({ previousKeyGraceMs: DAY })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_PRIVACY_CONFIG' }),
    );
  });

  it('isRandomisedAddress: locally administered MACs of Wi-Fi/BLE only', () => {
    expect(isRandomisedAddress('wifi', 'da:a1:19:00:00:01')).toBe(true); // 0xda: bit 0x02 set
    expect(isRandomisedAddress('ble', '06-00-00-00-00-01')).toBe(true);
    expect(isRandomisedAddress('wifi', '00:1a:2b:3c:4d:5e')).toBe(false); // universal (OUI)
    expect(isRandomisedAddress('wifi', 'a4:83:e7:00:00:01')).toBe(false); // 0xa4: bit 0x02 clear
    expect(isRandomisedAddress('anpr', '02:00:00:00:00:01')).toBe(false); // a plate field is never a MAC
    expect(isRandomisedAddress('wifi', 'device-42')).toBe(false); // not a MAC: nothing to tell
    expect(isRandomisedAddress('wifi', 'daa1.1900.0001')).toBe(true); // Cisco's dotted form
  });

  it('one device, one token whatever the vendor writes: MACs and plates in their canonical form', () => {
    expect(
      ['AA:BB:CC:DD:EE:FF', 'aa-bb-cc-dd-ee-ff', ' aabbccddeeff ', 'aabb.ccdd.eeff'].map((m) =>
        canonicalDeviceId('wifi', m),
      ),
    ).toEqual(['aabbccddeeff', 'aabbccddeeff', 'aabbccddeeff', 'aabbccddeeff']);
    expect(['AB-123-CD', 'ab 123 cd', 'AB123CD', 'ab.123.cd'].map((p) => canonicalDeviceId('anpr', p))).toEqual([
      'AB123CD',
      'AB123CD',
      'AB123CD',
      'AB123CD',
    ]);
    expect(canonicalDeviceId('ble', ' device-42 ')).toBe('device-42'); // not a MAC: trimmed only
    expect(canonicalDeviceId('anpr', ' -- ')).toBe('--'); // nothing left: kept as it came
    const t = new Tokenizer();
    const a = t.tokenize('anpr', 'AB-123-CD', T0);
    expect(t.tokenize('anpr', 'ab 123 cd', T0)).toBe(a);
    expect(t.tokenize('anpr', 'AB-123-CE', T0)).not.toBe(a);
    const m = t.tokenize('wifi', 'AA:BB:CC:DD:EE:FF', T0);
    expect(t.tokenize('wifi', 'aabb.ccdd.eeff', T0)).toBe(m);
    expect(t.tokenize('ble', 'aabb.ccdd.eeff', T0)).not.toBe(m); // the kind still counts
  });
});

describe('Tokenizer with an operator secret (privacy.keySecret, opt-in)', () => {
  const secret = 'k3y-s3cret-for-tests-0123456789abcdefXYZ';
  const t = Date.parse('2026-03-10T08:00:00Z');

  it('a restart inside the epoch gives the same tokens; another epoch or another secret does not', () => {
    const a = new Tokenizer({ rotationMs: 86_400_000, keySecret: secret });
    const before = a.tokenize('anpr', 'AB-123-CD', t);
    a.destroy(); // SIGKILL or restart: nothing kept
    const b = new Tokenizer({ rotationMs: 86_400_000, keySecret: secret });
    expect(b.derivedKeys).toBe(true);
    expect(b.tokenize('anpr', 'AB-123-CD', t + 3_600_000)).toBe(before);
    expect(b.tokenize('anpr', 'AB-123-CD', t + 86_400_000)).not.toBe(before);
    const other = new Tokenizer({ rotationMs: 86_400_000, keySecret: `${secret}!` });
    expect(other.tokenize('anpr', 'AB-123-CD', t)).not.toBe(before);
    const random = new Tokenizer({ rotationMs: 86_400_000 });
    expect(random.derivedKeys).toBe(false);
    expect(random.tokenize('anpr', 'AB-123-CD', t)).not.toBe(before);
  });

  it('refuses a short secret without echoing it, and never serialises it', () => {
    let err: Error | undefined;
    try {
      new Tokenizer({ keySecret: 'short-s3cret' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/at least 32/);
    expect(err?.message).not.toContain('short-s3cret');
    const tk = new Tokenizer({ keySecret: secret });
    tk.tokenize('wifi', '00:11:22:33:44:55', t);
    expect(JSON.stringify(tk)).not.toContain(secret);
    expect(inspect(tk, { depth: 5, showHidden: true })).not.toContain(secret);
  });
});
