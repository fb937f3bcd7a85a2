import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

export const ISSUER = 'chatify';
export const AUDIENCE = 'chatify';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export interface TokenKeys {
  /** The HMAC key (its UTF-8 bytes). */
  secret: string;
  ttlSeconds: number;
}

export const tokenKeys = (secret: string, ttlSeconds: number): TokenKeys => ({ secret, ttlSeconds });

/**
 * Access tokens are JWTs (RFC 7519) signed with HS256 and nothing else. Signing and verifying
 * are a few lines over node:crypto, synchronous: jose does them through WebCrypto, whose every
 * call is a round trip to the thread pool (decision 019). The tests check these tokens against
 * jose's, both ways.
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

const hmac = (keys: TokenKeys, signingInput: string) => createHmac('sha256', keys.secret).update(signingInput).digest();

export function signAccessToken(keys: TokenKeys, claims: AccessClaims): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = {
    sid: claims.sessionId,
    typ: 'access',
    sub: claims.userId,
    iss: ISSUER,
    aud: AUDIENCE,
    iat,
    exp: iat + keys.ttlSeconds,
  };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${signingInput}.${hmac(keys, signingInput).toString('base64url')}`;
}

const invalid = () => new AppError('unauthorized', 'Invalid access token');

/** A JSON object from a base64url segment, or null. */
function segment(part: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Verifies the signature (HS256 only: the header must say so, so no other algorithm and no
 * "none" is ever tried; the signature in its one canonical spelling), then exp (required) and
 * nbf against the clock, iat's type, iss, aud, and that it is an access token naming a user
 * and a session; throws `unauthorized` otherwise.
 */
export function verifyAccessToken(keys: TokenKeys, token: string): AccessClaims {
  if (typeof token !== 'string') throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [head, body, signature] = parts as [string, string, string];
  const header = segment(head);
  // `crit` names extensions a verifier must understand; this one understands none.
  if (!header || header.alg !== 'HS256' || 'crit' in header) throw invalid();
  // Only the canonical spelling (base64url ignores a last character's unused bits).
  const given = Buffer.from(signature, 'base64url');
  if (given.toString('base64url') !== signature) throw invalid();
  const expected = hmac(keys, `${head}.${body}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  const payload = segment(body);
  if (!payload) throw invalid();
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number') throw invalid();
  if (payload.exp <= now) throw new AppError('unauthorized', 'Access token expired');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) throw invalid();
  if (payload.iat !== undefined && typeof payload.iat !== 'number') throw invalid();
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== ISSUER || !audience.includes(AUDIENCE)) throw invalid();
  if (payload.typ !== 'access' || typeof payload.sid !== 'string' || typeof payload.sub !== 'string') throw invalid();
  return { userId: payload.sub, sessionId: payload.sid };
}

/** Refresh tokens are `<session id>.<random secret>`; only sha256(secret) is stored. */
export function newRefreshSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: sha256(secret) };
}

export function parseRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  return { sessionId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function hashMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
