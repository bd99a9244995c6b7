import { FosspushError } from '../errors.js';
import { canonicalizeAddress, sameAddress } from './address.js';
import { fromBase64, toBase64Lines } from './base64.js';

export type PreferEncrypt = 'mutual' | 'nopreference';

/** One valid `Autocrypt` (or `Autocrypt-Gossip`) header (Autocrypt Level 1, "The Autocrypt Header"). */
export interface AutocryptHeader {
  /** The address the key is for, as written in the header. */
  readonly addr: string;
  readonly preferEncrypt: PreferEncrypt;
  /** The binary OpenPGP transferable public key. */
  readonly keydata: Uint8Array;
}

export const AUTOCRYPT_HEADER = 'Autocrypt';
export const AUTOCRYPT_GOSSIP_HEADER = 'Autocrypt-Gossip';
/** Level 1: a header above 10 KiB, counting the name, the colon and folding whitespace, is invalid. */
export const AUTOCRYPT_HEADER_MAX_BYTES = 10 * 1024;
const ADDRESS_PATTERN = /^[^\s@]+@[^\s@]+$/;

function invalid(message: string): FosspushError {
  return new FosspushError('INVALID_AUTOCRYPT_HEADER', message);
}

interface Attributes {
  addr?: string;
  preferEncrypt?: string;
  keydata?: string;
}

function readAttributes(name: string, value: string): Attributes {
  // As written on the wire: "Name:", the value with its folding, and one space if it has none.
  const fieldBytes = name.length + 1 + (/^[ \t]/.test(value) ? 0 : 1) + value.length;
  if (fieldBytes > AUTOCRYPT_HEADER_MAX_BYTES) {
    throw invalid(`${name} header is larger than ${AUTOCRYPT_HEADER_MAX_BYTES} bytes`);
  }
  const attributes: Attributes = {};
  const seen = new Set<string>();
  for (const segment of value.replace(/\r?\n/g, '').split(';')) {
    const trimmed = segment.trim();
    if (trimmed === '') continue;
    if (attributes.keydata !== undefined) throw invalid('keydata must be the last attribute');
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw invalid(`malformed attribute ${JSON.stringify(trimmed.slice(0, 40))}`);
    const key = trimmed.slice(0, eq).trim();
    const attributeValue = trimmed.slice(eq + 1).trim();
    if (seen.has(key)) throw invalid(`attribute ${key} appears twice`);
    seen.add(key);
    if (key === 'addr') attributes.addr = attributeValue;
    else if (key === 'prefer-encrypt') attributes.preferEncrypt = attributeValue;
    else if (key === 'keydata') attributes.keydata = attributeValue;
    // Level 1: ignore unknown non-critical attributes, reject the header for unknown critical ones.
    else if (!key.startsWith('_')) throw invalid(`unsupported critical attribute ${JSON.stringify(key.slice(0, 40))}`);
  }
  return attributes;
}

function readHeader(name: string, value: string, addrAllowed: (addr: string) => boolean): AutocryptHeader {
  const attributes = readAttributes(name, value);
  if (attributes.addr === undefined || !ADDRESS_PATTERN.test(attributes.addr)) throw invalid('addr is missing or not an address');
  if (!addrAllowed(attributes.addr)) throw invalid(`addr ${attributes.addr} does not match the message's addresses`);
  if (attributes.keydata === undefined || attributes.keydata === '') throw invalid('keydata is missing');
  const keydata = fromBase64(attributes.keydata, 'keydata', 'INVALID_AUTOCRYPT_HEADER');
  if (keydata.length === 0) throw invalid('keydata is empty');
  return {
    addr: attributes.addr,
    // Level 1: any value other than `mutual` (or none) means no preference.
    preferEncrypt: attributes.preferEncrypt === 'mutual' ? 'mutual' : 'nopreference',
    keydata,
  };
}

/**
 * Parses the value of one `Autocrypt` header, applying every Level 1 validity rule: `addr`
 * must equal the `From` address (after canonicalization), `keydata` must come last, an
 * unknown critical attribute (no leading `_`) or a header above 10 KiB makes it invalid.
 * Throws INVALID_AUTOCRYPT_HEADER.
 *
 * @example
 * const header = parseAutocryptHeader(value, { fromAddress: 'alice@example.org' });
 */
export function parseAutocryptHeader(value: string, options: { fromAddress: string }): AutocryptHeader {
  return readHeader(AUTOCRYPT_HEADER, value, (addr) => sameAddress(addr, options.fromAddress));
}

/**
 * Parses an `Autocrypt-Gossip` header from the encrypted part: its `addr` must be one of the
 * message's recipients (`To`, `Cc`, `Reply-To`). `prefer-encrypt` carries no meaning in gossip.
 */
export function parseAutocryptGossipHeader(value: string, options: { recipients: readonly string[] }): AutocryptHeader {
  const recipients = new Set(options.recipients.map(canonicalizeAddress));
  const header = readHeader(AUTOCRYPT_GOSSIP_HEADER, value, (addr) => recipients.has(canonicalizeAddress(addr)));
  return { ...header, preferEncrypt: 'nopreference' };
}

/**
 * The one valid `Autocrypt` header among all of a message's `Autocrypt` headers. Level 1: when
 * more than one is valid, all are discarded (undefined), as when none is.
 */
export function selectAutocryptHeader(values: readonly string[], fromAddress: string): AutocryptHeader | undefined {
  const valid: AutocryptHeader[] = [];
  for (const value of values) {
    try {
      valid.push(parseAutocryptHeader(value, { fromAddress }));
    } catch {
      // An invalid header is ignored, as if it were absent.
    }
  }
  return valid.length === 1 ? valid[0] : undefined;
}

/**
 * Formats a header field, `keydata` last and folded into 76-character base64 lines (CRLF + space),
 * without a trailing line break. Throws INVALID_AUTOCRYPT_HEADER above 10 KiB: Level 1 says a
 * sender MUST NOT send one that large.
 *
 * @example
 * const line = formatAutocryptHeader({ addr: 'alice@example.org', preferEncrypt: 'mutual', keydata });
 */
export function formatAutocryptHeader(header: AutocryptHeader, name: typeof AUTOCRYPT_HEADER | typeof AUTOCRYPT_GOSSIP_HEADER = AUTOCRYPT_HEADER): string {
  if (!ADDRESS_PATTERN.test(header.addr) || /[;\r\n]/.test(header.addr)) throw invalid('addr is not an address');
  if (header.keydata.length === 0) throw invalid('keydata is empty');
  const prefer = header.preferEncrypt === 'mutual' && name === AUTOCRYPT_HEADER ? ' prefer-encrypt=mutual;' : '';
  const field = `${name}: addr=${header.addr};${prefer} keydata=\r\n ${toBase64Lines(header.keydata).join('\r\n ')}`;
  if (field.length > AUTOCRYPT_HEADER_MAX_BYTES) throw invalid(`${name} header would be larger than ${AUTOCRYPT_HEADER_MAX_BYTES} bytes`);
  return field;
}
