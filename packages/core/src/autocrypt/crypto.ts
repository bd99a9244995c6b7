import type { DecryptMessageResult, PublicKey, SessionKey } from 'openpgp';
import { FosspushError, isFosspushError } from '../errors.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import { type KeyInput, loadOpenpgp, readPrivateKey, readPublicKey } from './openpgp.js';
import { withDefaults } from '../with-defaults.js';

export interface EncryptAndSignInput {
  data: Uint8Array;
  /** Every recipient's key. Autocrypt mail also encrypts to the sender's own key; pass it here. */
  encryptionKeys: readonly KeyInput[];
  /** The sender's unprotected secret key. */
  signingKey: KeyInput;
  /** `binary` OpenPGP packets, or `armored` text. @default 'armored' */
  format?: 'armored' | 'binary';
  runtime?: Partial<Runtime>;
}

/**
 * Signs and encrypts in one OpenPGP message (RFC 3156 section 6.2, the combined method): one
 * PKESK per recipient, then SEIPD holding one-pass signature, literal data, signature. No
 * compression: what Autocrypt mail carries is small, and compressing before encrypting leaks
 * length information. Signature and literal timestamps come from the injected clock.
 *
 * @example
 * const armored = await encryptAndSign({ data, encryptionKeys: [bob.publicKey, alice.publicKey], signingKey: alice.secretKey });
 */
export async function encryptAndSign(input: EncryptAndSignInput & { format: 'binary' }): Promise<Uint8Array>;
export async function encryptAndSign(input: EncryptAndSignInput & { format?: 'armored' }): Promise<string>;
export async function encryptAndSign(input: EncryptAndSignInput): Promise<string | Uint8Array> {
  const openpgp = await loadOpenpgp();
  if (input.encryptionKeys.length === 0) throw new FosspushError('INVALID_KEY', 'encrypting needs at least one recipient key');
  const encryptionKeys = await Promise.all(input.encryptionKeys.map((key) => readPublicKey(key, 'recipient key')));
  const signingKey = await readPrivateKey(input.signingKey, 'signing key');
  const date = new Date(resolveRuntime(input.runtime).clock.now());
  const message = await openpgp.createMessage({ binary: input.data, format: 'binary', date });
  const config = { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed };
  try {
    return input.format === 'binary'
      ? await openpgp.encrypt({ message, encryptionKeys, signingKeys: signingKey, date, format: 'binary', config })
      : await openpgp.encrypt({ message, encryptionKeys, signingKeys: signingKey, date, config });
  } catch (cause) {
    // openpgp.js refuses keys without a usable encryption or signing (sub)key at `date`.
    throw new FosspushError('INVALID_KEY', 'a key cannot be used to encrypt or sign at this time', { cause });
  }
}

export interface DecryptOptions {
  runtime?: Partial<Runtime>;
  /** Refuse plaintext (after any decompression) larger than this. @default 1 MiB */
  maxPlaintextBytes?: number;
}

export const DECRYPT_DEFAULTS = { maxPlaintextBytes: 1024 * 1024 } satisfies Required<Omit<DecryptOptions, 'runtime'>>;

export interface VerifiedSignature {
  /** Primary key fingerprint of the key that made the valid signature, upper-case hex. */
  readonly signerFingerprint: string;
}

/** A decrypted message whose signature has not been checked yet. */
export interface DecryptedMessage {
  readonly data: Uint8Array;
  /** Whether the message carries any signature at all. */
  readonly signed: boolean;
  /**
   * Checks the signatures against `keys` at `atMs` (default: the injected clock's now). Throws
   * UNSIGNED when there is no signature, BAD_SIGNATURE when none is valid and made by one of `keys`.
   */
  verify(keys: readonly KeyInput[], atMs?: number): Promise<VerifiedSignature>;
}

/**
 * Decrypts without checking signatures yet: for protocols, such as the Email-notify spec's
 * hello, where the key to check against is only known from the decrypted content. Throws
 * DECRYPT_FAILED for anything that is not a message this key can decrypt (`details.reason`
 * `other-recipient` when it is encrypted to other keys only).
 *
 * @example
 * const decrypted = await decryptMessage(ciphertext, device.secretKey);
 * const { signerFingerprint } = await decrypted.verify([keyNamedInside(decrypted.data)]);
 */
