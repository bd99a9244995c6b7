import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { isFosspushError } from '../errors.js';
import { dearmor } from './armor.js';
import { fromBase64, toBase64, toBase64Lines } from './base64.js';

describe('standard base64', () => {
  it('matches the platform encoder for every length and tolerates MIME line breaks', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + length) & 0xff);
      const expected = btoa(String.fromCharCode(...bytes));
      expect(toBase64(bytes)).toBe(expected);
      expect(fromBase64(expected)).toEqual(bytes);
      expect(fromBase64(toBase64Lines(bytes, 8).join('\r\n '))).toEqual(bytes);
    }
  });

  it('accepts missing padding (harmless) but rejects foreign characters, impossible lengths and misplaced padding', () => {
    expect(fromBase64('QUI')).toEqual(new Uint8Array([0x41, 0x42]));
    for (const text of ['A-B_', 'AA=A', 'AAAAA', 'AAAAA===', 'QQ==QQ==', 'Q\u00e9==']) {
      expect(() => fromBase64(text, 'x', 'MALFORMED_EMAIL'), text).toThrow(/base64/);
    }
  });
});

describe('dearmor', () => {
  it('reads what openpgp.js armors, with or without armor headers and checksum', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'a@example.org' }], format: 'object' });
    const armored = publicKey.armor();
    expect(dearmor(armored, 'PUBLIC KEY BLOCK')).toEqual(publicKey.write());
    const withHeader = armored.replace('-----\n', '-----\nComment: test key\n');
    expect(dearmor(withHeader, 'PUBLIC KEY BLOCK')).toEqual(publicKey.write());
    const checksummed = openpgp.armor(openpgp.enums.armor.publicKey, publicKey.write(), undefined, undefined, undefined, true);
    expect(checksummed).toMatch(/\n=[A-Za-z0-9+/]{4}\n/);
    expect(dearmor(checksummed, 'PUBLIC KEY BLOCK')).toEqual(publicKey.write());
    const withoutChecksum = checksummed.replace(/\n=[A-Za-z0-9+/]{4}\n/, '\n');
    expect(dearmor(withoutChecksum, 'PUBLIC KEY BLOCK')).toEqual(publicKey.write());
  });

  it('refuses the wrong block type, a bad checksum and a missing end', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'a@example.org' }], format: 'object' });
    const expectInvalid = (text: string) => {
      try {
        dearmor(text, 'PUBLIC KEY BLOCK');
      } catch (error) {
        expect(isFosspushError(error, 'INVALID_KEY')).toBe(true);
        return;
      }
      throw new Error('accepted');
    };
    expectInvalid(privateKey.armor());
    const publicArmored = privateKey.toPublic().armor();
    expectInvalid(publicArmored.replace(/-----END PGP PUBLIC KEY BLOCK-----[\s\S]*$/, ''));
    const lines = publicArmored.trimEnd().split('\n');
    lines.splice(lines.length - 1, 0, '=AAAA');
    expectInvalid(lines.join('\n'));
  });
});
