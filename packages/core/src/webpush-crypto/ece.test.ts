import { createCipheriv, hkdfSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';
import { concatBytes, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { FosspushError } from '../errors.js';
import { decryptContent, encryptContent } from './ece.js';
import { RFC8188_3_1, RFC8188_3_2 } from '../../../testing/src/webpush-vectors.js';

const b64 = (text: string) => fromBase64Url(text);


/**
 * An independent aes128gcm encoder on node:crypto that seals whatever record plaintexts it is
 * given, delimiters and padding included, so the tests can build bodies no correct sender makes.
 */
function sealRaw(ikm: Uint8Array, salt: Uint8Array, recordSize: number, keyId: Uint8Array, records: Uint8Array[]): Uint8Array {
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12));
  const header = Buffer.alloc(21 + keyId.length);
  header.set(salt);
  header.writeUInt32BE(recordSize, 16);
  header[20] = keyId.length;
  header.set(keyId, 21);
  const sealed = records.map((plain, sequence) => {
    const iv = Buffer.from(nonce);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ sequence) >>> 0, 8);
    const cipher = createCipheriv('aes-128-gcm', cek, iv);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  });
  return concatBytes(header, ...sealed);
}

const ikm = b64(RFC8188_3_2.ikm);
const salt = b64(RFC8188_3_2.salt);
const record = (text: string, ...tail: number[]) => concatBytes(utf8Encode(text), Uint8Array.from(tail));

async function decryptError(body: Uint8Array, key: Uint8Array = ikm): Promise<FosspushError> {
  const error = await decryptContent(body, key).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FosspushError);
  return error as FosspushError;
}

