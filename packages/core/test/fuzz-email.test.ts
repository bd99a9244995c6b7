import { beforeAll, describe, expect, it } from 'vitest';
import { parseAddressList } from '../src/autocrypt/address.js';
import { dearmor } from '../src/autocrypt/armor.js';
import { fromBase64, toBase64Lines } from '../src/autocrypt/base64.js';
import { encryptAndSign } from '../src/autocrypt/crypto.js';
import { parseRfc5322Date } from '../src/autocrypt/date.js';
import { formatAutocryptHeader, parseAutocryptGossipHeader, parseAutocryptHeader, selectAutocryptHeader } from '../src/autocrypt/header.js';
import { publicKeyBytes } from '../src/autocrypt/keys.js';
import { buildNotificationEmail } from '../src/email-notify/build.js';
import { isNotificationEmail } from '../src/email-notify/envelope.js';
import { type EmailIdentity, generateEmailIdentity } from '../src/email-notify/identity.js';
import { parseContentType, parseHeaderSection, splitMultipart } from '../src/email-notify/mime.js';
import { parseNotificationEmail, type ReceiverContext } from '../src/email-notify/parse.js';
import { formatCryptographicPayload, parseCryptographicPayload } from '../src/email-notify/payload.js';
import { emailTokenExtras, readEmailTokenFields } from '../src/email-notify/token-fields.js';
import { toBase64Url } from '../src/encoding/base64url.js';
import { isFosspushError } from '../src/errors.js';
import { heapAfterGc, seededRandom } from './fuzz-support.js';
import { createPushMessage } from '../src/message.js';
import { decodeToken, encodeToken } from '../src/token.js';

/**
 * Hostile input for every parser of the Autocrypt and Email-notify code: mutated mails (headers,
 * MIME boundaries, base64, truncation, random bytes), Autocrypt headers, protected payloads,
 * tokens, dates, addresses and armor. Each input must end in a result or a FosspushError, within
 * a time bound, and the heap must not grow without bound. FUZZ_SEED reproduces a run.
 */
const { FUZZ_SEED } = process.env;
const SEED = Number(FUZZ_SEED ?? 0x5eed1e55);
const SYNC_LIMIT_MS = 250;
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

let heapAtStart = 0;
const ASYNC_LIMIT_MS = 5000;

const random = seededRandom(SEED);

const SPICE = ['\r\n', '\n', '\r', ':', ';', '=', '-', '--', '"', '\\', '<', '>', ' ', '\t', '\0', '\u00e9', '\ud83d\ude00', '\uffff', 'A', '/', '+', '(', ')'];

/** One random edit of a string, biased toward the characters MIME and header parsers care about. */
function mutateText(text: string, focus?: { start: number; end: number }): string {
  const lo = focus?.start ?? 0;
  const hi = Math.max(lo + 1, focus?.end ?? text.length);
  const at = lo + random.int(hi - lo);
  const span = 1 + random.int(random.next() < 0.8 ? 8 : 400);
  switch (random.int(9)) {
    case 0:
      return text.slice(0, at) + random.pick(SPICE) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + random.pick(SPICE) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + span);
    case 3:
      return text.slice(0, at) + text.slice(at, at + span).repeat(1 + random.int(50)) + text.slice(at);
    case 4:
      return text.slice(0, at);
    case 5: {
      const lines = text.split('\n');
      const a = random.int(lines.length);
      const b = random.int(lines.length);
      [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      return lines.join('\n');
    }
    case 6:
      return text.slice(0, at) + String.fromCharCode(...Array.from({ length: span }, () => random.int(256))) + text.slice(at);
    case 7:
      return text.replace(/fp[A-Za-z0-9_-]{8}/g, (boundary) => (random.next() < 0.5 ? boundary : boundary.slice(0, random.int(boundary.length))));
    default:
      return text.slice(0, at) + (text.charCodeAt(at) ^ (1 << random.int(7))).toString() + text.slice(at + 1);
  }
}

function mutateBytes(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const edits = 1 + random.int(4);
  for (let i = 0; i < edits; i++) out[random.int(out.length)] = random.int(256);
  return random.next() < 0.2 ? out.subarray(0, random.int(out.length)) : out;
}

const failures: string[] = [];
let inputs = 0;

function record(kind: string, input: unknown, error: unknown): void {
  if (failures.length < 20) failures.push(`[seed ${SEED}] ${kind}: ${String(error)} for ${JSON.stringify(String(input).slice(0, 200))}`);
}

