import { createHash, timingSafeEqual } from 'node:crypto';
import { PassageError } from '@passage/config';
import type { FastifyRequest } from 'fastify';

export const ROLES = ['planner', 'traffic', 'data-officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling: a role from a valid key (with `keyId`, a short hash of the key that names it in rate limiting
 * without revealing it), or the public (no key).
 */
export type Principal = { role: Role; keyId: string } | { role: 'public' };

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * API keys from `config.api.keys` (`role:key`). Only SHA-256 hashes are kept; a presented key is hashed and
 * compared with every stored hash in constant time (no early exit), so timing tells nothing about which key
 * or how much of it matched.
 */
export class KeyRing {
  private readonly entries: { hash: Buffer; role: Role }[];

  constructor(keys: readonly string[]) {
    this.entries = keys.map((k) => {
      const i = k.indexOf(':');
      const role = k.slice(0, i) as Role;
      if (i < 0 || !(ROLES as readonly string[]).includes(role)) {
        throw new PassageError('PASSAGE_CONFIG_INVALID', 'api.keys entries must be role:key with a known role.');
      }
      return { hash: sha256(k.slice(i + 1)), role };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The role of a key, or null. */
  lookup(key: string): Role | null {
    return this.find(key)?.role ?? null;
  }

  private find(key: string): { hash: Buffer; role: Role } | null {
    const h = sha256(key);
    let found: { hash: Buffer; role: Role } | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(h, e.hash) && found === null) found = e;
    }
    return found;
  }

  /** The key a request presents (`x-api-key`, else `Authorization: Bearer <key>`), unchecked; null without one. */
  static presented(req: FastifyRequest): string | null {
    const header = req.headers['x-api-key'];
    let key = Array.isArray(header) ? header[0] : header;
    const auth = req.headers.authorization;
    if (!key && auth && /^Bearer\s+/i.test(auth)) key = auth.replace(/^Bearer\s+/i, '').trim();
    return key || null;
  }

  /** Reads `x-api-key` or `Authorization: Bearer <key>`; throws PASSAGE_BAD_KEY for an unknown key. */
  principal(req: FastifyRequest): Principal {
    const key = KeyRing.presented(req);
    if (!key) return { role: 'public' };
    const e = this.find(key);
    if (e) return { role: e.role, keyId: e.hash.subarray(0, 12).toString('hex') };
    throw new PassageError(
      'PASSAGE_BAD_KEY',
      'The API key is not valid: check the x-api-key header, or ask an admin for a key.',
    );
  }
}

/**
 * Failed key checks per client address (the socket's address: `trustProxy` is off) in fixed windows: past `max`
 * failures in a window, the address may not present a key until the window ends (guessing keys is slowed to `max`
 * tries a minute). Memory is bounded: at `capacity` addresses, expired windows are dropped, then the oldest.
 */
export class AuthFailures {
  private readonly byAddress = new Map<string, { n: number; until: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs = 60_000,
    private readonly capacity = 100_000,
  ) {}

  /** Seconds until `address` may present a key again; 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const w = this.byAddress.get(address);
    if (!w || w.until <= now) return 0;
    return w.n >= this.max ? Math.ceil((w.until - now) / 1000) : 0;
  }

  record(address: string, now = Date.now()): void {
    let w = this.byAddress.get(address);
    if (!w || w.until <= now) {
      if (this.byAddress.size >= this.capacity) this.evict(now);
      w = { n: 0, until: now + this.windowMs };
      this.byAddress.set(address, w);
    }
    w.n++;
  }

  private evict(now: number): void {
    for (const [a, w] of this.byAddress) if (w.until <= now) this.byAddress.delete(a);
    if (this.byAddress.size >= this.capacity) {
      const oldest = this.byAddress.keys().next().value;
      if (oldest !== undefined) this.byAddress.delete(oldest);
    }
  }
}

/**
 * Access rule of a route: the roles allowed, and whether this request may be served to the public (an open-data
 * view: k-anonymous and hourly or coarser). Admin may use every route.
 */
export interface Access {
  roles: readonly Role[];
  public?: boolean | ((req: FastifyRequest) => boolean);
}

export function authorize(access: Access, principal: Principal, req: FastifyRequest): void {
  if (access.public === true) return;
  if (principal.role === 'public') {
    const open = typeof access.public === 'function' && access.public(req);
    if (open) return;
    throw new PassageError(
      'PASSAGE_AUTH_REQUIRED',
      `This request needs an API key of role ${access.roles.join(' or ')} (header x-api-key or Authorization: Bearer).` +
        (access.public ? ' Without a key, ask for hourly or coarser aggregates.' : ''),
    );
  }
  if (principal.role === 'admin' || access.roles.includes(principal.role)) return;
  throw new PassageError(
    'PASSAGE_FORBIDDEN',
    `The role ${principal.role} may not use this route; it needs ${access.roles.join(' or ')}.`,
  );
}
