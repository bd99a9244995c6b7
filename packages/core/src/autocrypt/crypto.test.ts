import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFosspushError } from '../errors.js';
import { manualClock } from '../runtime.js';
import { decryptAndVerify, decryptMessage, encryptAndSign } from './crypto.js';
import { type AutocryptKeyPair, generateAutocryptKey, isKeyUsableForEncryption, keyFingerprint, publicKeyBytes } from './keys.js';
import { readPrivateKey, readPublicKey } from './openpgp.js';

const start = Date.parse('2026-01-01T00:00:00Z');
const runtime = { clock: manualClock(start + 60_000) };
let alice: AutocryptKeyPair;
let bob: AutocryptKeyPair;
let carol: AutocryptKeyPair;

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFosspushError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

beforeAll(async () => {
  const keyRuntime = { runtime: { clock: manualClock(start) } };
  [alice, bob, carol] = await Promise.all([
    generateAutocryptKey('alice@example.org', keyRuntime),
    generateAutocryptKey('bob@example.net', keyRuntime),
    generateAutocryptKey('carol@example.com', keyRuntime),
  ]);
});

describe('Autocrypt keys', () => {
  it('are v4 Ed25519 + Cv25519 with exactly the five packets keydata must hold', async () => {
    const key = await readPublicKey(alice.publicKeyBytes);
    expect(key.toPacketList().map((packet) => (packet.constructor as unknown as { tag: number }).tag)).toEqual([6, 13, 2, 14, 2]);
    expect(key.keyPacket.version).toBe(4);
    expect(key.getAlgorithmInfo()).toMatchObject({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    const [subkey] = key.getSubkeys();
    expect(subkey?.getAlgorithmInfo()).toMatchObject({ algorithm: 'ecdh', curve: 'curve25519Legacy' });
    expect(key.getUserIDs()).toEqual(['<alice@example.org>']);
    expect(key.getCreationTime().getTime()).toBe(start);
  });

  it('come armored and binary, the same key either way', async () => {
    expect(await publicKeyBytes(alice.publicKey)).toEqual(alice.publicKeyBytes);
    expect(await keyFingerprint(alice.publicKey)).toBe(alice.fingerprint);
    expect(await keyFingerprint(alice.secretKeyBytes)).toBe(alice.fingerprint);
    expect(alice.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect((await readPrivateKey(alice.secretKey)).isDecrypted()).toBe(true);
  });

  it('refuse garbage, public keys where secret ones are needed, and passphrase-protected keys', async () => {
    await rejects(readPublicKey('not a key'), 'INVALID_KEY');
    await rejects(readPublicKey(new Uint8Array([1, 2, 3])), 'INVALID_KEY');
    await rejects(readPrivateKey(alice.publicKey), 'INVALID_KEY');
    const locked = await openpgp.encryptKey({ privateKey: await readPrivateKey(alice.secretKey), passphrase: 'x' });
    await rejects(readPrivateKey(locked.armor()), 'INVALID_KEY');
    await rejects(generateAutocryptKey('no address'), 'INVALID_REQUEST');
  });

  it('report whether they can be encrypted to at the clock time', async () => {
    const expiring = await generateAutocryptKey('dave@example.org', { runtime: { clock: manualClock(start) }, keyExpirationSeconds: 3600 });
    expect(await isKeyUsableForEncryption(expiring.publicKey, { clock: manualClock(start + 1000) })).toBe(true);
    expect(await isKeyUsableForEncryption(expiring.publicKey, { clock: manualClock(start + 3601_000) })).toBe(false);
    expect(await isKeyUsableForEncryption('garbage')).toBe(false);
  });
});

describe('encryptAndSign / decryptAndVerify', () => {
  const data = new TextEncoder().encode('hello Bob');

  it('round-trips, armored and binary, and names the signer', async () => {
    const armored = await encryptAndSign({ data, encryptionKeys: [bob.publicKey, alice.publicKey], signingKey: alice.secretKey, runtime });
    expect(armored).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    for (const [reader, message] of [
      [bob, armored],
      [alice, armored],
    ] as const) {
      const result = await decryptAndVerify({ message, decryptionKey: reader.secretKey, verificationKeys: [alice.publicKey], runtime });
      expect(result.data).toEqual(data);
      expect(result.signerFingerprint).toBe(alice.fingerprint);
    }
    const binary = await encryptAndSign({ data, encryptionKeys: [bob.publicKeyBytes], signingKey: alice.secretKeyBytes, format: 'binary', runtime });
    expect(binary).toBeInstanceOf(Uint8Array);
    const result = await decryptAndVerify({ message: binary, decryptionKey: bob.secretKey, verificationKeys: [carol.publicKey, alice.publicKey], runtime });
    expect(result.signerFingerprint).toBe(alice.fingerprint);
  });

  it('writes no compression packet', async () => {
    const binary = await encryptAndSign({ data, encryptionKeys: [bob.publicKey], signingKey: alice.secretKey, format: 'binary', runtime });
    const message = await openpgp.readMessage({ binaryMessage: binary });
    const decrypted = await message.decrypt([await readPrivateKey(bob.secretKey)]);
    // One-pass signature, then literal data directly: no compressed data packet (tag 8) around it.
    expect(decrypted.packets.map((packet) => (packet.constructor as unknown as { tag: number }).tag).slice(0, 2)).toEqual([4, 11]);
  });

  it('UNSIGNED: a message without signature', async () => {
    const unsigned = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: await readPublicKey(bob.publicKey), format: 'binary' });
    await rejects(decryptAndVerify({ message: unsigned, decryptionKey: bob.secretKey, verificationKeys: [alice.publicKey], runtime }), 'UNSIGNED');
    const decrypted = await decryptMessage(unsigned, bob.secretKey, { runtime });
    expect(decrypted.signed).toBe(false);
    expect(decrypted.data).toEqual(data);
  });

  it('BAD_SIGNATURE: signed by someone else, or checked before it was made', async () => {
    const message = await encryptAndSign({ data, encryptionKeys: [bob.publicKey], signingKey: carol.secretKey, runtime });
    await rejects(decryptAndVerify({ message, decryptionKey: bob.secretKey, verificationKeys: [alice.publicKey], runtime }), 'BAD_SIGNATURE');
    const decrypted = await decryptMessage(message, bob.secretKey, { runtime });
    await rejects(decrypted.verify([carol.publicKey], start + 59_000), 'BAD_SIGNATURE');
    // The same decrypted message can be checked again, with other keys.
    expect((await decrypted.verify([carol.publicKey])).signerFingerprint).toBe(carol.fingerprint);
    await rejects(decrypted.verify([alice.publicKey]), 'BAD_SIGNATURE');
  });

  it('DECRYPT_FAILED: another recipient, altered ciphertext, not OpenPGP', async () => {
    const binary = await encryptAndSign({ data, encryptionKeys: [bob.publicKey], signingKey: alice.secretKey, format: 'binary', runtime });
    const other = await decryptMessage(binary, carol.secretKey, { runtime }).catch((e: unknown) => e);
    expect(isFosspushError(other, 'DECRYPT_FAILED')).toBe(true);
    expect((other as { details: { reason?: string } }).details.reason).toBe('other-recipient');
    const altered = binary.slice();
    altered[altered.length - 30] = (altered[altered.length - 30] as number) ^ 1;
    await rejects(decryptMessage(altered, bob.secretKey, { runtime }), 'DECRYPT_FAILED');
    await rejects(decryptMessage(new Uint8Array([0xde, 0xad]), bob.secretKey, { runtime }), 'DECRYPT_FAILED');
    await rejects(decryptMessage('-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n', bob.secretKey, { runtime }), 'DECRYPT_FAILED');
  });

  it('PAYLOAD_TOO_LARGE: plaintext over the bound, also when it only grows by decompression', async () => {
    const big = await encryptAndSign({ data: new Uint8Array(5000), encryptionKeys: [bob.publicKey], signingKey: alice.secretKey, runtime });
    await rejects(decryptMessage(big, bob.secretKey, { runtime, maxPlaintextBytes: 4096 }), 'PAYLOAD_TOO_LARGE');
    const bomb = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(1024 * 1024) }),
      encryptionKeys: await readPublicKey(bob.publicKey),
      signingKeys: await readPrivateKey(alice.secretKey),
      format: 'binary',
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
    });
    expect(bomb.length).toBeLessThan(8 * 1024);
    await rejects(decryptMessage(bomb, bob.secretKey, { runtime, maxPlaintextBytes: 32 * 1024 }), 'PAYLOAD_TOO_LARGE');
  });

  it('INVALID_KEY: no recipients, or a key that cannot sign', async () => {
    await rejects(encryptAndSign({ data, encryptionKeys: [], signingKey: alice.secretKey }), 'INVALID_KEY');
    await rejects(encryptAndSign({ data, encryptionKeys: [bob.publicKey], signingKey: bob.publicKey }), 'INVALID_KEY');
  });
});
