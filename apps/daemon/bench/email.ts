// The email path measured where users meet it, at the app (suite `email-app`): SMTP submission
// -> Postfix -> Dovecot or Cyrus (real, started for the run) -> fosspushd's IMAP channel ->
// SQLite -> the IPC socket -> the client SDK (decrypted) -> the app's callback. The daemon runs
// in its own process (email-daemon.ts); the app, the SMTP client and the floor run here. Each
// mail goes, in one SMTP transaction, to the device's user and to a twin user whose folder a
// bare imapflow client watches in IDLE: the raw IDLE floor of the same mail in the same run.
//
// Two rhythms, because the mail server's change notices make them differ (docs/email-channel.md,
// "Latency"): `isolated`, a notification after a quiet second (the usual life of a push
// channel), and `stream`, one every ~0.8 s, where the channel's own expunge of the previous
// notification has started the server's notice timer early.
//
// LATENCY_SAMPLES (default 30) per rhythm and server; MAIL_SERVERS=dovecot to skip Cyrus.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMessaging } from '@fosspush/client';
import { buildNotificationEmail, createPushMessage, decodeToken, encryptWebPush, generateEmailIdentity, type PushToken } from '@fosspush/core';
import {
  type BenchCase,
  type IdleFloor,
  MAIL_RIG_SERVERS,
  type MailRig,
  type MailRigServer,
  monotonicMs,
  percentile,
  reportBench,
  startIdleFloor,
  startMailRig,
} from '@fosspush/testing';
import nodemailer from 'nodemailer';
import { startDaemonChild } from './daemon-child.js';
import type { DaemonHops } from './email-daemon.js';

const SAMPLES = Number(process.env['LATENCY_SAMPLES'] ?? 30);
const SERVERS = (process.env['MAIL_SERVERS']?.split(',') ?? MAIL_RIG_SERVERS) as MailRigServer[];
const WARMUP = 3;
const TARGET = 0.6;
/** Quiet time before a mail: `isolated` outlasts Dovecot's 500 ms notice timer, `stream` does not. */
const RHYTHMS = { isolated: 1_500, stream: 250 } as const;
type Rhythm = keyof typeof RHYTHMS;
/** The hops of one notification, in the order they happen; each in ms after SMTP submission started. */
const HOPS = ['smtpAccepted', 'announced', 'fetchSent', 'fetched', 'channel', 'stored', 'app'] as const;
type Hop = (typeof HOPS)[number];
const HOP_LABELS: Record<Hop | 'floor', string> = {
  smtpAccepted: 'SMTP accepted (250 after DATA)',
  announced: 'server announced it to the channel (NOTIFY STATUS / IDLE EXISTS)',
  fetchSent: 'FETCH sent',
  fetched: 'FETCH answered',
  channel: 'channel `message` (decrypted, signature verified)',
  stored: 'daemon: SQLite commit + IPC frame written',
  app: 'app callback (client SDK: received, decrypted)',
  floor: 'floor: bare IDLE client told (EXISTS)',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = monotonicMs() + timeoutMs;
  while (!condition()) {
    if (monotonicMs() > deadline) return false;
    await sleep(2);
  }
  return true;
}

type Row = Record<Hop | 'floor', number>;

/** Who receives: with the Sieve rule mail lands in the folder, without it in INBOX (the channel moves it out). */
const FILINGS = [
  { label: 'with Sieve', device: 'device', twin: 'twin', floorOn: 'folder' },
  { label: 'without Sieve', device: 'device-plain', twin: 'twin-plain', floorOn: 'INBOX' },
] as const;
type Filing = (typeof FILINGS)[number];

