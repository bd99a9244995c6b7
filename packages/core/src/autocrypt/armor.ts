import { FosspushError, type FosspushErrorCode } from '../errors.js';
import { fromBase64 } from './base64.js';

export type ArmorType = 'PUBLIC KEY BLOCK' | 'PRIVATE KEY BLOCK' | 'MESSAGE';

function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * Removes OpenPGP ASCII armor (RFC 4880 section 6.2) synchronously, checking the block type and,
 * when present, the CRC-24 checksum. For the few places that cannot wait for openpgp.js to load;
 * the bytes are still only a candidate key or message until openpgp.js reads them.
 */
export function dearmor(text: string, type: ArmorType, code: FosspushErrorCode = 'INVALID_KEY'): Uint8Array {
  const fail = (why: string) => new FosspushError(code, `not an armored PGP ${type}: ${why}`);
  const begin = `-----BEGIN PGP ${type}-----`;
  const end = `-----END PGP ${type}-----`;
  const lines = text.split(/\r?\n/).map((line) => line.trimEnd());
  const start = lines.indexOf(begin);
  if (start < 0) throw fail('no BEGIN line');
  let index = start + 1;
  // Armor headers ("Version: ...", "Comment: ...") run to the first empty line.
  while (index < lines.length && lines[index] !== '') {
    if (!/^[\x21-\x39\x3b-\x7e]+: /.test(lines[index] as string)) break;
    index++;
  }
  if (lines[index] === '') index++;
  const body: string[] = [];
  let checksum: string | undefined;
  for (; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line === end) break;
    if (line.startsWith('=') && line.length === 5) checksum = line.slice(1);
    else body.push(line);
  }
  if (index >= lines.length) throw fail('no END line');
  const bytes = fromBase64(body.join(''), `PGP ${type}`, code);
  if (bytes.length === 0) throw fail('empty body');
  if (checksum !== undefined) {
    const expected = fromBase64(checksum, 'armor checksum', code);
    const actual = crc24(bytes);
    if (expected.length !== 3 || ((expected[0] as number) << 16) + ((expected[1] as number) << 8) + (expected[2] as number) !== actual) {
      throw fail('checksum mismatch');
    }
  }
  return bytes;
}
