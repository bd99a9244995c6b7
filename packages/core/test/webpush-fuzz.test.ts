// Mutation fuzzing of everything that parses untrusted Web Push input: decryptWebPush and
// decryptContent (bodies from the network) and verifyVapid (Authorization headers). Whatever
// the input, they must throw only FosspushErrors of the documented codes, finish promptly, and
// keep nothing: heap use after a forced GC stays near where it started.
import { describe, expect, it } from 'vitest';
import {
  createVapidSigner,
  decryptContent,
  decryptWebPush,
  encryptContent,
  encryptWebPush,
  type FosspushErrorCode,
  generateSubscriptionKeys,
  generateVapidKeys,
  isFosspushError,
  manualClock,
  utf8Encode,
  verifyVapid,
} from '../src/index.js';
import { heapAfterGc, seededRandom } from './fuzz-support.js';

type Random = ReturnType<typeof seededRandom>;

const BODY_MUTATIONS = ['bit flips', 'truncation', 'extension', 'random bytes', 'record size', 'key id length', 'key id byte', 'salt byte', 'splice'] as const;

function mutateBody(random: Random, body: Uint8Array, mutation: (typeof BODY_MUTATIONS)[number]): Uint8Array {
  const out = body.slice();
  const view = new DataView(out.buffer);
  switch (mutation) {
    case 'bit flips':
      for (let flips = 1 + random.int(3); flips > 0; flips--) {
        const at = random.int(out.length);
        out[at] = (out[at] as number) ^ (1 << random.int(8));
      }
      return out;
    case 'truncation':
      return out.subarray(0, random.int(out.length));
    case 'extension':
      return new Uint8Array([...out, ...random.bytes(1 + random.int(100))]);
    case 'random bytes':
      return random.bytes(random.int(300));
    case 'record size':
      view.setUint32(16, random.pick([0, 1, 16, 17, 18, 19, 25, 100, out.length - 21, 4095, 4097, 0xffffffff, random.int(2 ** 32)]));
      return out;
    case 'key id length':
      out[20] = random.int(256);
      return out;
    case 'key id byte':
      out[21 + random.int(Math.max(1, out[20] as number))] = random.int(256);
      return out;
    case 'salt byte':
      out[random.int(16)] = random.int(256);
      return out;
    case 'splice': {
      const at = random.int(out.length);
      const length = random.int(40);
      return new Uint8Array([...out.subarray(0, at), ...out.subarray(at, at + length), ...out.subarray(at)]);
    }
  }
}

const HEADER_MUTATIONS = ['character', 'insert', 'delete', 'truncate', 'scheme', 'drop parameter', 'segment', 'claims', 'garbage'] as const;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (text: string) => Buffer.from(text).toString('base64url');

function mutateHeader(random: Random, header: string, mutation: (typeof HEADER_MUTATIONS)[number]): string | undefined {
  const at = random.int(header.length);
  const char = () => random.pick([...BASE64URL, '.', ',', '=', ' ', '"', '\u00e9', '\0']);
  switch (mutation) {
    case 'character':
      return header.slice(0, at) + char() + header.slice(at + 1);
    case 'insert':
      return header.slice(0, at) + char() + header.slice(at);
    case 'delete':
      return header.slice(0, at) + header.slice(at + 1 + random.int(5));
    case 'truncate':
      return header.slice(0, at);
    case 'scheme':
      return header.replace(/^vapid/, random.pick(['Vapid', 'WebPush', 'Bearer', '', 'vapid,', 'vapidt']));
    case 'drop parameter':
      return header.replace(random.pick([/t=[^,]+/, /,?\s*k=\S+/]), '');
    case 'segment': {
      const segments = header.split('.');
      segments[random.int(segments.length)] = random.pick(['', 'e30', b64('null'), b64('[]'), b64('{"alg":"none"}'), b64('"x"'), 'A'.repeat(random.int(200))]);
      return segments.join('.');
    }
    case 'claims': {
      const [start = '', , rest = ''] = header.split('.');
      const claims = random.pick([
        { aud: 'https://push.example.net', exp: 2 ** 53 },
        { aud: 'https://push.example.net', exp: -1 },
        { aud: 'https://push.example.net', exp: Number.MAX_VALUE },
        { aud: 'https://evil.example', exp: 1_700_000_600 },
        { aud: ['https://push.example.net'], exp: 1_700_000_600 },
        { aud: 'https://push.example.net', exp: '1700000600' },
        { aud: 'https://push.example.net', exp: 1_700_000_600, sub: {} },
      ]);
      return `${start}.${b64(JSON.stringify(claims))}.${rest}`;
    }
    case 'garbage':
      return random.pick([undefined, '', 'vapid ', `vapid t=${'a.'.repeat(2000)}, k=x`, String.fromCharCode(...random.bytes(random.int(200)))]);
  }
}

type Outcome = 'ok' | FosspushErrorCode;

