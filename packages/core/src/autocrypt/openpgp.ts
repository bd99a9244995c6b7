import type { Key, PrivateKey, PublicKey } from 'openpgp';
import { FosspushError, isFosspushError } from '../errors.js';
import { importOptional } from '../optional-dependency.js';
import { toBase64 } from './base64.js';

export type OpenPgp = typeof import('openpgp');

/** An OpenPGP key as callers hold it: ASCII-armored text or the binary packets. */
export type KeyInput = string | Uint8Array;

let loading: Promise<OpenPgp> | undefined;

/**
 * openpgp.js, loaded on first use. It is an optional peer dependency: it is large (about 17 MB
 * installed), and an app server that sends only Web Push, or an app that only receives, never
 * touches email. Only the email paths (Autocrypt keys, Email-notify) call this; without the
 * package they fail with MISSING_DEPENDENCY, which names it.
 */
export function loadOpenpgp(): Promise<OpenPgp> {
  loading ??= importOptional('openpgp', 'the email channel', () => import('openpgp')).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

const KEY_CACHE_SIZE = 64;
const keyCache = new Map<string, Promise<Key>>();

/**
 * Parsed keys, memoised by their serialisation: a sender or receiver uses the same few keys for
 * every message, and parsing (with its self-signature checks) costs more than the encryption.
 */
function cachedKey(input: KeyInput, parse: (openpgp: OpenPgp) => Promise<Key>): Promise<Key> {
  const cacheKey = typeof input === 'string' ? input : `binary:${toBase64(input)}`;
  const hit = keyCache.get(cacheKey);
  if (hit !== undefined) {
    keyCache.delete(cacheKey);
    keyCache.set(cacheKey, hit);
    return hit;
  }
  const parsed = loadOpenpgp().then(parse);
  keyCache.set(cacheKey, parsed);
  // A failed parse is not cached: the caller gets the error, the next caller tries afresh.
  parsed.catch(() => keyCache.delete(cacheKey));
  if (keyCache.size > KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  return parsed;
}

async function readAnyKey(input: KeyInput, what: string): Promise<Key> {
  try {
    return await cachedKey(input, (openpgp) =>
      typeof input === 'string' ? openpgp.readKey({ armoredKey: input }) : openpgp.readKey({ binaryKey: input }),
    );
  } catch (cause) {
    if (isFosspushError(cause, 'MISSING_DEPENDENCY')) throw cause;
    throw new FosspushError('INVALID_KEY', `${what} is not a readable OpenPGP key`, { cause });
  }
}

/** Reads a public key (a secret key is reduced to its public part). Throws INVALID_KEY. */
export async function readPublicKey(input: KeyInput, what = 'public key'): Promise<PublicKey> {
  const key = await readAnyKey(input, what);
  return key.isPrivate() ? key.toPublic() : (key as PublicKey);
}

/** Reads an unprotected secret key. Throws INVALID_KEY for a public or passphrase-protected key. */
export async function readPrivateKey(input: KeyInput, what = 'secret key'): Promise<PrivateKey> {
  const key = await readAnyKey(input, what);
  if (!key.isPrivate()) throw new FosspushError('INVALID_KEY', `${what} holds no secret key material`);
  if (!key.isDecrypted()) throw new FosspushError('INVALID_KEY', `${what} is protected by a passphrase; pass it decrypted`);
  return key;
}
