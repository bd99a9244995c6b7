import { beforeAll, describe, expect, it } from 'vitest';
import { generateAutocryptKey } from '../autocrypt/keys.js';
import { toBase64 } from '../autocrypt/base64.js';
import { toBase64Url } from '../encoding/base64url.js';
import { isFosspushError } from '../errors.js';
import { decodeToken, encodeToken, type PushToken } from '../token.js';
import { EMAIL_TOKEN_EXTRAS, emailTokenExtras, readEmailTokenFields } from './token-fields.js';

const p256dh = toBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i)));
const auth = toBase64Url(new Uint8Array(16).fill(3));
let device: Awaited<ReturnType<typeof generateAutocryptKey>>;

beforeAll(async () => {
  device = await generateAutocryptKey('alice@example.test');
});

const token = (overrides: Partial<PushToken> = {}, extras: Record<string, string> = {}): PushToken => ({
  channel: 'email',
  endpoint: 'mailto:alice@example.test',
  p256dh,
  auth,
  extras: { ...emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'reg-1', routingHint: 'h1' }), ...extras },
  ...overrides,
});

const rejects = (code: string, fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isFosspushError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
};

describe('email token fields', () => {
  it('put the device key as base64 keydata, and read back through an encoded token', () => {
    const extras = emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'reg-1', routingHint: 'h1' });
    expect(extras).toEqual({ autocrypt: toBase64(device.publicKeyBytes), rid: 'reg-1', route: 'h1' });
    expect(readEmailTokenFields(decodeToken(encodeToken(token())))).toEqual({
      address: 'alice@example.test',
      deviceKey: device.publicKeyBytes,
      registrationId: 'reg-1',
      routingHint: 'h1',
    });
    expect(emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'r' })).not.toHaveProperty('route');
  });

  it('refuse to put a secret key, or something not a key, into a token', () => {
    rejects('INVALID_KEY', () => emailTokenExtras({ deviceKey: device.secretKey, registrationId: 'r' }));
    rejects('INVALID_KEY', () => emailTokenExtras({ deviceKey: 'hello', registrationId: 'r' }));
    rejects('INVALID_REQUEST', () => emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'has space' }));
    rejects('INVALID_REQUEST', () => emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'r', routingHint: 'x'.repeat(33) }));
  });

  it('reject tokens a sender must not mail to', () => {
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({ channel: 'webpush', endpoint: 'https://push.example/x' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({ endpoint: 'mailto:alice@example.test?bcc=eve@example.org' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({ endpoint: 'mailto:alice@example.test%0D%0ABcc:%20eve@example.org' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({ endpoint: 'mailto:a@b.example,c@d.example' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({}, { [EMAIL_TOKEN_EXTRAS.registrationId]: '' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({}, { [EMAIL_TOKEN_EXTRAS.deviceKey]: '!!' })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({}, { [EMAIL_TOKEN_EXTRAS.deviceKey]: toBase64(device.secretKeyBytes) })));
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({}, { [EMAIL_TOKEN_EXTRAS.routingHint]: 'a b' })));
    const { autocrypt: _omitted, ...withoutKey } = token().extras;
    rejects('INVALID_TOKEN', () => readEmailTokenFields(token({ extras: withoutKey })));
  });
});
