/**
 * The test vectors of docs/email-notify-spec.md: every fenced block with the info string
 * `email-notify-vector name=<name> type=<type> [of=<name>]` is read here and checked by
 * email-notify-spec.test.ts. Run this file with tsx to print a fresh set of key, token and mail
 * vectors (OpenPGP encryption is randomised, so each run differs; paste them into the spec).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildNotificationEmail } from '../src/email-notify/build.js';
import { generateEmailIdentity } from '../src/email-notify/identity.js';
import { emailTokenExtras } from '../src/email-notify/token-fields.js';
import { fromBase64Url } from '../src/encoding/base64url.js';
import { createPushMessage } from '../src/message.js';
import { manualClock, type RandomSource } from '../src/runtime.js';
import { decodeToken, encodeToken } from '../src/token.js';

export interface SpecVector {
  readonly name: string;
  readonly type: string;
  /** For excerpts: the vector this one is part of. */
  readonly of?: string;
  /** The block's text with LF line endings, as the document shows it. */
  readonly text: string;
}

export const SPEC_FILE = fileURLToPath(new URL('../../../docs/email-notify-spec.md', import.meta.url));

export function readSpecVectors(markdown = readFileSync(SPEC_FILE, 'utf8')): Map<string, SpecVector> {
  const vectors = new Map<string, SpecVector>();
  const block = /^```email-notify-vector ([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(block)) {
    const attributes = new Map((match[1] ?? '').trim().split(/\s+/).map((pair) => pair.split('=') as [string, string]));
    const name = attributes.get('name');
    const type = attributes.get('type');
    if (name === undefined || type === undefined) throw new Error(`vector block without name or type: ${match[1]}`);
    if (vectors.has(name)) throw new Error(`vector ${name} appears twice`);
    const of = attributes.get('of');
    vectors.set(name, { name, type, text: match[2] ?? '', of });
  }
  return vectors;
}

/** A mail as the spec shows it (LF) to the CRLF form that goes on the wire. */
export const toWire = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** RFC 8291 Appendix A: the user agent's keys and the 144-byte aes128gcm body. */
export const RFC8291 = {
  p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  auth: 'BTBZMqHH6r4Tts7J_aSIgg',
  body: 'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
} as const;

/** Deterministic "random" bytes, so boundaries and Message-IDs in the vectors are stable. */
function countingRandom(): RandomSource {
  let counter = 0;
  return { bytes: (length) => Uint8Array.from({ length }, () => (counter++ * 73 + 11) & 0xff) };
}

async function generate(): Promise<void> {
  const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'));
  const runtime = { clock, random: countingRandom() };
  const sender = await generateEmailIdentity('push@app.example', runtime);
  const device = await generateEmailIdentity('alice@example.test', runtime);
  const token = encodeToken({
    channel: 'email',
    endpoint: 'mailto:alice@example.test',
    p256dh: RFC8291.p256dh,
    auth: RFC8291.auth,
    extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'k3V9xq0ZtA2mR7bY1cW4eD', routingHint: 'a7Qe' }),
  });
  const payload = fromBase64Url(RFC8291.body);
  clock.set(Date.parse('2026-01-01T00:00:10Z'));
  const hello = await buildNotificationEmail({
    token: decodeToken(token),
    message: createPushMessage({ id: 'm1-hello', payload, ttlSeconds: 86400, urgency: 'high', topic: 'inbox' }, runtime),
    sender,
    includeSenderKey: true,
    runtime,
  });
  clock.set(Date.parse('2026-01-01T00:05:00Z'));
  const compact = await buildNotificationEmail({
    token: decodeToken(token),
    message: createPushMessage({ id: 'm2-compact', payload, ttlSeconds: 3600 }, runtime),
    sender,
    includeSenderKey: false,
    runtime,
  });
  const show = (name: string, type: string, text: string) => console.log(`\`\`\`email-notify-vector name=${name} type=${type}\n${text.replace(/\r\n/g, '\n').trimEnd()}\n\`\`\`\n`);
  show('sender-key', 'secret-key', sender.secretKey);
  show('device-key', 'secret-key', device.secretKey);
  show('token', 'token', token);
  show('hello', 'mail', hello.raw);
  show('compact', 'mail', compact.raw);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await generate();
