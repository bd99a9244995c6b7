import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64 } from '../src/autocrypt/base64.js';
import { decryptAndVerify, encryptAndSign } from '../src/autocrypt/crypto.js';
import { type AutocryptKeyPair, generateAutocryptKey, keyFingerprint, publicKeyBytes } from '../src/autocrypt/keys.js';
import { readPrivateKey, readPublicKey } from '../src/autocrypt/openpgp.js';
import { buildNotificationEmail } from '../src/email-notify/build.js';
import type { EmailIdentity } from '../src/email-notify/identity.js';
import { parseNotificationEmail, type ReceiverContext } from '../src/email-notify/parse.js';
import { formatCryptographicPayload } from '../src/email-notify/payload.js';
import { emailTokenExtras } from '../src/email-notify/token-fields.js';
import { toBase64Url } from '../src/encoding/base64url.js';
import { createPushMessage } from '../src/message.js';
import { decodeToken, encodeToken, type PushToken } from '../src/token.js';

/**
 * Interoperability with GnuPG (/usr/bin/gpg, 2.2 on Debian 12): keys and messages made by gpg
 * work with ours, and ours with gpg, including whole Email-notify notifications.
 */
const home = mkdtempSync(join(tmpdir(), 'fosspush-gpg-'));
const GPG_ADDRESS = 'gina@gpg.example';

function gpg(args: string[], input?: Uint8Array | string): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'gpg',
      ['--homedir', home, '--batch', '--yes', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', '--trust-model', 'always', ...args],
      { encoding: 'buffer', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`gpg ${args.join(' ')} failed: ${stderr.toString()}`, { cause: error }));
        else resolve({ stdout, stderr: stderr.toString() });
      },
    );
    child.stdin?.end(input === undefined ? undefined : Buffer.from(input));
  });
}

let ours: AutocryptKeyPair;
let gina: EmailIdentity;
let ginaFingerprint: string;

beforeAll(async () => {
  ours = await generateAutocryptKey('ours@fosspush.example');
  await gpg(['--quick-gen-key', `Gina <${GPG_ADDRESS}>`, 'ed25519', 'sign', '0']);
  const listing = (await gpg(['--with-colons', '--list-keys', GPG_ADDRESS])).stdout.toString();
  ginaFingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1] as string;
  await gpg(['--quick-add-key', ginaFingerprint, 'cv25519', 'encr', '0']);
  gina = {
    address: GPG_ADDRESS,
    publicKey: (await gpg(['--armor', '--export', GPG_ADDRESS])).stdout.toString(),
    secretKey: (await gpg(['--armor', '--export-secret-keys', GPG_ADDRESS])).stdout.toString(),
  };
  await gpg(['--import'], ours.publicKey);
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => execFile('gpgconf', ['--homedir', home, '--kill', 'all'], resolve));
  rmSync(home, { recursive: true, force: true });
});

const data = new TextEncoder().encode('push over email, checked by GnuPG');

