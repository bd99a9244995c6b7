import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSubscriptionKeys } from '@fosspush/core';
import { repoRoot } from '@fosspush/testing';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { findLink, PUSH_LINK_RELATIONS } from '@fosspush/webpush/service';
import { afterAll, expect, it, vi } from 'vitest';
import { post } from './device.js';
import { exitOf } from './rig.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fosspush-full-'));
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = exitOf(child);
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * fosspush-server on a real, tiny filesystem: a 4 MiB tmpfs mounted in a user and mount
 * namespace of its own (no root needed), most of it taken by a filler file, so SQLite meets a
 * genuinely full disk rather than a simulated one.
 */
function startOnTinyDisk(): Promise<{ url: string; logs: () => string; filler: string }> {
  const script = 'mount -t tmpfs -o size=4m tmpfs "$0" && head -c 3500000 /dev/zero > "$0/filler" && exec "$@"';
  child = spawn(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', script, dir, process.execPath, '--import', 'tsx', '--conditions=@fosspush/source', CLI, '--listen', '127.0.0.1:0', '--db', join(dir, 'server.db'), '--rate-limit-push', 'off', '--rate-limit-ip', 'off'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child?.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      // The mount lives in the server's namespace; its root is reachable through /proc.
      if (url) resolve({ url, logs: () => stderr, filler: `/proc/${child?.pid}/root${dir}/filler` });
    });
    child?.once('exit', (code) => reject(new Error(`fosspush-server exited with ${code}:\n${stderr}`)));
  });
}

it('answers 507 while the disk is full, says what to do, and recovers once there is room', async () => {
  const server = await startOnTinyDisk();
  const response = await fetch(`${server.url}/subscribe`, { method: 'POST' });
  const endpoint = findLink(response.headers.get('link') ?? '', PUSH_LINK_RELATIONS.push) as string;
  const target = { endpoint, keys: await generateSubscriptionKeys() };
  const text = 'x'.repeat(3000);

  const accepted: string[] = [];
  let refused: Response | undefined;
  for (let i = 0; i < 1000 && !refused; i++) {
    const request = await buildPushRequest(target, text, { ttlSeconds: 3600 });
    const answer = await fetch(request.url, request);
    if (answer.status === 201) accepted.push(answer.headers.get('location')?.split('/').pop() as string);
    else refused = answer;
  }
  expect(accepted.length).toBeGreaterThan(0);
  expect(refused?.status).toBe(507);
  expect((await refused?.json()) as { code: string }).toMatchObject({ code: 'STORAGE_FULL' });
  // Once, however many pushes it refuses: the log must not fill what is left of the disk.
  const again = await buildPushRequest(target, text, { ttlSeconds: 3600 });
  expect((await fetch(again.url, again)).status).toBe(507);
  await vi.waitFor(() => expect(server.logs()).toContain('"storage_full"'));
  const logged = server.logs().split('\n').filter((line) => line.includes('"storage_full"'));
  expect(logged).toHaveLength(1);
  expect(logged[0]).toContain('free space');

  rmSync(server.filler);
  expect(await post(target, 'after the disk was freed', 3600)).toBeDefined();
  // What was accepted before the disk filled is still queued.
  expect((await fetch(`${server.url}/m/${accepted[0]}`)).status).toBe(200);
}, 60_000);