export async function decryptMessage(
  ciphertext: string | Uint8Array,
  decryptionKey: KeyInput,
  options: DecryptOptions = {},
): Promise<DecryptedMessage> {
  const openpgp = await loadOpenpgp();
  const { maxPlaintextBytes } = withDefaults(DECRYPT_DEFAULTS, options);
  const runtime = resolveRuntime(options.runtime);
  const privateKey = await readPrivateKey(decryptionKey, 'decryption key');
  const config = { maxDecompressedMessageSize: maxPlaintextBytes };
  const read = () =>
    typeof ciphertext === 'string'
      ? openpgp.readMessage({ armoredMessage: ciphertext, config })
      : openpgp.readMessage({ binaryMessage: ciphertext, config });
  // The session key is recovered once; each verification decrypts a fresh copy with it, because
  // openpgp.js consumes a message's signature packets when it checks them.
  let sessionKeys: SessionKey[];
  let data: Uint8Array;
  let signed: boolean;
  try {
    const message = await read();
    const ownKeyIds = privateKey.getKeyIDs();
    const recipients = message.getEncryptionKeyIDs();
    if (recipients.length > 0 && !recipients.some((id) => ownKeyIds.some((own) => own.equals(id, true)))) {
      throw new FosspushError('DECRYPT_FAILED', 'the message is encrypted to other keys', { details: { reason: 'other-recipient' } });
    }
    const decryptedKeys = await openpgp.decryptSessionKeys({ message, decryptionKeys: privateKey, date: new Date(runtime.clock.now()), config });
    // v4 keys always name the cipher in the session key; a null algorithm would be a v6 PKESK.
    sessionKeys = decryptedKeys.flatMap(({ data, algorithm }) => (algorithm === null ? [] : [{ data, algorithm }]));
    const result = await openpgp.decrypt({ message: await read(), sessionKeys, format: 'binary', config });
    for (const signature of result.signatures) signature.verified.catch(() => undefined);
    data = result.data;
    signed = result.signatures.length > 0;
  } catch (cause) {
    if (isFosspushError(cause)) throw cause;
    if (/decompressed message size/i.test(String((cause as Error | undefined)?.message))) {
      throw new FosspushError('PAYLOAD_TOO_LARGE', `the decompressed message is larger than ${maxPlaintextBytes} bytes`, { cause });
    }
    throw new FosspushError('DECRYPT_FAILED', 'the message cannot be decrypted with this key', { cause });
  }
  if (data.length > maxPlaintextBytes) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `the decrypted message is larger than ${maxPlaintextBytes} bytes`);
  }
  return {
    data,
    signed,
    async verify(keys, atMs = runtime.clock.now()) {
      if (!signed) throw new FosspushError('UNSIGNED', 'the message is not signed');
      const verificationKeys = await Promise.all(keys.map((key) => readPublicKey(key, 'verification key')));
      let result: Awaited<ReturnType<typeof openpgp.decrypt>>;
      try {
        result = await openpgp.decrypt({ message: await read(), sessionKeys, verificationKeys, format: 'binary', date: new Date(atMs), config });
      } catch (cause) {
        throw new FosspushError('DECRYPT_FAILED', 'the message cannot be decrypted again', { cause });
      }
      return checkSignatures(result.signatures, verificationKeys);
    },
  };
}

async function checkSignatures(signatures: DecryptMessageResult['signatures'], keys: PublicKey[]): Promise<VerifiedSignature> {
  if (signatures.length === 0) throw new FosspushError('UNSIGNED', 'the message is not signed');
  let lastError: unknown;
  for (const signature of signatures) {
    try {
      await signature.verified;
      const signer = keys.find((key) => key.getKeyIDs().some((id) => id.equals(signature.keyID)));
      if (signer !== undefined) return { signerFingerprint: signer.getFingerprint().toUpperCase() };
    } catch (error) {
      lastError = error;
    }
  }
  throw new FosspushError('BAD_SIGNATURE', 'no valid signature by an expected key', { cause: lastError });
}

export interface DecryptAndVerifyInput extends DecryptOptions {
  message: string | Uint8Array;
  decryptionKey: KeyInput;
  /** The keys a valid signature must come from. */
  verificationKeys: readonly KeyInput[];
}

/**
 * Decrypts and requires a valid signature by one of `verificationKeys`: DECRYPT_FAILED when the
 * key cannot decrypt, UNSIGNED when there is no signature, BAD_SIGNATURE when no signature is
 * valid and by an expected key.
 *
 * @example
 * const { data, signerFingerprint } = await decryptAndVerify({ message, decryptionKey: bob.secretKey, verificationKeys: [alice.publicKey] });
 */
export async function decryptAndVerify(input: DecryptAndVerifyInput): Promise<{ data: Uint8Array } & VerifiedSignature> {
  const decrypted = await decryptMessage(input.message, input.decryptionKey, input);
  const verified = await decrypted.verify(input.verificationKeys);
  return { data: decrypted.data, ...verified };
}
