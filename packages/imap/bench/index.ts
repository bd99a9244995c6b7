// The email channel against its floors, on a real mail rig started for the run (suite
// `email-channel`): end-to-end latency (SMTP send -> registration) against a bare IMAP IDLE
// client waiting for EXISTS on the same mail, with and without the Sieve rule; a burst of 500
// against the mail system delivering it; bytes per notification as stored against the plainest
// mail carrying the same Web Push body.
import { type BenchCase, reportBench, startMailRig } from '@fosspush/testing';
import { measureBurst } from './burst.js';
import { measureLatency } from './latency.js';
import { measureSize } from './size.js';

const LATENCY_SAMPLES = Number(process.env['LATENCY_SAMPLES'] ?? 60);
const BURST = 500;
const TARGET_BURST_PER_SECOND = 50;

const rig = await startMailRig({
  users: ['latency-sieve', 'floor-sieve', { name: 'latency-plain', sieve: false }, { name: 'floor-plain', sieve: false }, 'burst', 'size'],
});
const cases: BenchCase[] = [];
try {
  for (const [user, twin, floorPath, label] of [
    ['latency-sieve', 'floor-sieve', rig.info.folder, 'with Sieve'],
    ['latency-plain', 'floor-plain', 'INBOX', 'without Sieve'],
  ] as const) {
    const latency = await measureLatency(rig.info, user, twin, floorPath, LATENCY_SAMPLES);
    cases.push({
      name: `end-to-end latency p50, ${label} (SMTP send -> message event)`,
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: 'createImapChannel', value: latency.ours.p50 },
      baseline: { label: `imapflow IDLE on ${floorPath}, EXISTS`, value: latency.floor.p50 },
      target: 1.2,
      extra: { 'ours p99 (ms)': latency.ours.p99, 'floor p99 (ms)': latency.floor.p99, samples: latency.samples, lost: latency.lost },
    });
  }

  const burst = await measureBurst(rig.info, 'burst', BURST);
  cases.push({
    name: `burst of ${BURST}, sent at once (10 SMTP connections)`,
    unit: 'notifications/s',
    higherIsBetter: true,
    ours: { label: 'all handed on', value: burst.oursPerSecond },
    baseline: { label: 'Postfix+Dovecot: all announced to an IDLE client', value: burst.floorPerSecond },
    extra: {
      'target (notifications/s)': TARGET_BURST_PER_SECOND,
      'target met': burst.oursPerSecond >= TARGET_BURST_PER_SECOND ? 'yes' : 'NO',
      'catch-up drain of 500 queued while closed (notifications/s)': burst.catchUpPerSecond,
      lost: burst.lost,
      duplicated: burst.duplicated,
    },
  });

  const size = await measureSize(rig.info, 'size');
  cases.push({
    name: 'bytes per notification as stored (RFC822.SIZE), 100-byte push message',
    unit: 'bytes',
    higherIsBetter: false,
    ours: { label: 'compact notification', value: size.compactStored },
    baseline: { label: 'plain mail, same Web Push body in base64', value: size.plainStored },
    extra: { 'hello as stored (bytes)': size.helloStored, 'compact as sent (bytes)': size.compactSent, 'Web Push body (bytes)': size.webPushBytes },
  });
} finally {
  await rig.stop();
}
reportBench('email-channel', cases);
