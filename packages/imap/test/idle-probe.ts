// What an idle email channel costs a device: every read and write on its IMAP sockets, grouped
// into exchanges (a burst of traffic wakes the radio once) and named by what they carry, plus
// the kernel's own count of data segments each way. Shared by the idle-cost test and the bench.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMemoryChannelState } from '@fosspush/core';
import type { MailRigInfo } from '@fosspush/testing';
import { createImapChannel } from '../src/index.js';
import { channelOptions, sleep } from './fixtures.js';

const run = promisify(execFile);

/** Traffic closer together than this is one exchange: one wakeup of the radio. */
const EXCHANGE_GAP_MS = 100;

export type ExchangeKind = 'keepalive' | 're-IDLE' | 'NOOP' | 'other';

export interface IdleCost {
  /** Exchanges by kind over the measured span, scaled to one real hour. */
  perHour: Record<ExchangeKind, number> & { total: number };
  /** Data segments the kernel counted on the channel's IMAP connections, scaled to one real hour. */
  segmentsPerHour: { in: number; out: number };
  connections: number;
}

export interface IdleCostOptions {
  /** How many times faster than real time the server's and channel's intervals run. */
  scale: number;
  /** Measured span in real (compressed) milliseconds; `scale * durationMs` is the idle time it stands for. */
  durationMs: number;
  /** Dovecot's keepalive, in real seconds before compression. @default 120 */
  serverKeepaliveSeconds?: number;
}

interface Traffic {
  at: number;
  from: 'server' | 'client';
  text: string;
}

/** data_segs_in/out of every established TCP connection to `port` (iproute2's `ss -ti`). */
async function segments(port: number): Promise<{ in: number; out: number; connections: number }> {
  const { stdout } = await run('ss', ['-tinH', 'state', 'established', 'dport', '=', `:${port}`]);
  const total = { in: 0, out: 0, connections: 0 };
  for (const [, out = '0'] of stdout.matchAll(/data_segs_out:(\d+)/g)) {
    total.out += Number(out);
    total.connections++;
  }
  for (const [, segsIn = '0'] of stdout.matchAll(/data_segs_in:(\d+)/g)) total.in += Number(segsIn);
  return total;
}

function classify(exchange: readonly Traffic[]): ExchangeKind {
  const client = exchange.filter((t) => t.from === 'client').map((t) => t.text).join('');
  if (/\bNOOP\b/.test(client)) return 'NOOP';
  if (/^DONE/m.test(client)) return 're-IDLE';
  if (client === '' && exchange.some((t) => /Still here/i.test(t.text))) return 'keepalive';
  return 'other';
}

/**
 * Connects a channel for `user` with its timers divided by `scale`, lets it settle, then records
 * `durationMs` of idling. The server's keepalive must be compressed by the same factor (the
 * rig's `idleNotifyIntervalSeconds`).
 */
export async function measureIdleCost(info: MailRigInfo, user: string, options: IdleCostOptions): Promise<IdleCost> {
  const traffic: Traffic[] = [];
  let recording = false;
  const note = (from: Traffic['from']) => (entry: { msg?: string; data?: string }) => {
    if (!recording || entry.data === undefined || (entry.msg !== 'read from socket' && entry.msg !== 'write to socket')) return;
    traffic.push({ at: performance.now(), from, text: Buffer.from(entry.data, 'base64').toString('latin1') });
  };
  const quiet = () => undefined;
  const logger = {
    trace: (entry: { src?: string; msg?: string; data?: string }) => note(entry.src === 's' ? 'server' : 'client')(entry),
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
  };
  const channel = createImapChannel(
    channelOptions(info, user, {
      state: createMemoryChannelState(),
      idleRestartMs: (20 * 60_000) / options.scale,
      watchdogIntervalMs: (4 * 60_000) / options.scale,
      clientOptions: { logger, logRaw: true },
    }),
  );
  channel.on('error', () => undefined);
  await channel.connect();
  // Past the first drain and into IDLE.
  await sleep(1_000);
  const before = await segments(info.ports.imap);
  recording = true;
  await sleep(options.durationMs);
  recording = false;
  const after = await segments(info.ports.imap);
  await channel.close();

  const exchanges: Traffic[][] = [];
  for (const entry of traffic) {
    const last = exchanges.at(-1);
    const previous = last?.at(-1);
    if (last !== undefined && previous !== undefined && entry.at - previous.at < EXCHANGE_GAP_MS) last.push(entry);
    else exchanges.push([entry]);
  }
  const hours = (options.durationMs * options.scale) / 3_600_000;
  const perHour = { keepalive: 0, 're-IDLE': 0, NOOP: 0, other: 0, total: 0 };
  for (const exchange of exchanges) perHour[classify(exchange)]++;
  perHour.total = exchanges.length;
  for (const key of Object.keys(perHour) as Array<keyof typeof perHour>) perHour[key] = Math.round((perHour[key] / hours) * 10) / 10;
  return {
    perHour,
    segmentsPerHour: { in: Math.round((after.in - before.in) / hours), out: Math.round((after.out - before.out) / hours) },
    connections: after.connections,
  };
}
