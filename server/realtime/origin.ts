import type { Config } from '../config.js';

/**
 * Cross-site WebSocket hijacking guard. A browser always sends Origin: it must be this
 * server's own origin (same Host, http or https), PUBLIC_ORIGIN, or listed in ALLOWED_ORIGINS.
 * `null` and everything else is refused. No Origin at all means a non-browser client, which
 * the token still authenticates.
 */
export function isOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  config: Pick<Config, 'PUBLIC_ORIGIN' | 'ALLOWED_ORIGINS'>,
): boolean {
  if (origin === undefined) return true;
  const allowed = new Set(config.ALLOWED_ORIGINS.map(normalise));
  if (config.PUBLIC_ORIGIN) allowed.add(normalise(config.PUBLIC_ORIGIN));
  if (host) {
    allowed.add(`http://${host.toLowerCase()}`);
    allowed.add(`https://${host.toLowerCase()}`);
  }
  return allowed.has(normalise(origin));
}

function normalise(origin: string): string {
  try {
    const u = new URL(origin);
    return u.origin === 'null' ? 'null:' : u.origin.toLowerCase();
  } catch {
    return `invalid:${origin}`;
  }
}
