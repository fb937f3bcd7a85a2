import { SignJWT, jwtVerify, errors } from 'jose';
import { createHash, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { AppError } from '../errors.js';

const ALG = 'HS256';
export const ISSUER = 'chatify';
export const AUDIENCE = 'chatify';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export interface TokenKeys {
  /** The HMAC key, imported once per secret (jose would import raw bytes again on every call). */
  secret: Promise<webcrypto.CryptoKey>;
  ttlSeconds: number;
}

const imported = new Map<string, Promise<webcrypto.CryptoKey>>();

export function tokenKeys(secret: string, ttlSeconds: number): TokenKeys {
  let key = imported.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    imported.set(secret, key);
  }
  return { secret: key, ttlSeconds };
}

export async function signAccessToken(keys: TokenKeys, claims: AccessClaims): Promise<string> {
  return new SignJWT({ sid: claims.sessionId, typ: 'access' })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${keys.ttlSeconds}s`)
    .sign(await keys.secret);
}

/** Verifies signature (HS256 only), exp/nbf, iss and aud; throws `unauthorized` otherwise. */
export async function verifyAccessToken(keys: TokenKeys, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, await keys.secret, {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['exp', 'sub', 'sid'],
    });
    if (payload.typ !== 'access' || typeof payload.sid !== 'string' || typeof payload.sub !== 'string') {
      throw new AppError('unauthorized', 'Invalid access token');
    }
    return { userId: payload.sub, sessionId: payload.sid };
  } catch (err) {
    if (err instanceof AppError) throw err;
    const expired = err instanceof errors.JWTExpired;
    throw new AppError('unauthorized', expired ? 'Access token expired' : 'Invalid access token');
  }
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
