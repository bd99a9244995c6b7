import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { FosspushError } from '../errors.js';
import { bufferSource, subtle } from './webcrypto.js';
import type { CryptoKey } from './webcrypto-types.js';

/**
 * Compact JWS with ES256 (RFC 7515, RFC 7518 section 3.4), as much of it as VAPID needs.
 * WebCrypto's ECDSA signature is r || s (IEEE P1363), which is the form JWS uses: no DER.
 */

const ES256 = { name: 'ECDSA', hash: 'SHA-256' };
/** The header RFC 8292 section 2.4 shows, byte for byte. */
const HEADER_SEGMENT = toBase64Url(utf8Encode(JSON.stringify({ typ: 'JWT', alg: 'ES256' })));

export interface ParsedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** `header.payload`, the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

export async function signJwt(claims: Record<string, unknown>, privateKey: CryptoKey): Promise<string> {
  const signingInput = `${HEADER_SEGMENT}.${toBase64Url(utf8Encode(JSON.stringify(claims)))}`;
  const signature = await subtle().sign(ES256, privateKey, bufferSource(utf8Encode(signingInput)));
  return `${signingInput}.${toBase64Url(new Uint8Array(signature))}`;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8Decode(fromBase64Url(segment)));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits and decodes a compact JWT; UNAUTHENTICATED when it is not one. */
export function parseJwt(token: string): ParsedJwt {
  const fail = (why: string) => new FosspushError('UNAUTHENTICATED', `the VAPID token is not a JWT: ${why}`);
  const [headerSegment, claimsSegment, signatureSegment, ...rest] = token.split('.');
  if (headerSegment === undefined || claimsSegment === undefined || signatureSegment === undefined || rest.length > 0) {
    throw fail('it does not have three segments');
  }
  const header = decodeJsonObject(headerSegment);
  const claims = decodeJsonObject(claimsSegment);
  if (!header || !claims) throw fail('its header or claims are not base64url JSON objects');
  const signature = fromBase64Url(signatureSegment, 'the JWT signature', 'UNAUTHENTICATED');
  return { header, claims, signingInput: `${headerSegment}.${claimsSegment}`, signature };
}

export async function verifyJwt(jwt: ParsedJwt, publicKey: CryptoKey): Promise<boolean> {
  return subtle().verify(ES256, publicKey, bufferSource(jwt.signature), bufferSource(utf8Encode(jwt.signingInput)));
}
