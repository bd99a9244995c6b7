// RFC 8291 encryption on the node:crypto backend (what buildPushRequest uses) against the
// `web-push` library's encrypt, in one run on one machine, for 100- and 3,000-byte payloads.
// Rounds alternate between the two so that load from other processes hits both alike.
import { type BenchCase, opsPerSecond, percentile, reportBench } from '@fosspush/testing';
import webpush from 'web-push';
import { encryptWebPush, generateSubscriptionKeys } from '@fosspush/core';
import { nodeWebPushCrypto } from '../src/index.js';

const ROUNDS = 5;
const ROUND_MS = 1000;
const WARMUP_MS = 300;

const target = await generateSubscriptionKeys();
const cases: BenchCase[] = [];

for (const size of [100, 3000]) {
  const plaintext = new Uint8Array(size).fill(0x61);
  const buffer = Buffer.from(plaintext);
  const ours = () => encryptWebPush(plaintext, target, { crypto: nodeWebPushCrypto });
  const webCrypto = () => encryptWebPush(plaintext, target);
  const theirs = () => webpush.encrypt(target.p256dh, target.auth, buffer, 'aes128gcm');
  for (const work of [ours, webCrypto, theirs]) await opsPerSecond(work, { minMs: WARMUP_MS });
  const rounds = { ours: [] as number[], webCrypto: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.theirs.push(await opsPerSecond(theirs, { minMs: ROUND_MS }));
    rounds.ours.push(await opsPerSecond(ours, { minMs: ROUND_MS }));
    rounds.webCrypto.push(await opsPerSecond(webCrypto, { minMs: ROUND_MS / 2 }));
  }
  cases.push({
    name: `Web Push encrypt on node:crypto, ${size.toLocaleString('en-US')}-byte payload`,
    unit: 'messages/s',
    higherIsBetter: true,
    ours: { label: 'encryptWebPush with nodeWebPushCrypto, one at a time', value: Math.round(percentile(rounds.ours, 50)) },
    baseline: { label: 'web-push encrypt', value: Math.round(percentile(rounds.theirs, 50)) },
    target: 1.0,
    extra: { webCryptoOneAtATime: Math.round(percentile(rounds.webCrypto, 50)), rounds: ROUNDS },
  });
}

reportBench('webpush-encrypt-node', cases);
