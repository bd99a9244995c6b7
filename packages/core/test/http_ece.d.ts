// Types for the parts of http_ece (no types of its own) that the interop tests use.
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  interface Params {
    version?: 'aes128gcm' | 'aesgcm';
    /** Binary values may be Buffers or base64url strings. */
    key?: Buffer | string;
    keyid?: Buffer | string;
    salt?: Buffer | string;
    rs?: number;
    pad?: number;
    dh?: Buffer | string;
    privateKey?: ECDH;
    authSecret?: Buffer | string;
  }

  export function encrypt(buffer: Buffer, params: Params): Buffer;
  export function decrypt(buffer: Buffer, params: Params): Buffer;
  const ece: { encrypt: typeof encrypt; decrypt: typeof decrypt };
  export default ece;
}
