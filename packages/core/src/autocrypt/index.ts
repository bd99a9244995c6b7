/**
 * @module autocrypt
 *
 * Autocrypt Level 1 (https://autocrypt.org/level1.html): the `Autocrypt` header, key generation,
 * and sign+encrypt / decrypt+verify on openpgp.js. The Email-notify spec builds on it. Level 1's
 * per-peer state and encryption recommendation are left out: the spec pins one sender key per
 * registration and refuses key changes, where Level 1 would let a newer key replace the old one.
 */
export * from './address.js';
export * from './crypto.js';
export * from './header.js';
export * from './keys.js';
export type { KeyInput } from './openpgp.js';
