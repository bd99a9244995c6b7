// RFC 8291 encryption on the node:crypto backend (what buildPushRequest uses) against the
// `web-push` library's encrypt, in one run on one machine, for 100- and 3,000-byte payloads.
// Many short rounds alternate between the two, the order flipping each round, so that load from
// other processes hits both alike; the figures are the medians. Wall-clock throughput on a
// shared machine still swings with the other processes' load, so process CPU time per message
// is reported as a case of its own.
import { type BenchCase, opsPerSecond, percentile, reportBench } from '@fosspush/testing';
import webpush from 'web-push';
import { encryptWebPush, generateSubscriptionKeys } from '@fosspush/core';
import { nodeWebPushCrypto } from '../src/node/index.js';

const ROUNDS = 31;
const ROUND_MS = 200;
const WARMUP_MS = 300;

/**
 * One round of `opsPerSecond`, also giving the process CPU time per operation: a figure that
 * other processes on a shared machine disturb less than wall-clock throughput.
 */
async function measuredRound(work: () => unknown, into: { rate: number[]; cpuUs: number[] }): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const rate = await opsPerSecond(work, { minMs: ROUND_MS });
  const used = process.cpuUsage(cpu);
  into.rate.push(rate);
  into.cpuUs.push((used.user + used.system) / ((rate * (performance.now() - start)) / 1000));
}

const target = await generateSubscriptionKeys();
const cases: BenchCase[] = [];

for (const size of [100, 3000]) {
  const plaintext = new Uint8Array(size).fill(0x61);
  const buffer = Buffer.from(plaintext);
  const ours = () => encryptWebPush(plaintext, target, { crypto: nodeWebPushCrypto });
  const webCrypto = () => encryptWebPush(plaintext, target);
  const theirs = () => webpush.encrypt(target.p256dh, target.auth, buffer, 'aes128gcm');
  for (const work of [ours, webCrypto, theirs]) await opsPerSecond(work, { minMs: WARMUP_MS });
  const ourRounds = { rate: [] as number[], cpuUs: [] as number[] };
  const theirRounds = { rate: [] as number[], cpuUs: [] as number[] };
  const webCryptoRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [theirs, ours] : [ours, theirs];
    for (const work of order) await measuredRound(work, work === ours ? ourRounds : theirRounds);
    webCryptoRates.push(await opsPerSecond(webCrypto, { minMs: ROUND_MS / 2 }));
  }
  cases.push({
    name: `Web Push encrypt on node:crypto, ${size.toLocaleString('en-US')}-byte payload`,
    unit: 'messages/s',
    higherIsBetter: true,
    ours: { label: 'encryptWebPush with nodeWebPushCrypto, one at a time', value: Math.round(percentile(ourRounds.rate, 50)) },
    baseline: { label: 'web-push encrypt', value: Math.round(percentile(theirRounds.rate, 50)) },
    target: 1.0,
    extra: { webCryptoDefaultMessagesPerSecond: Math.round(percentile(webCryptoRates, 50)), rounds: ROUNDS },
  });
  cases.push({
    name: `Web Push encrypt on node:crypto, ${size.toLocaleString('en-US')}-byte payload: CPU time`,
    unit: 'µs/message',
    higherIsBetter: false,
    ours: { label: 'encryptWebPush with nodeWebPushCrypto', value: Math.round(percentile(ourRounds.cpuUs, 50) * 10) / 10 },
    baseline: { label: 'web-push encrypt', value: Math.round(percentile(theirRounds.cpuUs, 50) * 10) / 10 },
    target: 1.0,
    extra: { rounds: ROUNDS },
  });
}

reportBench('webpush-encrypt-node', cases);