/** Runs a synchronous parser: a result or a FosspushError, within the time bound. */
function probe(kind: string, input: unknown, parse: () => unknown): void {
  inputs++;
  const start = performance.now();
  try {
    parse();
  } catch (error) {
    if (!isFosspushError(error)) record(kind, input, error);
  }
  const elapsed = performance.now() - start;
  if (elapsed > SYNC_LIMIT_MS) record(kind, input, `took ${elapsed.toFixed(0)} ms`);
}

async function probeAsync(kind: string, input: unknown, parse: () => Promise<unknown>): Promise<void> {
  inputs++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ASYNC_LIMIT_MS);
  });
  try {
    const outcome = await Promise.race([parse().then(() => 'done'), timeout]);
    if (outcome === 'timeout') record(kind, input, `no answer within ${ASYNC_LIMIT_MS} ms`);
  } catch (error) {
    if (!isFosspushError(error)) record(kind, input, error);
  } finally {
    clearTimeout(timer);
  }
}

let sender: EmailIdentity;
let device: EmailIdentity;
let hello: string;
let compact: string;
let helloPayload: Uint8Array;
let autocryptField: string;
let token: string;
let context: ReceiverContext;

beforeAll(async () => {
  [sender, device] = await Promise.all([generateEmailIdentity('push@app.example'), generateEmailIdentity('alice@example.test')]);
  token = encodeToken({
    channel: 'email',
    endpoint: 'mailto:alice@example.test',
    p256dh: toBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i))),
    auth: toBase64Url(new Uint8Array(16).fill(1)),
    extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'fuzz-reg', routingHint: 'fz' }),
  });
  const message = createPushMessage({ payload: new Uint8Array(203).fill(5), ttlSeconds: 3600, topic: 'fuzz' });
  hello = (await buildNotificationEmail({ token: decodeToken(token), message, sender, includeSenderKey: true })).raw;
  compact = (await buildNotificationEmail({ token: decodeToken(token), message, sender, includeSenderKey: false })).raw;
  const keydata = await publicKeyBytes(sender.publicKey);
  helloPayload = formatCryptographicPayload({
    registrationId: 'fuzz-reg',
    message,
    sender: { address: sender.address, autocrypt: { addr: sender.address, preferEncrypt: 'mutual', keydata } },
  });
  autocryptField = formatAutocryptHeader({ addr: sender.address, preferEncrypt: 'mutual', keydata }).slice('Autocrypt:'.length);
  context = {
    deviceIdentity: device,
    pinnedSenderKey: async () => sender.publicKey,
    pinSenderKey: async () => undefined,
    markSeen: async () => true,
  };
  // Sanity: the unmutated inputs are accepted, so mutations start from something valid.
  expect((await parseNotificationEmail(compact, context)).registrationId).toBe('fuzz-reg');
  heapAtStart = heapAfterGc();
}, 30_000);

