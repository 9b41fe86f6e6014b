/**
 * HTTP security headers of every response (API, dashboard, errors, the live stream): a Content Security Policy
 * that fits the dashboard (its own scripts only; WebGL; MapLibre's blob workers; the configured map style's tiles),
 * no MIME sniffing, no framing, no referrer.
 */
import { createHash } from 'node:crypto';
import type { Config } from '@passage/config';

/** Inline event handlers of the dashboard's index.html, allowed by hash (CSP `'unsafe-hashes'`). */
const INLINE_HANDLERS = ['return false'];

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * The Content Security Policy. With `api.mapStyleUrl` set, the style's origin and any https host (its tiles,
 * glyphs and sprites may live elsewhere) are allowed for fetches, images and fonts.
 */
export function contentSecurityPolicy(mapStyleUrl: string): string {
  const map: string[] = [];
  if (mapStyleUrl) {
    if (/^https?:\/\//.test(mapStyleUrl)) map.push(new URL(mapStyleUrl).origin);
    map.push('https:');
  }
  const hosts = (...s: string[]) => [...s, ...map].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    `script-src-attr 'unsafe-hashes' ${INLINE_HANDLERS.map(sha256).join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src ${hosts("'self'", 'data:', 'blob:')}`,
    `connect-src ${hosts("'self'", 'data:', 'blob:')}`,
    `font-src ${hosts("'self'", 'data:')}`,
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Every security header, by name (lower case). */
export function securityHeaders(config: Readonly<Config>): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config.api.mapStyleUrl),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}
