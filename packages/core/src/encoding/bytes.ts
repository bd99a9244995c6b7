const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A Uint8Array backed by a plain ArrayBuffer, what `fetch` and WebCrypto take. Spelled through
 * `slice`'s return type so the declarations check on every TypeScript from 5.5 (no generic
 * `Uint8Array`: plain `Uint8Array`) to 5.7 and later (`Uint8Array<ArrayBuffer>`).
 */
export type ArrayBufferBytes = ReturnType<Uint8Array['slice']>;

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: invalid sequences throw instead of turning into U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Constant-time comparison, for secrets such as auth tokens and capability URLs. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