async function measure(rig: MailRig, dir: string, filing: Filing): Promise<Record<Rhythm, { rows: Row[]; lost: number }>> {
  const device = rig.users[filing.device];
  const twin = rig.users[filing.twin];
  if (!device || !twin) throw new Error('rig users missing');
  const socketPath = join(dir, 'd.sock');
  const daemon = await startDaemonChild<DaemonHops>(new URL('./email-daemon.ts', import.meta.url), {
    dataDir: join(dir, 'data'),
    socketPath,
    options: { address: device.address, imap: { host: rig.host, port: rig.ports.imap, secure: false, auth: { user: device.name, pass: device.password } } },
  });
  const messaging = getMessaging({ appId: 'org.example.bench', socketPath, keyFile: join(dir, 'app.json') });
  const smtp = nodemailer.createTransport({ host: rig.host, port: rig.ports.smtp, secure: false, ignoreTLS: true, pool: true });
  let floor: IdleFloor | undefined;
  try {
    const token: PushToken = decodeToken(await messaging.getToken({ account: 'mail' }));
    const received = new Map<string, number>();
    messaging.onMessage((payload) => {
      received.set(payload.messageId, monotonicMs());
    });
    const sender = await generateEmailIdentity('push@app.example');
    const mail = async (hello: boolean) => {
      const payload = await encryptWebPush(new TextEncoder().encode(JSON.stringify({ data: { text: 'x'.repeat(100) } })), token);
      const message = createPushMessage({ payload, ttlSeconds: 3_600 });
      return { id: message.id, raw: (await buildNotificationEmail({ token, message, sender, includeSenderKey: hello })).raw };
    };
    const send = (raw: string, to: string[]) => smtp.sendMail({ envelope: { from: sender.address, to }, raw });

    // The hello pins the sender key; it goes to the device alone.
    const hello = await mail(true);
    await send(hello.raw, [device.address]);
    if (!(await until(() => received.has(hello.id), 30_000))) throw new Error(`${rig.server}, ${filing.label}: the hello never reached the app`);
    floor = await startIdleFloor(rig, filing.twin, filing.floorOn === 'folder' ? rig.folder : 'INBOX');

    const results = {} as Record<Rhythm, { rows: Row[]; lost: number }>;
    for (const rhythm of Object.keys(RHYTHMS) as Rhythm[]) {
      const rows: Row[] = [];
      let lost = 0;
      for (let i = 0; i < SAMPLES + WARMUP; i++) {
        const next = await mail(false);
        await sleep(RHYTHMS[rhythm]);
        await until(() => floor?.idling === true, 2_000);
        const seen = floor.arrivals.length;
        const start = monotonicMs();
        // Alternating who comes first in the one LMTP transaction that delivers to both.
        await send(next.raw, i % 2 === 0 ? [device.address, twin.address] : [twin.address, device.address]);
        const smtpAccepted = monotonicMs();
        const arrived = await until(() => received.has(next.id) && (floor?.arrivals.length ?? 0) > seen, 10_000);
        if (!arrived) {
          lost++;
          continue;
        }
        if (i < WARMUP) continue;
        const inside = await daemon.hops({ since: start, messageId: next.id });
        const at: Partial<Record<Hop | 'floor', number>> = {
          ...inside,
          smtpAccepted,
          app: received.get(next.id),
          floor: floor.arrivals[seen]?.at,
        };
        rows.push(Object.fromEntries(Object.entries(at).map(([hop, time]) => [hop, time === undefined ? Number.NaN : time - start])) as Row);
      }
      results[rhythm] = { rows, lost };
    }
    return results;
  } finally {
    await floor?.stop().catch(() => undefined);
    await messaging.close();
    smtp.close();
    await daemon.stop();
  }
}

const stat = (rows: readonly Row[], hop: Hop | 'floor', p: number) => percentile(rows.map((row) => row[hop]).filter(Number.isFinite), p);
const round = (ms: number) => Math.round(ms * 10) / 10;

const cases: BenchCase[] = [];
const breakdown: string[] = ['| server, filing, rhythm | hop | p50 (ms after SMTP start) | p99 |', '|---|---|---|---|'];

function record(server: MailRigServer, filing: Filing, rhythm: Rhythm, { rows, lost }: { rows: Row[]; lost: number }): void {
  const label = `${server}, ${filing.label}, ${rhythm}`;
  for (const hop of [...HOPS, 'floor'] as const) breakdown.push(`| ${label} | ${HOP_LABELS[hop]} | ${round(stat(rows, hop, 50))} | ${round(stat(rows, hop, 99))} |`);
  cases.push({
    name: `${server}: SMTP send -> app callback p50, ${filing.label}, ${rhythm} (${RHYTHMS[rhythm]} ms quiet before each)`,
    unit: 'ms',
    higherIsBetter: false,
    ours: { label: 'fosspushd + IPC + client SDK', value: round(stat(rows, 'app', 50)) },
    baseline: { label: `bare imapflow IDLE on the twin's ${filing.floorOn}, EXISTS`, value: round(stat(rows, 'floor', 50)) },
    target: TARGET,
    extra: {
      'ours p99 (ms)': round(stat(rows, 'app', 99)),
      'floor p99 (ms)': round(stat(rows, 'floor', 99)),
      ...Object.fromEntries(HOPS.map((hop) => [`hop p50: ${hop} (ms)`, round(stat(rows, hop, 50))])),
      // Dovecot's notices come either early (its timer was already running) or ~0.5 s after
      // delivery, so a p50 sits in one mode or the other: this share says which.
      'announced within 400 ms (share of samples)': round(rows.filter((row) => row.announced < 400).length / Math.max(1, rows.length)),
      'channel -> app p50 (ms)': round(percentile(rows.map((row) => row.app - row.channel).filter(Number.isFinite), 50)),
      samples: rows.length,
      lost,
    },
  });
}

for (const server of SERVERS) {
  const rig = await startMailRig({ server, users: ['device', 'twin', { name: 'device-plain', sieve: false }, { name: 'twin-plain', sieve: false }] });
  try {
    for (const filing of FILINGS) {
      const dir = await mkdtemp(join(tmpdir(), 'fosspush-email-bench-'));
      const results = await measure(rig, dir, filing).finally(() => rm(dir, { recursive: true, force: true }));
      for (const rhythm of Object.keys(RHYTHMS) as Rhythm[]) record(server, filing, rhythm, results[rhythm]);
    }
  } finally {
    await rig.stop();
  }
}
console.log(`\n## email-app: where the time goes\n\n${breakdown.join('\n')}`);
reportBench('email-app', cases);
