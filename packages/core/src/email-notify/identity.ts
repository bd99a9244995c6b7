import { generateAutocryptKey } from '../autocrypt/keys.js';
import { FosspushError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { ASCII_ADDRESS_PATTERN } from './constants.js';

/** A party of the email channel: its address and Autocrypt key pair, ASCII-armored. */
export interface EmailIdentity {
  readonly address: string;
  readonly publicKey: string;
  /** Unprotected secret key: store it like a password. */
  readonly secretKey: string;
}

/**
 * A fresh identity for an app server (it signs notifications) or a device (it decrypts them):
 * an Autocrypt Level 1 key (Ed25519 + Cv25519) for `address`.
 *
 * @example
 * const sender = await generateEmailIdentity('push@app.example');
 */
export async function generateEmailIdentity(address: string, runtime: Partial<Runtime> = {}): Promise<EmailIdentity> {
  if (!ASCII_ADDRESS_PATTERN.test(address)) {
    throw new FosspushError('INVALID_REQUEST', `${JSON.stringify(address)} is not a plain ASCII e-mail address`);
  }
  const key = await generateAutocryptKey(address, { runtime });
  return { address, publicKey: key.publicKey, secretKey: key.secretKey };
}