describe('GnuPG interop', () => {
  it('reads the gpg-made key: Ed25519 primary with a Cv25519 subkey, same fingerprint', async () => {
    const key = await readPublicKey(gina.publicKey);
    expect(key.getAlgorithmInfo()).toMatchObject({ algorithm: 'eddsaLegacy' });
    expect(key.getSubkeys()[0]?.getAlgorithmInfo()).toMatchObject({ algorithm: 'ecdh', curve: 'curve25519Legacy' });
    expect(await keyFingerprint(gina.publicKey)).toBe(ginaFingerprint);
  });

  it('gpg encrypts and signs with its key, we decrypt and verify (also a compressed message)', async () => {
    for (const compress of ['--compress-level=0', '--compress-level=6']) {
      const { stdout } = await gpg([compress, '--compress-algo', 'zlib', '--local-user', GPG_ADDRESS, '--recipient', ours.address, '--encrypt', '--sign'], data);
      const decrypted = await (await openpgp.readMessage({ binaryMessage: new Uint8Array(stdout) })).decrypt([await readPrivateKey(ours.secretKey)]);
      const [firstTag] = decrypted.packets.map((packet) => (packet.constructor as unknown as { tag: number }).tag);
      expect(firstTag === openpgp.enums.packet.compressedData).toBe(compress === '--compress-level=6');
      const result = await decryptAndVerify({ message: new Uint8Array(stdout), decryptionKey: ours.secretKey, verificationKeys: [gina.publicKey] });
      expect(result.data).toEqual(data);
      expect(result.signerFingerprint).toBe(ginaFingerprint);
      await expect(decryptAndVerify({ message: new Uint8Array(stdout), decryptionKey: ours.secretKey, verificationKeys: [ours.publicKey] })).rejects.toMatchObject({
        code: 'BAD_SIGNATURE',
      });
    }
  });

  it('we encrypt and sign, gpg decrypts and reports a good signature by our key', async () => {
    const armored = await encryptAndSign({ data, encryptionKeys: [gina.publicKey], signingKey: ours.secretKey });
    const { stdout, stderr } = await gpg(['--status-fd', '2', '--decrypt'], armored);
    expect(new Uint8Array(stdout)).toEqual(data);
    expect(stderr).toContain('[GNUPG:] DECRYPTION_OKAY');
    expect(stderr).toMatch(new RegExp(`\\[GNUPG:\\] VALIDSIG ${ours.fingerprint}`));
    expect(stderr).toContain('[GNUPG:] GOODSIG');
  });

  describe('Email-notify with gpg on either side', () => {
    const tokenFor = async (deviceKey: string): Promise<PushToken> =>
      decodeToken(
        encodeToken({
          channel: 'email',
          endpoint: 'mailto:device@example.test',
          p256dh: toBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i))),
          auth: toBase64Url(new Uint8Array(16)),
          extras: emailTokenExtras({ deviceKey, registrationId: 'gpg-reg' }),
        }),
      );
    const receiver = (deviceIdentity: EmailIdentity): ReceiverContext => {
      const pins = new Map<string, string>();
      return {
        deviceIdentity,
        pinnedSenderKey: async (id) => pins.get(id),
        pinSenderKey: async (id, key) => {
          pins.set(id, key);
        },
        markSeen: async () => true,
      };
    };
    const push = () => createPushMessage({ payload: new Uint8Array(203).fill(9), ttlSeconds: 600 });
    const oursIdentity = (): EmailIdentity => ({ address: ours.address, publicKey: ours.publicKey, secretKey: ours.secretKey });

    it('a gpg-made device key receives our notifications', async () => {
      const message = push();
      const { raw } = await buildNotificationEmail({ token: await tokenFor(gina.publicKey), message, sender: oursIdentity(), includeSenderKey: true });
      const received = await parseNotificationEmail(raw, receiver(gina));
      expect(received.message).toEqual(message);
    });

    it('a gpg-made sender key signs notifications we accept and pin', async () => {
      const message = push();
      const { raw } = await buildNotificationEmail({ token: await tokenFor(ours.publicKey), message, sender: gina, includeSenderKey: true });
      const received = await parseNotificationEmail(raw, receiver(oursIdentity()));
      expect(received).toMatchObject({ registrationId: 'gpg-reg', pinnedNow: true, message });
    });

    it('gpg decrypts the OpenPGP part of our notification and finds a good signature and the payload', async () => {
      const message = push();
      const { raw } = await buildNotificationEmail({ token: await tokenFor(gina.publicKey), message, sender: oursIdentity(), includeSenderKey: false });
      const base64 = raw.slice(raw.indexOf('base64\r\n\r\n') + 10, raw.lastIndexOf('\r\n--fp'));
      const { stdout, stderr } = await gpg(['--status-fd', '2', '--decrypt'], fromBase64(base64));
      expect(stderr).toMatch(new RegExp(`\\[GNUPG:\\] VALIDSIG ${ours.fingerprint}`));
      const plaintext = new Uint8Array(stdout);
      expect(plaintext.subarray(plaintext.length - 203)).toEqual(message.payload);
      expect(new TextDecoder().decode(plaintext.subarray(0, 60))).toMatch(/^Content-Type: application\/vnd\.fosspush\.push/);
    });

    it('a notification whose OpenPGP part gpg made (armored, compressed) is accepted', async () => {
      const message = push();
      const payload = formatCryptographicPayload({
        registrationId: 'gpg-reg',
        message,
        sender: { address: GPG_ADDRESS, autocrypt: { addr: GPG_ADDRESS, preferEncrypt: 'mutual', keydata: await publicKeyBytes(gina.publicKey) } },
      });
      const { stdout: armored } = await gpg(['--armor', '--local-user', GPG_ADDRESS, '--recipient', ours.address, '--encrypt', '--sign'], payload);
      const { raw } = await buildNotificationEmail({ token: await tokenFor(ours.publicKey), message, sender: oursIdentity(), includeSenderKey: false });
      const head = raw.slice(0, raw.indexOf('Content-Transfer-Encoding: base64'));
      const mail = `${head}\r\n${armored.toString().replace(/\r?\n/g, '\r\n')}\r\n${raw.slice(raw.lastIndexOf('--fp'))}`;
      const received = await parseNotificationEmail(mail, receiver(oursIdentity()));
      expect(received).toMatchObject({ registrationId: 'gpg-reg', pinnedNow: true, message });
    });
  });
});