/** Runs one call, failing the test on anything but a FosspushError of an allowed code, or on a hang. */
async function outcomeOf(call: () => Promise<unknown>, allowed: readonly FosspushErrorCode[], input: unknown): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 2 s for ${String(input).slice(0, 200)}`)), 2000);
  });
  try {
    await Promise.race([call(), hang]);
    return 'ok';
  } catch (error) {
    if (!isFosspushError(error) || !allowed.includes(error.code)) {
      throw new Error(`unexpected failure for input ${String(input).slice(0, 200)}: ${String(error)}`, { cause: error });
    }
    return error.code;
  } finally {
    clearTimeout(timer);
  }
}

function tally(outcomes: Outcome[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

describe('fuzzing untrusted Web Push input', () => {
  it('5,000 mutated bodies and 2,000 mutated VAPID headers: typed errors only, prompt answers, bounded heap', { timeout: 120_000 }, async () => {
    const random = seededRandom(8291);
    const keys = await generateSubscriptionKeys();
    const webPushBodies = [
      await encryptWebPush(utf8Encode('a push message of moderate length, {"title":"hello"}'), keys),
      await encryptWebPush(new Uint8Array(3000), keys, { padTo: 3500 }),
    ];
    const ikm = random.bytes(16);
    const contentBodies = [
      await encryptContent(utf8Encode('I am the walrus, in several short records'), ikm, { salt: random.bytes(16), recordSize: 25, keyId: utf8Encode('a1') }),
      await encryptContent(random.bytes(500), ikm, { salt: random.bytes(16), recordSize: 4096, padTo: 600 }),
    ];
    const clock = manualClock(1_700_000_000_000);
    const vapidKeys = await generateVapidKeys();
    const signer = createVapidSigner({ keys: vapidKeys, subject: 'mailto:ops@example.org', runtime: { clock } });
    const authorization = await signer.authorization('https://push.example.net/push/1');
    const verifyOptions = { audience: 'https://push.example.net', expectedPublicKey: vapidKeys.publicKey, runtime: { clock } };

    const heapBefore = heapAfterGc();
    const started = performance.now();
    const outcomes = { webPush: [] as Outcome[], content: [] as Outcome[], vapid: [] as Outcome[] };
    const mutationsSeen = new Set<string>();

    for (let i = 0; i < 5000; i++) {
      const mutation = BODY_MUTATIONS[i % BODY_MUTATIONS.length] as (typeof BODY_MUTATIONS)[number];
      mutationsSeen.add(mutation);
      if (i % 2 === 0) {
        const body = mutateBody(random, random.pick(webPushBodies), mutation);
        outcomes.webPush.push(await outcomeOf(() => decryptWebPush(body, keys), ['DECRYPT_FAILED'], body));
      } else {
        const body = mutateBody(random, random.pick(contentBodies), mutation);
        const key = i % 4 === 1 ? ikm : async () => ikm;
        outcomes.content.push(await outcomeOf(() => decryptContent(body, key), ['DECRYPT_FAILED'], body));
      }
    }
    for (let i = 0; i < 2000; i++) {
      const header = mutateHeader(random, authorization, HEADER_MUTATIONS[i % HEADER_MUTATIONS.length] as (typeof HEADER_MUTATIONS)[number]);
      outcomes.vapid.push(await outcomeOf(() => verifyVapid(header, verifyOptions), ['UNAUTHENTICATED', 'PERMISSION_DENIED'], header));
    }
    const elapsedMs = performance.now() - started;
    const heapGrowth = heapAfterGc() - heapBefore;

    const counts = { webPush: tally(outcomes.webPush), content: tally(outcomes.content), vapid: tally(outcomes.vapid) };
    console.log(`fuzz: ${JSON.stringify(counts)}, ${Math.round(elapsedMs)} ms, heap growth ${(heapGrowth / 1024).toFixed(0)} KiB`);
    expect(outcomes.webPush.length + outcomes.content.length).toBe(5000);
    expect(mutationsSeen.size).toBe(BODY_MUTATIONS.length);
    expect(counts.webPush.DECRYPT_FAILED).toBeGreaterThan(2000);
    expect(counts.content.DECRYPT_FAILED).toBeGreaterThan(2000);
    expect(counts.vapid.UNAUTHENTICATED).toBeGreaterThan(500);
    expect(counts.vapid.PERMISSION_DENIED).toBeGreaterThan(100);
    // A mutation can leave a body valid (a record size that still fits one record) or a header
    // valid (a changed bit the base64url decoder ignores), never more than a few.
    expect(counts.webPush.ok ?? 0).toBeLessThan(300);
    expect(counts.vapid.ok ?? 0).toBeLessThan(300);
    // Forced GC on both sides, so what is left is what the code keeps: the bounded caches at most.
    expect(heapGrowth).toBeLessThan(8 * 1024 * 1024);
  });
});
