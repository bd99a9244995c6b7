import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSource } from '@fosspush/testing';
import { afterAll, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('loses no acknowledged write when the writer is SIGKILLed', async () => {
  const path = join(dir, 'crash.db');
  const writer = spawnSource(new URL('./crash-writer.ts', import.meta.url), [path]);
  const queued = new Set<string>();
  const acked = new Set<string>();
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    writer.on('error', reject);
    writer.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code}`))));
    writer.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, id] = line.split(' ');
        if (!id) continue;
        (kind === 'acked' ? acked : queued).add(id);
      }
      // Kill mid-stream, with writes certainly in flight.
      if (queued.size + acked.size >= 2000 && !writer.killed) writer.kill('SIGKILL');
    });
  });

  const store = createSqliteStore({ path });
  const present = new Set((await store.listMessages({ owner: 'device', limit: 1_000_000 })).map((m) => m.id));
  await store.close();
  for (const id of queued) expect(present.has(id), `queued message ${id} lost`).toBe(true);
  for (const id of acked) expect(present.has(id), `acked message ${id} came back`).toBe(false);
  expect(queued.size).toBeGreaterThan(1000);
}, 60_000);

it('finishes a script whose last step closes the store, the checkpoint thread stopped', async () => {
  const path = join(dir, 'close-at-end.db');
  const script = spawnSource(new URL('./close-at-end.ts', import.meta.url), [path]);
  let output = '';
  script.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise((resolve, reject) => {
    script.on('error', reject);
    script.on('exit', resolve);
  });
  expect({ code, output }).toEqual({ code: 0, output: 'closed\n' });
  expect(existsSync(`${path}-wal`), 'the last connection to close removes the WAL').toBe(false);
}, 60_000);
