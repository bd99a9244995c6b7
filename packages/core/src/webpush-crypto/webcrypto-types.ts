/**
 * The WebCrypto types core names, taken from the platform's own `crypto` global rather than
 * from the DOM lib, which core does not load (a stray `open()` would type-check there as
 * `window.open`). Core's own check has the WebWorker lib's `crypto`; a Node package that
 * compiles core's source (the `@fosspush/source` condition) has @types/node's, which declares
 * these names only inside its `webcrypto` namespace. None of them appears in core's public types.
 */
export type SubtleCrypto = typeof globalThis.crypto.subtle;
export type CryptoKey = Parameters<SubtleCrypto['sign']>[1];
export type KeyUsage = CryptoKey['usages'][number];

/** The members of a P-256 JSON Web Key that core reads and writes (RFC 7518 section 6.2). */
export interface JsonWebKey {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
}