describe(`fuzzing the email parsers (seed ${SEED})`, () => {
  it('mails: header, MIME and boundary mutations, truncation, random bytes (cheap layers)', async () => {
    for (let i = 0; i < 8000; i++) {
      const base = i % 2 === 0 ? compact : hello;
      const bodyStart = base.indexOf('Content-Transfer-Encoding: base64') + 37;
      // Mostly the cleartext structure; the base64 body is left to the crypto-path case below.
      const mutated = i % 10 === 0 ? mutateText(base) : mutateText(base, { start: 0, end: bodyStart });
      probe('isNotificationEmail', mutated, () => isNotificationEmail(mutated));
      await probeAsync('parseNotificationEmail', mutated, () => parseNotificationEmail(mutated, context));
    }
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: 32 + random.int(3000) }, () => random.int(256));
      if (i % 2 === 0) bytes.set(new TextEncoder().encode('Fosspush-Notify: 1\r\n'), 0);
      await probeAsync('parseNotificationEmail(bytes)', bytes, () => parseNotificationEmail(bytes, context));
    }
  }, 120_000);

  it('mails: ciphertext mutations that reach decryption, and signed payloads that are mutated before encryption', async () => {
    const lines = compact.split('\r\n');
    const first = lines.indexOf('Content-Transfer-Encoding: base64') + 2;
    const last = lines.findIndex((line, index) => index > first && line.startsWith('--fp'));
    for (let i = 0; i < 600; i++) {
      const copy = [...lines];
      const at = first + random.int(last - first);
      const line = copy[at] as string;
      const pos = random.int(line.length);
      copy[at] = line.slice(0, pos) + random.pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/']) + line.slice(pos + 1);
      const mutated = copy.join('\r\n');
      await probeAsync('parseNotificationEmail(ciphertext)', mutated, () => parseNotificationEmail(mutated, context));
    }
    for (let i = 0; i < 300; i++) {
      const payload = i % 2 === 0 ? mutateBytes(helloPayload) : new TextEncoder().encode(mutateText(new TextDecoder('latin1').decode(helloPayload)));
      const encrypted = await encryptAndSign({ data: payload, encryptionKeys: [device.publicKey], signingKey: sender.secretKey, format: 'binary' });
      const mail = [...lines.slice(0, first), ...toBase64Lines(encrypted), ...lines.slice(last)].join('\r\n');
      const fresh: ReceiverContext = { ...context, pinnedSenderKey: async () => (i % 4 === 0 ? undefined : sender.publicKey) };
      await probeAsync('parseNotificationEmail(payload)', payload, () => parseNotificationEmail(mail, fresh));
    }
  }, 120_000);

  it('protected payloads without crypto', () => {
    for (let i = 0; i < 3000; i++) {
      const payload = i % 3 === 0 ? mutateBytes(helloPayload) : new TextEncoder().encode(mutateText(new TextDecoder('latin1').decode(helloPayload)));
      probe('parseCryptographicPayload', payload, () => parseCryptographicPayload(payload));
    }
  });

  it('Autocrypt headers and header sections', () => {
    for (let i = 0; i < 3000; i++) {
      const value = mutateText(autocryptField);
      probe('parseAutocryptHeader', value, () => parseAutocryptHeader(value, { fromAddress: 'push@app.example' }));
      probe('parseAutocryptGossipHeader', value, () => parseAutocryptGossipHeader(value, { recipients: ['push@app.example'] }));
      probe('selectAutocryptHeader', value, () => selectAutocryptHeader([value, autocryptField], 'push@app.example'));
      const section = mutateText(`From: push@app.example\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nAutocrypt:${autocryptField}\r\n\r\n`);
      probe('parseHeaderSection', section, () => parseHeaderSection(section));
    }
  });

  it('email tokens through decodeToken and readEmailTokenFields', () => {
    const json = new TextDecoder().decode(Uint8Array.from(atob(token.slice(4).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
    for (let i = 0; i < 2000; i++) {
      const mutated = i % 2 === 0 ? mutateText(token) : `fp1.${toBase64Url(new TextEncoder().encode(mutateText(json)))}`;
      probe('readEmailTokenFields(decodeToken)', mutated, () => readEmailTokenFields(decodeToken(mutated)));
    }
  });

  it('dates, addresses, content types, multipart bodies, armor and base64', () => {
    const armored = sender.publicKey;
    for (let i = 0; i < 2000; i++) {
      const date = mutateText('Thu, 01 Jan 2026 00:00:00 +0000 (UTC)');
      probe('parseRfc5322Date', date, () => parseRfc5322Date(date));
      const list = mutateText('"Doe, J." <j@example.org>, Friends: a@b.example (c), <d@e.example>;');
      probe('parseAddressList', list, () => parseAddressList(list));
      const type = mutateText('multipart/encrypted; protocol="application/pgp-encrypted"; boundary=fpAbCdEf12');
      probe('parseContentType', type, () => parseContentType(type));
      const body = mutateText('pre\r\n--fpB\r\nA: 1\r\n\r\nx\r\n--fpB\r\n\r\ny\r\n--fpB--\r\n');
      probe('splitMultipart', body, () => splitMultipart(body, 'fpB'));
      const armor = mutateText(armored);
      probe('dearmor', armor.slice(0, 100), () => dearmor(armor, 'PUBLIC KEY BLOCK'));
      const b64 = mutateText('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=');
      probe('fromBase64', b64, () => fromBase64(b64));
    }
  });

  it('ran at least 10,000 inputs, every one answered by a result or a FosspushError, with bounded heap', () => {
    expect(failures).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(10_000);
    const growth = heapAfterGc() - heapAtStart;
    console.log(`email fuzz: ${inputs} inputs (seed ${SEED}), heap growth ${Math.round(growth / 1024)} KiB`);
    expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  });
});