describe('RFC 8188 aes128gcm', () => {
  it('reproduces the section 3.1 example (one record) byte for byte', async () => {
    const body = await encryptContent(utf8Encode(RFC8188_3_1.plaintext), b64(RFC8188_3_1.ikm), {
      salt: b64(RFC8188_3_1.salt),
      recordSize: RFC8188_3_1.recordSize,
    });
    expect(toBase64Url(body)).toBe(RFC8188_3_1.body);
    expect(body.length).toBe(53);
    expect(utf8Decode(await decryptContent(b64(RFC8188_3_1.body), b64(RFC8188_3_1.ikm)))).toBe(RFC8188_3_1.plaintext);
  });

  it('reproduces the section 3.2 example (two records, key id, one byte of padding) byte for byte', async () => {
    const body = await encryptContent(utf8Encode(RFC8188_3_2.plaintext), ikm, {
      salt,
      recordSize: RFC8188_3_2.recordSize,
      keyId: utf8Encode(RFC8188_3_2.keyId),
      padTo: 16,
    });
    expect(toBase64Url(body)).toBe(RFC8188_3_2.body);
    expect(body.length).toBe(73);
    // The same records, sealed by the independent encoder from the plaintexts the RFC lists.
    expect(toBase64Url(sealRaw(ikm, salt, 25, utf8Encode('a1'), [record('I am th', 1, 0), record('e walrus', 2)]))).toBe(RFC8188_3_2.body);
  });

  it('finds the key through the key id callback', async () => {
    const lookup = vi.fn(async (keyId: Uint8Array) => (utf8Decode(keyId) === 'a1' ? ikm : new Uint8Array(16)));
    expect(utf8Decode(await decryptContent(b64(RFC8188_3_2.body), lookup))).toBe(RFC8188_3_2.plaintext);
    expect(lookup).toHaveBeenCalledWith(utf8Encode('a1'));
  });

  it('round-trips every length across record boundaries, with and without padding', async () => {
    const content = Uint8Array.from({ length: 200 }, (_, i) => (i * 7 + 1) & 0xff);
    for (const recordSize of [18, 19, 25, 64]) {
      for (const length of [0, 1, 7, 8, 9, 16, 17, 50, 200]) {
        for (const padTo of [undefined, length + 1, length + 30]) {
          const plaintext = content.subarray(0, length);
          const body = await encryptContent(plaintext, ikm, { salt, recordSize, padTo });
          expect(await decryptContent(body, ikm)).toEqual(plaintext);
          const records = body.length - 21;
          // Every record but the last is exactly recordSize long.
          expect(records % recordSize === 0 || records % recordSize >= 17).toBe(true);
        }
      }
    }
  });

  it('pads to hide the length: equal padTo, equal body length', async () => {
    const short = await encryptContent(utf8Encode('hi'), ikm, { salt, recordSize: 4096, padTo: 100 });
    const long = await encryptContent(utf8Encode('a'.repeat(90)), ikm, { salt, recordSize: 4096, padTo: 100 });
    expect(short.length).toBe(long.length);
    expect(utf8Decode(await decryptContent(short, ikm))).toBe('hi');
  });

  it('rejects bad options and keys with typed errors', async () => {
    await expect(encryptContent(utf8Encode('x'), new Uint8Array(15), { salt, recordSize: 4096 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(encryptContent(utf8Encode('x'), ikm, { salt: new Uint8Array(15), recordSize: 4096 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(encryptContent(utf8Encode('x'), ikm, { salt, recordSize: 17 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(encryptContent(utf8Encode('x'), ikm, { salt, recordSize: 2 ** 32 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(encryptContent(utf8Encode('x'), ikm, { salt, recordSize: 4096, keyId: new Uint8Array(256) })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(encryptContent(utf8Encode('x'), ikm, { salt, recordSize: 4096, padTo: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(decryptContent(b64(RFC8188_3_1.body), new Uint8Array(8))).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  describe('decryption refuses', () => {
    const valid = b64(RFC8188_3_2.body);

    it('a truncated header', async () => {
      expect((await decryptError(valid.subarray(0, 20))).message).toMatch(/shorter than the header/);
      // idlen says 2 bytes of key id; only one is there.
      expect((await decryptError(valid.subarray(0, 22))).message).toMatch(/key id runs past/);
    });

    it('a record size below 18', async () => {
      const body = sealRaw(ikm, salt, 17, new Uint8Array(0), [record('x', 2)]);
      expect((await decryptError(body)).message).toMatch(/record size 17 is below 18/);
    });

    it('a body with no records, or a final record too short to hold a tag', async () => {
      expect((await decryptError(valid.subarray(0, 23))).message).toMatch(/no records/);
      expect((await decryptError(valid.subarray(0, 23 + 25 + 10))).message).toMatch(/final record is 10 bytes/);
    });

    it('a wrong key and an altered record', async () => {
      expect((await decryptError(valid, new Uint8Array(16))).message).toMatch(/does not authenticate/);
      const altered = valid.slice();
      altered[30] = (altered[30] as number) ^ 1;
      expect((await decryptError(altered)).code).toBe('DECRYPT_FAILED');
    });

    it('a record without a delimiter', async () => {
      const body = sealRaw(ikm, salt, 4096, new Uint8Array(0), [new Uint8Array(5)]);
      expect((await decryptError(body)).message).toMatch(/no padding delimiter/);
    });

    it('padding that is not zeros', async () => {
      const body = sealRaw(ikm, salt, 4096, new Uint8Array(0), [record('data', 2, 0, 7, 0)]);
      expect((await decryptError(body)).message).toMatch(/padding that is not zeros/);
    });

    it('a truncated body: the final record is not marked last', async () => {
      expect((await decryptError(valid.subarray(0, 23 + 25))).message).toMatch(/truncated/);
    });

    it('records after the last one', async () => {
      const body = sealRaw(ikm, salt, 25, new Uint8Array(0), [record('I am the', 2), record('walrus', 2)]);
      expect((await decryptError(body)).message).toMatch(/marked last but more data follows/);
    });

    it('trailing garbage after the last record', async () => {
      const body = sealRaw(ikm, salt, 25, new Uint8Array(0), [record('I am the', 2)]);
      expect((await decryptError(concatBytes(body, new Uint8Array(3)))).message).toMatch(/final record is 3 bytes/);
      expect((await decryptError(concatBytes(body, new Uint8Array(20)))).message).toMatch(/more data follows/);
    });

    it('passes FosspushErrors of the key lookup through and wraps others as DECRYPT_FAILED', async () => {
      const notFound = new FosspushError('NOT_FOUND', 'no such key');
      await expect(decryptContent(valid, () => Promise.reject(notFound))).rejects.toBe(notFound);
      await expect(decryptContent(valid, () => Promise.reject(new Error('boom')))).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    });
  });
});
