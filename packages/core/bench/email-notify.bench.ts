// The Email-notify envelope against bare openpgp.js, in one run on one machine:
// - notifications built (MIME + protected headers + sign + encrypt) per second, against a bare
//   openpgp.js encrypt+sign of the same bytes;
// - notifications parsed (MIME + decrypt + verify + pin/expiry/replay checks) per second,
//   against a bare openpgp.js decrypt+verify of the same OpenPGP message;
// - bytes on the wire of a compact notification carrying a 100-byte push message, against the
//   same message as a plain Web Push POST body. Target: the mail is at most 1.5 KiB.
import * as openpgp from 'openpgp';
import { type BenchCase, opsPerSecond, reportBench } from '../../testing/src/bench.js';
import {
  buildNotificationEmail,
  createPushMessage,
  decodeToken,
  emailTokenExtras,
  encodeToken,
  encryptWebPush,
  generateEmailIdentity,
  generateSubscriptionKeys,
  parseNotificationEmail,
  type ReceiverContext,
} from '../src/index.js';
import { fromBase64 } from '../src/autocrypt/base64.js';
import { formatCryptographicPayload } from '../src/email-notify/payload.js';

const ROUNDS = 5;
const ROUND_MS = 800;
const TARGET_MAIL_BYTES = 1536;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Alternating rounds, so that load from other processes hits both sides alike. */
async function compare(ours: () => Promise<unknown>, baseline: () => Promise<unknown>): Promise<{ ours: number; baseline: number }> {
  await opsPerSecond(ours, { minMs: 200, batch: 10 });
  await opsPerSecond(baseline, { minMs: 200, batch: 10 });
  const rounds = { ours: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.baseline.push(await opsPerSecond(baseline, { minMs: ROUND_MS, batch: 10 }));
    rounds.ours.push(await opsPerSecond(ours, { minMs: ROUND_MS, batch: 10 }));
  }
  return { ours: median(rounds.ours), baseline: median(rounds.baseline) };
}

const sender = await generateEmailIdentity('push@app.example');
const device = await generateEmailIdentity('alice@example.test');
const subscription = await generateSubscriptionKeys();
const registrationId = 'Yp4Jd0tW2c9s1LmQ8xZbVg';
const token = decodeToken(
  encodeToken({
    channel: 'email',
    endpoint: 'mailto:alice@example.test',
    p256dh: subscription.p256dh,
    auth: subscription.auth,
    extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId }),
  }),
);
const webPushBody = await encryptWebPush(new Uint8Array(100).fill(0x61), subscription);
const message = createPushMessage({ payload: webPushBody, ttlSeconds: 86_400 });
const compact = await buildNotificationEmail({ token, message, sender, includeSenderKey: false });
const hello = await buildNotificationEmail({ token, message, sender, includeSenderKey: true });

const context: ReceiverContext = {
  deviceIdentity: device,
  pinnedSenderKey: async () => sender.publicKey,
  pinSenderKey: async () => undefined,
  markSeen: async () => true,
};

const senderKey = await openpgp.readPrivateKey({ armoredKey: sender.secretKey });
const senderPublic = senderKey.toPublic();
const deviceKey = await openpgp.readPrivateKey({ armoredKey: device.secretKey });
const devicePublic = deviceKey.toPublic();
const plaintext = formatCryptographicPayload({ registrationId, message });
const bareEncrypt = async () =>
  openpgp.encrypt({
    message: await openpgp.createMessage({ binary: plaintext, format: 'binary' }),
    encryptionKeys: devicePublic,
    signingKeys: senderKey,
    format: 'binary',
    config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
  });
const compactCiphertext = fromBase64(compact.raw.slice(compact.raw.indexOf('base64\r\n\r\n') + 10, compact.raw.lastIndexOf('\r\n--fp')));
const bareDecrypt = async () =>
  openpgp.decrypt({
    message: await openpgp.readMessage({ binaryMessage: compactCiphertext }),
    decryptionKeys: deviceKey,
    verificationKeys: senderPublic,
    expectSigned: true,
    format: 'binary',
  });

const build = await compare(() => buildNotificationEmail({ token, message, sender, includeSenderKey: false }), bareEncrypt);
const parse = await compare(() => parseNotificationEmail(compact.raw, context), bareDecrypt);

function throughput(name: string, labels: { ours: string; baseline: string }, rates: { ours: number; baseline: number }, target: number): BenchCase {
  return {
    name,
    unit: 'mails/s',
    higherIsBetter: true,
    ours: { label: labels.ours, value: Math.round(rates.ours) },
    baseline: { label: labels.baseline, value: Math.round(rates.baseline) },
    target,
  };
}

const cases: BenchCase[] = [
  throughput('build + encrypt + sign a compact notification', { ours: 'buildNotificationEmail', baseline: 'bare openpgp.encrypt+sign, same bytes' }, build, 0.8),
  throughput('parse + decrypt + verify a compact notification', { ours: 'parseNotificationEmail', baseline: 'bare openpgp.decrypt+verify, same message' }, parse, 0.7),
  {
    name: 'bytes on the wire, 100-byte push message, post-handshake',
    unit: 'bytes',
    higherIsBetter: false,
    ours: { label: 'compact notification mail', value: compact.raw.length },
    baseline: { label: 'Web Push POST body (RFC 8291)', value: webPushBody.length },
    target: Number((TARGET_MAIL_BYTES / webPushBody.length).toFixed(2)),
    extra: {
      targetMailBytes: TARGET_MAIL_BYTES,
      mailWithinTarget: compact.raw.length <= TARGET_MAIL_BYTES ? 'yes' : 'no',
      helloMailBytes: hello.raw.length,
      openpgpMessageBytes: compactCiphertext.length,
      cryptographicPayloadBytes: plaintext.length,
      note: 'as submitted (= RFC822.SIZE after IMAP APPEND); MTA trace fields (Received, Return-Path, DKIM-Signature) come on top',
    },
  },
];

reportBench('email-notify', cases);
