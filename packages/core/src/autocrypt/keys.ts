import { FosspushError } from '../errors.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import { type KeyInput, loadOpenpgp, readPublicKey } from './openpgp.js';
import { withDefaults } from '../with-defaults.js';

/** An Autocrypt account key: Ed25519 primary (sign, certify) and Cv25519 subkey (encrypt), OpenPGP v4. */
export interface AutocryptKeyPair {
  readonly address: string;
  /** ASCII-armored transferable public key. */
  readonly publicKey: string;
  /** ASCII-armored, unprotected transferable secret key. Keep it like a password. */
  readonly secretKey: string;
  /** The binary transferable public key: exactly what an Autocrypt header's `keydata` carries. */
  readonly publicKeyBytes: Uint8Array;
  readonly secretKeyBytes: Uint8Array;
  /** Primary key fingerprint, 40 upper-case hex digits. */
  readonly fingerprint: string;
}

export interface GenerateAutocryptKeyOptions {
  runtime?: Partial<Runtime>;
  /** Seconds from creation until the key expires; 0 means never. @default 0 */
  keyExpirationSeconds?: number;
}

export const GENERATE_AUTOCRYPT_KEY_DEFAULTS = { keyExpirationSeconds: 0 } satisfies Required<Omit<GenerateAutocryptKeyOptions, 'runtime'>>;

/**
 * Generates the key pair Autocrypt Level 1 recommends ("Secret key generation and storage"):
 * Ed25519 for signatures and certification, Cv25519 for encryption, one user id `<address>`,
 * which gives exactly the five packets `keydata` must hold. v4 keys, so GnuPG 2.2 reads them.
 * The creation time comes from the injected clock.
 *
 * @example
 * const alice = await generateAutocryptKey('alice@example.org');
 */
export async function generateAutocryptKey(address: string, options: GenerateAutocryptKeyOptions = {}): Promise<AutocryptKeyPair> {
  const { keyExpirationSeconds } = withDefaults(GENERATE_AUTOCRYPT_KEY_DEFAULTS, options);
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) {
    throw new FosspushError('INVALID_REQUEST', `cannot make an Autocrypt key for ${JSON.stringify(address)}: not an address`);
  }
  const openpgp = await loadOpenpgp();
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email: address }],
    date: new Date(resolveRuntime(options.runtime).clock.now()),
    keyExpirationTime: keyExpirationSeconds,
    format: 'object',
  });
  const publicKey = privateKey.toPublic();
  return {
    address,
    publicKey: publicKey.armor(),
    secretKey: privateKey.armor(),
    publicKeyBytes: publicKey.write(),
    secretKeyBytes: privateKey.write(),
    fingerprint: publicKey.getFingerprint().toUpperCase(),
  };
}

/** The primary key fingerprint of a key, 40 (v4) upper-case hex digits. Throws INVALID_KEY. */
export async function keyFingerprint(key: KeyInput): Promise<string> {
  return (await readPublicKey(key)).getFingerprint().toUpperCase();
}

/** The binary transferable public key (Autocrypt `keydata`) of an armored or binary key. */
export async function publicKeyBytes(key: KeyInput): Promise<Uint8Array> {
  return (await readPublicKey(key)).write();
}

/** The ASCII-armored transferable public key of an armored or binary key. */
export async function armoredPublicKey(key: KeyInput): Promise<string> {
  return (await readPublicKey(key)).armor();
}

/**
 * Whether the key can be encrypted to at the injected clock's time (not revoked, not expired,
 * has an encryption subkey): the check Level 1's recommendation applies to `public_key` and
 * `gossip_key`. False for anything unreadable.
 */
export async function isKeyUsableForEncryption(key: KeyInput, runtime: Partial<Runtime> = {}): Promise<boolean> {
  await loadOpenpgp(); // a missing openpgp is MISSING_DEPENDENCY, not an unusable key
  try {
    const publicKey = await readPublicKey(key);
    await publicKey.getEncryptionKey(undefined, new Date(resolveRuntime(runtime).clock.now()));
    return true;
  } catch {
    return false;
  }
}
