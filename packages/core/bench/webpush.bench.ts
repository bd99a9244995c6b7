// Web Push crypto against the `web-push` library, in one run on one machine:
// - encrypt throughput (RFC 8291 aes128gcm, one record) for 100- and 3,000-byte payloads;
// - VAPID amortisation: JWT signatures per 1,000 messages to one push service.
import webpush from 'web-push';
import { type BenchCase, opsPerSecond, reportBench } from '../../testing/src/bench.js';
import { createVapidSigner, encryptWebPush, generateSubscriptionKeys, generateVapidKeys, manualClock } from '../src/index.js';

/** Messages in flight at once, as a sender fanning one event out to many subscribers has. */
const CONCURRENCY = 32;
const ROUNDS = 5;
const ROUND_MS = 1000;
const MESSAGES_PER_DAY = 1000;
const DAY_MS = 86_400_000;

/** Messages per second with `concurrency` encryptions in flight, for at least `minMs`. */
async function concurrentRate(work: () => Promise<unknown>, concurrency: number, minMs = 2000): Promise<number> {
  const start = performance.now();
  let done = 0;
  const worker = async () => {
    while (performance.now() - start < minMs) {
      await work();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - start) / 1000);
}

/** The median of a few alternating rounds, so that load from other processes hits both sides alike. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const target = await generateSubscriptionKeys();
const cases: BenchCase[] = [];

for (const size of [100, 3000]) {
  const plaintext = new Uint8Array(size).fill(0x61);
  const buffer = Buffer.from(plaintext);
  const ours = () => encryptWebPush(plaintext, target);
  const theirs = () => webpush.encrypt(target.p256dh, target.auth, buffer, 'aes128gcm');
  await concurrentRate(ours, CONCURRENCY, 300);
  await opsPerSecond(theirs, { minMs: 300 });
  const rounds = { ours: [] as number[], oursOneAtATime: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.theirs.push(await opsPerSecond(theirs, { minMs: ROUND_MS }));
    rounds.ours.push(await concurrentRate(ours, CONCURRENCY, ROUND_MS));
    rounds.oursOneAtATime.push(await opsPerSecond(ours, { minMs: ROUND_MS / 2 }));
  }
  cases.push({
    name: `Web Push encrypt, ${size.toLocaleString('en-US')}-byte payload`,
    unit: 'messages/s',
    higherIsBetter: true,
    ours: { label: `encryptWebPush, ${CONCURRENCY} in flight`, value: Math.round(median(rounds.ours)) },
    baseline: { label: 'web-push encrypt', value: Math.round(median(rounds.theirs)) },
    target: 1.0,
    extra: { oursOneAtATime: Math.round(median(rounds.oursOneAtATime)), rounds: ROUNDS },
  });
}

// A day of messages to one push service, evenly spaced: the signer signs once per token
// lifetime (12 h, renewed 1 h early), web-push's getVapidHeaders once per message.
const vapidKeys = await generateVapidKeys();
const clock = manualClock(Date.UTC(2026, 0, 1));
const signer = createVapidSigner({ keys: vapidKeys, subject: 'mailto:bench@example.org', runtime: { clock } });
const endpoint = 'https://push.example.net/push/abc';
for (let i = 0; i < MESSAGES_PER_DAY; i++) {
  await signer.authorization(endpoint);
  clock.advance(DAY_MS / MESSAGES_PER_DAY);
}
let webPushSignatures = 0;
for (let i = 0; i < MESSAGES_PER_DAY; i++) {
  webpush.getVapidHeaders('https://push.example.net', 'mailto:bench@example.org', vapidKeys.publicKey, vapidKeys.privateKey, 'aes128gcm');
  webPushSignatures++;
}
cases.push({
  name: `VAPID: messages per JWT signature, ${MESSAGES_PER_DAY.toLocaleString('en-US')} messages over 24 h to one audience`,
  unit: 'messages/signature',
  higherIsBetter: true,
  ours: { label: `createVapidSigner (${signer.signatureCount} signatures)`, value: MESSAGES_PER_DAY / signer.signatureCount },
  baseline: { label: `web-push getVapidHeaders (${webPushSignatures} signatures)`, value: MESSAGES_PER_DAY / webPushSignatures },
  target: 5,
});

const liveSigner = createVapidSigner({ keys: vapidKeys, subject: 'mailto:bench@example.org' });
cases.push({
  name: 'VAPID Authorization header per message, one audience',
  unit: 'headers/s',
  higherIsBetter: true,
  ours: { label: 'createVapidSigner (cached JWT)', value: Math.round(await opsPerSecond(() => liveSigner.authorization(endpoint))) },
  baseline: {
    label: 'web-push getVapidHeaders',
    value: Math.round(
      await opsPerSecond(() =>
        webpush.getVapidHeaders('https://push.example.net', 'mailto:bench@example.org', vapidKeys.publicKey, vapidKeys.privateKey, 'aes128gcm'),
      ),
    ),
  },
});

reportBench('webpush-crypto', cases);
