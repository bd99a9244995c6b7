import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { manualClock } from '../runtime.js';
import { createVapidSigner, generateVapidKeys, VAPID_DEFAULTS, type VapidKeys, verifyVapid } from './vapid.js';
import { RFC8292 } from '../../../testing/src/webpush-vectors.js';

const rfcAuthorization = `vapid t=${RFC8292.jwt}, k=${RFC8292.k}`;
/** An hour before the example token expires. */
const rfcClock = () => manualClock((RFC8292.exp - 3600) * 1000);
const audience = 'https://push.example.net';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
}

/** A JWT signed by `keys` with whatever header and claims a test needs. */
async function forge(keys: VapidKeys, header: object, claims: object): Promise<string> {
  const publicKey = fromBase64Url(keys.publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: toBase64Url(publicKey.subarray(1, 33)), y: toBase64Url(publicKey.subarray(33)), d: keys.privateKey };
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const input = `${toBase64Url(utf8Encode(JSON.stringify(header)))}.${toBase64Url(utf8Encode(JSON.stringify(claims)))}`;
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(input)));
  return `vapid t=${input}.${toBase64Url(signature)}, k=${keys.publicKey}`;
}

describe('RFC 8292 VAPID', () => {
  it('verifies the section 2.4 example', async () => {
    const [header, claims] = RFC8292.jwt.split('.') as [string, string];
    expect(utf8Decode(fromBase64Url(header))).toBe(RFC8292.header);
    expect(utf8Decode(fromBase64Url(claims))).toBe(RFC8292.claims);
    expect(await verifyVapid(rfcAuthorization, { audience: `${audience}/push/abc`, expectedPublicKey: RFC8292.k, runtime: { clock: rfcClock() } })).toEqual({
      publicKey: RFC8292.k,
      subject: 'mailto:push@example.com',
      expiresAt: RFC8292.exp * 1000,
    });
  });

  it('signs the same header and claims as the example for the same inputs', async () => {
    const keys = await generateVapidKeys();
    const clock = manualClock((RFC8292.exp - VAPID_DEFAULTS.expirySeconds) * 1000);
    const signer = createVapidSigner({ keys, subject: 'mailto:push@example.com', runtime: { clock } });
    const authorization = await signer.authorization('https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV');
    const [, jwt = '', k] = /^vapid t=(\S+), k=(\S+)$/.exec(authorization) ?? [];
    expect(jwt.split('.').slice(0, 2)).toEqual(RFC8292.jwt.split('.').slice(0, 2));
    expect(k).toBe(keys.publicKey);
    expect(fromBase64Url(jwt.split('.')[2] ?? '')).toHaveLength(64);
    expect(await verifyVapid(authorization, { audience, expectedPublicKey: keys.publicKey, runtime: { clock } })).toMatchObject({ subject: 'mailto:push@example.com' });
  });

  it('makes VAPID keys of the right shapes', async () => {
    const keys = await generateVapidKeys();
    expect(fromBase64Url(keys.publicKey)).toHaveLength(65);
    expect(fromBase64Url(keys.publicKey)[0]).toBe(0x04);
    expect(fromBase64Url(keys.privateKey)).toHaveLength(32);
  });

  describe('signer cache', () => {
    it('signs once for 100 messages to one audience, again once expiry - renewBefore has passed', async () => {
      const clock = manualClock(Date.UTC(2026, 0, 1));
      const signer = createVapidSigner({ keys: await generateVapidKeys(), subject: 'https://example.org/contact', runtime: { clock } });
      const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => signer.authorization(`https://push.example.net/push/${i}`)));
      for (let i = 0; i < 50; i++) concurrent.push(await signer.authorization('https://push.example.net/other'));
      expect(new Set(concurrent).size).toBe(1);
      expect(signer.signatureCount).toBe(1);

      clock.advance((VAPID_DEFAULTS.expirySeconds - VAPID_DEFAULTS.renewBeforeSeconds) * 1000 - 1);
      await signer.authorization(audience);
      expect(signer.signatureCount).toBe(1);
      clock.advance(1);
      const renewed = await signer.authorization(audience);
      expect(signer.signatureCount).toBe(2);
      expect(renewed).not.toBe(concurrent[0]);
      expect(await signer.authorization(audience)).toBe(renewed);
    });

    it('keeps one JWT per origin', async () => {
      const signer = createVapidSigner({ keys: await generateVapidKeys(), subject: 'mailto:ops@example.org' });
      await signer.authorization('https://push.example.net/a');
      await signer.authorization('https://push.example.net:8443/a');
      await signer.authorization('https://updates.push.services.mozilla.com/wpush/v2/x');
      await signer.authorization('https://push.example.net/b');
      expect(signer.signatureCount).toBe(3);
    });

    it('honours expirySeconds and renewBeforeSeconds', async () => {
      const clock = manualClock(1_000_000_000);
      const keys = await generateVapidKeys();
      const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org', expirySeconds: 600, renewBeforeSeconds: 60, runtime: { clock } });
      const verified = await verifyVapid(await signer.authorization(audience), { audience, runtime: { clock } });
      expect(verified.expiresAt).toBe(1_000_000_000 + 600_000);
      clock.advance(540_000);
      await signer.authorization(audience);
      expect(signer.signatureCount).toBe(2);
    });

    it('refuses bad options', async () => {
      const keys = await generateVapidKeys();
      expect(() => createVapidSigner({ keys, subject: 'ops@example.org' })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      expect(() => createVapidSigner({ keys, subject: 'http://example.org' })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      expect(() => createVapidSigner({ keys, subject: 'mailto:a@b.c', expirySeconds: 86_401 })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
      expect(() => createVapidSigner({ keys, subject: 'mailto:a@b.c', expirySeconds: 600, renewBeforeSeconds: 600 })).toThrow(
        expect.objectContaining({ code: 'INVALID_REQUEST' }),
      );
      expect(() => createVapidSigner({ keys: { ...keys, privateKey: keys.privateKey.slice(2) }, subject: 'mailto:a@b.c' })).toThrow(
        expect.objectContaining({ code: 'INVALID_KEY' }),
      );
      expect(() => createVapidSigner({ keys: { ...keys, publicKey: 'x' }, subject: 'mailto:a@b.c' })).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
      const signer = createVapidSigner({ keys: { ...keys, privateKey: toBase64Url(new Uint8Array(32)) }, subject: 'mailto:a@b.c' });
      expect(await codeOf(signer.authorization(audience))).toBe('INVALID_KEY');
      expect(await codeOf(createVapidSigner({ keys, subject: 'mailto:a@b.c' }).authorization('not a url'))).toBe('INVALID_REQUEST');
      expect(await codeOf(createVapidSigner({ keys, subject: 'mailto:a@b.c' }).authorization('ftp://push.example.net'))).toBe('INVALID_REQUEST');
    });
  });

  describe('verification', () => {
    const options = () => ({ audience, runtime: { clock: rfcClock() } });

    it('answers UNAUTHENTICATED when there is no usable token', async () => {
      for (const header of [
        undefined,
        '',
        '   ',
        `Bearer ${RFC8292.jwt}`,
        `WebPush ${RFC8292.jwt}`,
        'vapid',
        `vapid t=${RFC8292.jwt}`,
        `vapid k=${RFC8292.k}`,
        `vapid t=${RFC8292.jwt}, t=${RFC8292.jwt}, k=${RFC8292.k}`,
        `vapid t=${RFC8292.jwt}, k=${RFC8292.k.slice(0, 40)}`,
        `vapid t=${RFC8292.jwt}, k=${RFC8292.k.replace('BA', 'AA')}`,
        `vapid t=${RFC8292.jwt.split('.').slice(0, 2).join('.')}, k=${RFC8292.k}`,
        `vapid t=not.a.jwt, k=${RFC8292.k}`,
        `vapid t=${RFC8292.jwt}, k=${RFC8292.k}, junk`,
        `vapid t=${RFC8292.jwt}, k=${RFC8292.k}${'A'.repeat(5000)}`,
      ]) {
        expect(await codeOf(verifyVapid(header, options())), String(header).slice(0, 60)).toBe('UNAUTHENTICATED');
      }
    });

    it('accepts the header however its parameters are spaced, quoted, ordered or cased', async () => {
      for (const header of [
        `VAPID k=${RFC8292.k},t=${RFC8292.jwt}`,
        `vapid  t="${RFC8292.jwt}" ,  k="${RFC8292.k}"`,
        `vapid t=${RFC8292.jwt}, k=${RFC8292.k}, extension=1`,
      ]) {
        expect((await verifyVapid(header, options())).publicKey).toBe(RFC8292.k);
      }
    });

    it('answers PERMISSION_DENIED for a token that is there but wrong', async () => {
      const keys = await generateVapidKeys();
      const now = RFC8292.exp - 3600;
      const claims = { aud: audience, exp: now + 600, sub: 'mailto:a@b.c' };
      const cases: [string, string][] = [
        ['bad signature', rfcAuthorization.replace('.i3CY', '.i3CZ')],
        ['signature by another key', (await forge(keys, { typ: 'JWT', alg: 'ES256' }, claims)).replace(keys.publicKey, RFC8292.k)],
        ['audience mismatch', await forge(keys, { typ: 'JWT', alg: 'ES256' }, { ...claims, aud: 'https://other.example.net' })],
        ['audience with a path', await forge(keys, { typ: 'JWT', alg: 'ES256' }, { ...claims, aud: `${audience}/push` })],
        ['expired', await forge(keys, { typ: 'JWT', alg: 'ES256' }, { ...claims, exp: now })],
        ['more than 24 h ahead', await forge(keys, { typ: 'JWT', alg: 'ES256' }, { ...claims, exp: now + 86_401 })],
      ];
      for (const [why, header] of cases) {
        expect(await codeOf(verifyVapid(header, options())), why).toBe('PERMISSION_DENIED');
      }
      expect(await codeOf(verifyVapid(rfcAuthorization, { ...options(), expectedPublicKey: keys.publicKey }))).toBe('PERMISSION_DENIED');
      expect(await codeOf(verifyVapid(rfcAuthorization, { audience, runtime: { clock: manualClock(RFC8292.exp * 1000) } }))).toBe('PERMISSION_DENIED');
      expect(await codeOf(verifyVapid(rfcAuthorization, { ...options(), maxExpirySeconds: 600 }))).toBe('PERMISSION_DENIED');
      expect(await codeOf(verifyVapid(await forge(keys, { typ: 'JWT', alg: 'ES256' }, { ...claims, exp: now + 86_400 }), options()))).toBeUndefined();
    });

    it('refuses tokens of another algorithm or without claims as UNAUTHENTICATED', async () => {
      const keys = await generateVapidKeys();
      const exp = RFC8292.exp - 60;
      for (const [header, claims] of [
        [{ alg: 'none' }, { aud: audience, exp }],
        [{ alg: 'HS256' }, { aud: audience, exp }],
        [{ alg: 'ES256' }, { exp }],
        [{ alg: 'ES256' }, { aud: audience, exp: String(exp) }],
        [{ alg: 'ES256' }, { aud: audience, exp, sub: 42 }],
      ] as const) {
        expect(await codeOf(verifyVapid(await forge(keys, header, claims), options()))).toBe('UNAUTHENTICATED');
      }
    });

    it('checks the claims of a cached token again every time', async () => {
      const clock = rfcClock();
      await verifyVapid(rfcAuthorization, { audience, runtime: { clock } });
      expect(await codeOf(verifyVapid(rfcAuthorization, { audience: 'https://other.example.net', runtime: { clock } }))).toBe('PERMISSION_DENIED');
      clock.advance(3600_000);
      expect(await codeOf(verifyVapid(rfcAuthorization, { audience, runtime: { clock } }))).toBe('PERMISSION_DENIED');
    });

    it('refuses bad options as the caller’s error', async () => {
      expect(await codeOf(verifyVapid(rfcAuthorization, { audience: 'push.example.net' }))).toBe('INVALID_REQUEST');
      expect(await codeOf(verifyVapid(rfcAuthorization, { audience, expectedPublicKey: 'short' }))).toBe('INVALID_KEY');
    });
  });
});
