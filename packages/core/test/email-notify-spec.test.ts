import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptMessage } from '../src/autocrypt/crypto.js';
import { armoredPublicKey, keyFingerprint } from '../src/autocrypt/keys.js';
import { readNotificationEnvelope } from '../src/email-notify/envelope.js';
import { generateEmailIdentity } from '../src/email-notify/identity.js';
import { parseNotificationEmail, type ReceiverContext } from '../src/email-notify/parse.js';
import { readEmailTokenFields } from '../src/email-notify/token-fields.js';
import { toBase64Url } from '../src/encoding/base64url.js';
import { isFosspushError } from '../src/errors.js';
import { manualClock } from '../src/runtime.js';
import { decodeToken } from '../src/token.js';
import { RFC8291, readSpecVectors, type SpecVector, toWire } from './email-notify-vectors.js';

const run = promisify(execFile);
const vectors = readSpecVectors();

function vector(name: string, type?: string): SpecVector {
  const found = vectors.get(name);
  if (found === undefined) throw new Error(`the spec has no vector ${name}`);
  if (type !== undefined) expect(found.type).toBe(type);
  return found;
}

const byType = (type: string) => [...vectors.values()].filter((each) => each.type === type);

interface Expectation {
  mail: string;
  device: string;
  at: string;
  pinned: string | null;
  seen: boolean;
  reject?: string;
  accept?: {
    registrationId: string;
    messageId: string;
    sentAt: string;
    ttlSeconds: number;
    urgency: string;
    topic: string | null;
    payload: string;
    pinnedNow: boolean;
    pinnedFingerprint: string;
  };
}

