import { describe, expect, it } from 'vitest';
import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { signAccessToken, tokenKeys, verifyAccessToken } from './tokens.js';

const SECRET = 'a-test-secret-of-some-length-0123456789';
const keys = tokenKeys(SECRET, 900);
const claims = { userId: randomUUID(), sessionId: randomUUID() };
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** A token with this header and payload, signed with the right secret. */
const forge = (header: unknown, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
};
const now = () => Math.floor(Date.now() / 1000);
const good = () => ({ sub: claims.userId, sid: claims.sessionId, typ: 'access', iss: 'chatify', aud: 'chatify' });
const HS256 = { alg: 'HS256', typ: 'JWT' };
/** The same 6 bits but for the last 2, which a 43-character base64url string does not use. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const otherSpelling = (last: string) => ALPHABET[ALPHABET.indexOf(last) ^ 1]!;

describe('access tokens', () => {
  it('ours verify in jose, with the claims and lifetime we set', async () => {
    const { payload, protectedHeader } = await jwtVerify(
      signAccessToken(keys, claims),
      new TextEncoder().encode(SECRET),
      {
        algorithms: ['HS256'],
        issuer: 'chatify',
        audience: 'chatify',
        requiredClaims: ['exp', 'iat', 'sub', 'sid'],
      },
    );
    expect(protectedHeader).toEqual(HS256);
    expect(payload).toMatchObject({ sub: claims.userId, sid: claims.sessionId, typ: 'access' });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('jose’s verify in ours', async () => {
    const token = await new SignJWT({ sid: claims.sessionId, typ: 'access' })
      .setProtectedHeader(HS256)
      .setSubject(claims.userId)
      .setIssuer('chatify')
      .setAudience(['other', 'chatify'])
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(SECRET));
    expect(verifyAccessToken(keys, token)).toEqual(claims);
  });

  it('refuses anything but a well-formed HS256 token signed with the secret', () => {
    const token = signAccessToken(keys, claims);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const refused = [
      '',
      'a.b',
      `${token}.x`,
      `${h}.${p}.`,
      `${h}.${p}.${sig.slice(0, -2)}`,
      `${h}.${p}.${sig}=`, // not base64url
      `${h}.${p}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'Q' : 'A'}`, // last character changed
      `${h}.${p}.${sig.slice(0, -1)}${otherSpelling(sig.at(-1)!)}`, // same bytes, not canonical
      `${h}.${b64({ ...good(), exp: now() + 60, sub: randomUUID() })}.${sig}`, // payload changed
      signAccessToken(tokenKeys('another-secret-0123456789', 900), claims),
      forge({ alg: 'none' }, { ...good(), exp: now() + 60 }),
      forge({ alg: 'hs256' }, { ...good(), exp: now() + 60 }),
      forge({ alg: 'HS512' }, { ...good(), exp: now() + 60 }),
      forge({ ...HS256, crit: ['exp'] }, { ...good(), exp: now() + 60 }),
      forge('not json', { ...good(), exp: now() + 60 }),
      forge([HS256], { ...good(), exp: now() + 60 }),
      forge(HS256, 'not json'),
      forge(HS256, good()), // no exp
      forge(HS256, { ...good(), exp: String(now() + 60) }),
      forge(HS256, { ...good(), exp: now() + 60, nbf: now() + 30 }),
      forge(HS256, { ...good(), exp: now() + 60, nbf: 'soon' }),
      forge(HS256, { ...good(), exp: now() + 60, iss: 'other' }),
      forge(HS256, { ...good(), exp: now() + 60, aud: 'other' }),
      forge(HS256, { ...good(), exp: now() + 60, typ: 'refresh' }),
      forge(HS256, { ...good(), exp: now() + 60, sid: 7 }),
      forge(HS256, { ...good(), exp: now() + 60, iat: 'now' }),
      forge(HS256, { ...good(), exp: now() + 60, sub: undefined }),
    ];
    expect(() => verifyAccessToken(keys, 42 as unknown as string)).toThrow('Invalid access token');
    for (const t of refused) {
      expect(() => verifyAccessToken(keys, t), t).toThrow('Invalid access token');
    }
    expect(verifyAccessToken(keys, forge(HS256, { ...good(), exp: now() + 60, nbf: now() }))).toEqual(claims);
  });

  it('says an expired token is expired', () => {
    expect(() => verifyAccessToken(keys, forge(HS256, { ...good(), exp: now() }))).toThrow('Access token expired');
  });
});
