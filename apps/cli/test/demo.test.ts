import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { spawnSource } from '@fosspush/testing';
import { describe, expect, it, vi } from 'vitest';

const CLI = new URL('../src/cli.ts', import.meta.url);

describe('fosspush demo, run as a user would', { timeout: 60_000 }, () => {
  it('delivers a first message, takes more through its curl endpoint, and exits cleanly on Ctrl-C', async () => {
    const child = spawnSource(CLI, ['demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await vi.waitFor(() => expect(output).toContain('Ctrl-C stops the demo'), { timeout: 45_000, interval: 100 });
      expect(output).toMatch(/delivered +\{"message":"Hello from fosspush"\} +\d+ ms from push server to app/);
      const sendUrl = /curl -d 'message=Hi again' (\S+)/.exec(output)?.[1] as string;
      const dataDir = /SQLite in (\S+)\)/.exec(output)?.[1] as string;
      expect(existsSync(dataDir)).toBe(true);

      const response = await fetch(sendUrl, { method: 'POST', body: 'message=from the test', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(response.status).toBe(200);
      await vi.waitFor(() => expect(output).toContain('delivered     {"message":"from the test"}'), { timeout: 10_000 });
      const refused = await fetch(sendUrl, { method: 'POST', body: '' });
      expect(refused.status).toBe(400);

      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