/** A receiver whose state is what the expectation says it was before the mail arrived. */
async function receiverFor(expectation: Expectation) {
  const pins = new Map<string, string>();
  const registrationId = expectation.accept?.registrationId ?? 'k3V9xq0ZtA2mR7bY1cW4eD';
  if (expectation.pinned !== null) pins.set(registrationId, await armoredPublicKey(vector(expectation.pinned, 'secret-key').text));
  const seen = new Set<string>();
  const context: ReceiverContext = {
    deviceIdentity: { address: 'alice@example.test', publicKey: '', secretKey: vector(expectation.device, 'secret-key').text },
    pinnedSenderKey: async (id) => pins.get(id),
    pinSenderKey: async (id, key) => {
      pins.set(id, key);
    },
    markSeen: async (key) => {
      if (expectation.seen) return false;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
    runtime: { clock: manualClock(Date.parse(expectation.at)) },
  };
  return { context, pins, seen };
}

describe('docs/email-notify-spec.md test vectors', () => {
  it('holds every kind of vector the suite checks, each one checked below', () => {
    const checked = new Set(['secret-key', 'token', 'expect-token', 'mail', 'payload-headers', 'expect', 'sieve', 'expect-sieve']);
    for (const each of vectors.values()) expect(checked.has(each.type), `${each.name} has unknown type ${each.type}`).toBe(true);
    expect(byType('expect').length).toBeGreaterThanOrEqual(8);
  });

  it('keys: readable Autocrypt Level 1 keys with the fingerprints the text states', async () => {
    const keys = byType('secret-key');
    expect(keys.map((each) => each.name).sort()).toEqual(['device-key', 'sender-key']);
    expect(await keyFingerprint(vector('sender-key').text)).toBe('FD5376A4713C63792FA69B4E3F47140D8DA786D2');
    expect(await keyFingerprint(vector('device-key').text)).toBe('9F073EF2321FE7F91277F2F9FC454F7CAAB340AC');
  });

  it('token: decodes to the stated email fields and the RFC 8291 keys', async () => {
    for (const each of byType('expect-token')) {
      const expected = JSON.parse(each.text) as {
        token: string;
        address: string;
        registrationId: string;
        routingHint: string;
        deviceFingerprint: string;
        p256dh: string;
        auth: string;
      };
      const token = decodeToken(vector(expected.token, 'token').text.trim());
      const fields = readEmailTokenFields(token);
      expect(fields.address).toBe(expected.address);
      expect(fields.registrationId).toBe(expected.registrationId);
      expect(fields.routingHint).toBe(expected.routingHint);
      expect(await keyFingerprint(fields.deviceKey)).toBe(expected.deviceFingerprint);
      expect(token.p256dh).toBe(expected.p256dh);
      expect(token.auth).toBe(expected.auth);
      expect(token.p256dh).toBe(RFC8291.p256dh);
    }
  });

  it('mails: 7-bit, lines of at most 78 characters, CRLF on the wire', () => {
    for (const mail of byType('mail')) {
      for (const line of mail.text.split('\n')) {
        expect(line.length, `${mail.name}: ${line}`).toBeLessThanOrEqual(78);
        expect(/^[\x20-\x7e]*$/.test(line), `${mail.name}: ${line}`).toBe(true);
      }
      expect(toWire(mail.text)).not.toMatch(/[^\r]\n/);
    }
  });

  it('payload headers: the decrypted cryptographic payloads start with exactly the stated header sections', async () => {
    const excerpts = byType('payload-headers');
    expect(excerpts.length).toBe(2);
    for (const excerpt of excerpts) {
      const envelope = readNotificationEnvelope(toWire(vector(excerpt.of as string, 'mail').text));
      const decrypted = await decryptMessage(envelope.encrypted, vector('device-key').text, {
        runtime: { clock: manualClock(Date.parse('2026-01-01T00:06:00Z')) },
      });
      const text = new TextDecoder('latin1').decode(decrypted.data);
      const headerSection = text.slice(0, text.indexOf('\r\n\r\n') + 2);
      expect(headerSection).toBe(toWire(excerpt.text));
      expect(toBase64Url(decrypted.data.slice(text.indexOf('\r\n\r\n') + 4))).toBe(RFC8291.body);
    }
  });

  for (const each of byType('expect')) {
    it(`${each.name}: the receiver ${JSON.parse(each.text).reject === undefined ? 'accepts' : `rejects with ${JSON.parse(each.text).reject}`}`, async () => {
      const expectation = JSON.parse(each.text) as Expectation;
      const { context, pins, seen } = await receiverFor(expectation);
      const raw = toWire(vector(expectation.mail, 'mail').text);
      if (expectation.reject !== undefined) {
        const error = await parseNotificationEmail(raw, context).catch((e: unknown) => e);
        expect(isFosspushError(error), String(error)).toBe(true);
        expect((error as { code: string }).code).toBe(expectation.reject);
        // A rejected mail changes no receiver state.
        expect(pins.size).toBe(expectation.pinned === null ? 0 : 1);
        expect(seen.size).toBe(0);
        return;
      }
      const accept = expectation.accept;
      if (accept === undefined) throw new Error(`${each.name} has neither accept nor reject`);
      const received = await parseNotificationEmail(raw, context);
      expect(received.registrationId).toBe(accept.registrationId);
      expect(received.pinnedNow).toBe(accept.pinnedNow);
      expect(received.message.id).toBe(accept.messageId);
      expect(received.message.sentAt).toBe(Date.parse(accept.sentAt));
      expect(received.message.ttlSeconds).toBe(accept.ttlSeconds);
      expect(received.message.urgency).toBe(accept.urgency);
      expect(received.message.topic ?? null).toBe(accept.topic);
      expect(toBase64Url(received.message.payload)).toBe(accept.payload);
      expect(await keyFingerprint(pins.get(accept.registrationId) as string)).toBe(accept.pinnedFingerprint);
      expect(seen.size).toBe(1);
    });
  }

  describe('filing with the spec Sieve rule (Pigeonhole sieve-test)', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'fosspush-sieve-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    async function sieveActions(script: string, mail: string): Promise<string> {
      // sieve-test drops privileges to mail_uid: everything it touches must be world-accessible.
      chmodSync(scratch, 0o777);
      const home = join(scratch, 'home');
      mkdirSync(join(home, 'Maildir'), { recursive: true, mode: 0o777 });
      chmodSync(home, 0o777);
      chmodSync(join(home, 'Maildir'), 0o777);
      const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
      const gid = process.getgid?.() === 0 ? 65534 : process.getgid?.();
      writeFileSync(join(scratch, 'dovecot.conf'), `mail_uid = ${uid}\nmail_gid = ${gid}\nmail_location = maildir:${home}/Maildir\n`, { mode: 0o644 });
      writeFileSync(join(scratch, 'rule.sieve'), script, { mode: 0o644 });
      writeFileSync(join(scratch, 'mail.eml'), mail, { mode: 0o644 });
      const { stdout } = await run('sieve-test', ['-c', join(scratch, 'dovecot.conf'), join(scratch, 'rule.sieve'), join(scratch, 'mail.eml')], {
        env: { ...process.env, HOME: home },
        timeout: 10_000,
      });
      return stdout;
    }

    for (const each of byType('expect-sieve')) {
      it(`${each.name}: notifications are filed, regular mail is kept`, async () => {
        const expected = JSON.parse(each.text) as { sieve: string; fileinto: string[]; keep: string[]; folder: string };
        const script = vector(expected.sieve, 'sieve').text;
        for (const name of expected.fileinto) {
          const out = await sieveActions(script, toWire(vector(name, 'mail').text));
          expect(out).toContain(`store message in folder: ${expected.folder}`);
          expect(out).toContain('create mailbox if it does not exist');
          expect(out).not.toMatch(/Implicit keep:\s*\n\s*\* store message in folder: INBOX/);
        }
        for (const name of expected.keep) {
          const out = await sieveActions(script, toWire(vector(name, 'mail').text));
          expect(out).not.toContain(`folder: ${expected.folder}`);
          expect(out).toMatch(/Implicit keep:\s*\n\s*\* store message in folder: INBOX/);
        }
      });
    }
  });

  it('the generator makes mails that satisfy the same checks (build from the spec token, parse at the vector time)', async () => {
    const { buildNotificationEmail } = await import('../src/email-notify/build.js');
    const { createPushMessage } = await import('../src/message.js');
    const clock = manualClock(Date.parse('2026-01-01T00:00:30Z'));
    const sender = await generateEmailIdentity('push@app.example', { clock });
    const token = decodeToken(vector('token').text.trim());
    const message = createPushMessage({ payload: new Uint8Array(32), ttlSeconds: 60 }, { clock });
    const { raw } = await buildNotificationEmail({ token, message, sender, includeSenderKey: true, runtime: { clock } });
    const { context } = await receiverFor({ mail: '', device: 'device-key', at: '2026-01-01T00:00:31Z', pinned: null, seen: false });
    const received = await parseNotificationEmail(raw, context);
    expect(received.registrationId).toBe('k3V9xq0ZtA2mR7bY1cW4eD');
    expect(received.pinnedNow).toBe(true);
  });
});
