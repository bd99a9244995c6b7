import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fosspush/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { countingDevice, post } from './device.js';
import { type CliProcess, startCli } from './rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-reliability-'));
const running: CliProcess[] = [];
const start = async (args: string[]) => {
  const cli = await startCli(args);
  running.push(cli);
  return cli;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop('SIGKILL')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fosspush-server under SIGKILL', () => {
  it('hands the device consumer every accepted message exactly once across two crashes', async () => {
    const port = await freePort();
    const args = ['--listen', `127.0.0.1:${port}`, '--db', join(dir, 'crash.db')];
    let server = await start(args);
    const device = countingDevice(server.url);
    await device.channel.connect();
    // Five subscriptions so that no push resource hits its rate limit (10/s, burst 100).
    const targets = await Promise.all(Array.from({ length: 5 }, () => device.subscribe()));
    const accepted = new Set<string>();
    const send = async (count: number, label: string) => {
      const ids = await Promise.all(Array.from({ length: count }, (_, i) => post(targets[i % targets.length] as (typeof targets)[number], `${label}-${i}`)));
      for (const id of ids) if (id) accepted.add(id);
    };

    // Phase 1: the device is away; 100 messages are queued; the server dies without warning.
    await device.channel.close();
    await send(100, 'queued');
    expect(accepted.size).toBe(100);
    expect(await server.stop('SIGKILL')).toBe('SIGKILL');

    // Phase 2: restart, the device comes back, and the server dies again while an app server
    // keeps posting (posts that find it down are simply not accepted).
    server = await start(args);
    await device.channel.connect();
    let posting = true;
    const poster = (async () => {
      for (let i = 0; posting && i < 1000; i++) {
        const id = await post(targets[i % targets.length] as (typeof targets)[number], `live-${i}`);
        if (id) accepted.add(id);
      }
    })();
    await vi.waitFor(() => expect(accepted.size).toBeGreaterThanOrEqual(150), { timeout: 20_000, interval: 2 });
    await server.stop('SIGKILL');

    // Phase 3: a restart; the channel reconnects and resumes by itself, posting goes on.
    server = await start(args);
    await vi.waitFor(() => expect(accepted.size).toBeGreaterThanOrEqual(200), { timeout: 20_000, interval: 10 });
    posting = false;
    await poster;
    await send(50, 'after');
    await vi.waitFor(
      () => {
        const missing = [...accepted].filter((id) => !device.received.has(id));
        expect(missing).toEqual([]);
      },
      { timeout: 30_000, interval: 100 },
    );
    const duplicates = [...device.received].filter(([, count]) => count !== 1);
    expect(duplicates).toEqual([]);
    expect(accepted.size).toBeGreaterThanOrEqual(250);
    await device.channel.close();
  }, 90_000);
});

describe('fosspush-server store and forward', () => {
  it('gives a device that was offline every message still within its TTL and none that expired', async () => {
    const server = await start(['--listen', '127.0.0.1:0', '--db', join(dir, 'ttl.db')]);
    const device = countingDevice(server.url);
    await device.channel.connect();
    const target = await device.subscribe();
    await device.channel.close();
    const shortLived = await Promise.all(Array.from({ length: 10 }, (_, i) => post(target, `short-${i}`, 1)));
    const lasting = await Promise.all(Array.from({ length: 10 }, (_, i) => post(target, `long-${i}`, 600)));
    expect([...shortLived, ...lasting].every(Boolean)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await device.channel.connect();
    await vi.waitFor(() => expect(device.received.size).toBe(10), { timeout: 10_000 });
    // Give a stray expired message time to show up before concluding none will.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(new Set(device.received.keys())).toEqual(new Set(lasting));
    await device.channel.close();
  }, 60_000);
});
