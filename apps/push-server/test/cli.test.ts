import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { countingDevice, post } from './device.js';
import { exitOf, spawnCli, startCli } from './rig.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fosspush-server command line', () => {
  it('prints help and exits 0, refuses bad usage with 64', async () => {
    const help = spawnCli(['--help']);
    expect(await exitOf(help.child)).toBe(0);
    expect(help.output.stdout).toMatch(/--listen HOST:PORT/);
    const bad = spawnCli(['--listen', 'nowhere']);
    expect(await exitOf(bad.child)).toBe(64);
    expect(bad.output.stderr).toMatch(/--listen wants HOST:PORT/);
  }, 30_000);

  it('exits 69 when the address is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    const cli = spawnCli(['--listen', `127.0.0.1:${port}`, '--memory']);
    expect(await exitOf(cli.child)).toBe(69);
    expect(cli.output.stderr).toMatch(/EADDRINUSE/);
    blocker.close();
  }, 30_000);

  it('logs JSON lines on stderr, drains on SIGTERM without losing an accepted message, and exits 0', async () => {
    const db = join(dir, 'drain.db');
    const first = await startCli(['--listen', '127.0.0.1:0', '--db', db]);
    const device = countingDevice(first.url);
    const targets = await Promise.all(Array.from({ length: 4 }, () => device.subscribe()));
    const accepted: string[] = [];
    const posting = Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const id = await post(targets[i % targets.length] as (typeof targets)[number], `drain-${i}`);
        if (id) accepted.push(id);
      }),
    );
    await vi.waitFor(() => expect(accepted.length).toBeGreaterThan(20), { interval: 1, timeout: 15_000 });
    expect(await first.stop('SIGTERM')).toBe(0);
    await posting;
    const lines = first.logs().trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(expect.arrayContaining(['listening', 'stopped']));

    const second = await startCli(['--listen', `127.0.0.1:${new URL(first.url).port}`, '--db', db]);
    await device.channel.connect();
    await vi.waitFor(() => expect([...accepted].filter((id) => !device.received.has(id))).toEqual([]), { timeout: 15_000 });
    await device.channel.close();
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
