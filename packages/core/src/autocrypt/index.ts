/**
 * @module autocrypt
 *
 * Autocrypt Level 1 (https://autocrypt.org/level1.html): the `Autocrypt` header, per-peer state
 * and its update rules, the encryption recommendation, key generation, and sign+encrypt /
 * decrypt+verify on openpgp.js. The Email-notify spec builds on it.
 */
export * from './address.js';
export * from './crypto.js';
export * from './header.js';
export * from './keys.js';
export type { KeyInput } from './openpgp.js';
export * from './peer-state.js';
export * from './recommendation.js';
